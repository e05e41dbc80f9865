// ingest/records.h: how IngestService keeps its state in the store (kv::Cf::kRecords).
//
//   "rule/<bucket>\0<rule id>"                         -> IngestRule
//   "job/<bucket>\0<job id>"                           -> JobRecord
//   "jobq/<job id>"                                    -> bucket   (job not finished: the queue)
//   "sync/<bucket>\0<source id>\0<rule id>\0<key>"     -> SyncEntry
//   "syncrun/<bucket>\0<source id>"                    -> SyncRun
//   "ingest/dispatched"                                -> the events log offset dispatched
//
// Every bucket-scoped key starts with "<kind>/<bucket>\0", so a bucket's state of one kind is
// one key range. Thread-safety: pure functions.
#ifndef K3_INGEST_RECORDS_H_
#define K3_INGEST_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/ingest.h"

namespace k3::ingest {

// A job as stored: the public fields plus what scheduling needs.
struct JobRecord {
  IngestJob job;
  std::string source_id;       // the source whose sync state the job updates ("" = none)
  TimestampMs not_before = 0;  // a retry waits until then
};

// What sync knows about one (source, rule, object).
enum class SyncState : int { kPending = 0, kIngested = 1, kFailed = 2 };
struct SyncEntry {
  std::string etag;           // the newest version seen (discovery or an event)
  std::string ingested_etag;  // the version the last COMPLETED job ran on
  SyncState state = SyncState::kPending;
  std::string last_job_id;
};

struct SyncRun {
  TimestampMs last_discovery_at = 0;
  TimestampMs last_ingestion_at = 0;
  std::string last_sync_id;
};

std::string BucketPrefix(std::string_view kind, std::string_view bucket);  // "<kind>/<b>\0"

std::string RuleKey(std::string_view bucket, std::string_view rule_id);
std::string EncodeRule(const IngestRule& r);
bool DecodeRule(std::string_view in, IngestRule* r);

std::string JobKey(std::string_view bucket, std::string_view job_id);
std::string QueueKey(std::string_view job_id);
inline constexpr std::string_view kQueuePrefix = "jobq/";
std::string EncodeJob(const JobRecord& j);
bool DecodeJob(std::string_view in, JobRecord* j);

// "sync/<b>\0<source>\0<rule>\0" and that plus the key.
std::string SyncRulePrefix(std::string_view bucket, std::string_view source_id,
                           std::string_view rule_id);
std::string SyncSourcePrefix(std::string_view bucket, std::string_view source_id);
std::string SyncKey(std::string_view bucket, std::string_view source_id, std::string_view rule_id,
                    std::string_view key);
std::string EncodeSyncEntry(const SyncEntry& e);
bool DecodeSyncEntry(std::string_view in, SyncEntry* e);

std::string SyncRunKey(std::string_view bucket, std::string_view source_id);
std::string EncodeSyncRun(const SyncRun& r);
bool DecodeSyncRun(std::string_view in, SyncRun* r);

inline constexpr std::string_view kDispatchedKey = "ingest/dispatched";

// The smallest key greater than every key starting with `prefix` (prefix must not be all 0xff).
std::string PrefixEnd(std::string_view prefix);

}  // namespace k3::ingest

#endif  // K3_INGEST_RECORDS_H_
