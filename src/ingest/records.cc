// ingest/records.cc: the codecs of IngestService's records (see records.h).
#include "ingest/records.h"

#include "kv/codec.h"

namespace k3::ingest {
namespace {

constexpr uint64_t kRuleVersion = 1;
constexpr uint64_t kJobVersion = 1;
constexpr uint64_t kSyncVersion = 1;

void PutU64(kv::Encoder& e, uint64_t v) { e.PutVarint(v); }

}  // namespace

std::string BucketPrefix(std::string_view kind, std::string_view bucket) {
  std::string key(kind);
  key += '/';
  key += bucket;
  key.push_back('\0');
  return key;
}

std::string PrefixEnd(std::string_view prefix) { return kv::PrefixEnd(prefix); }

std::string RuleKey(std::string_view bucket, std::string_view rule_id) {
  return BucketPrefix("rule", bucket) + std::string(rule_id);
}

std::string EncodeRule(const IngestRule& r) {
  kv::Encoder e;
  e.PutVarint(kRuleVersion);
  e.PutString(r.rule_id);
  e.PutString(r.bucket);
  e.PutString(r.source_id);
  e.PutString(r.pipeline_id);
  e.PutString(r.name);
  e.PutString(r.description);
  e.PutStringList(r.include_patterns);
  e.PutStringList(r.exclude_patterns);
  e.PutStringList(r.include_mime_types);
  e.PutStringList(r.exclude_mime_types);
  PutU64(e, r.min_size_bytes);
  PutU64(e, r.max_size_bytes);
  e.PutBool(r.enabled);
  e.PutSigned(r.priority);
  e.PutSigned(r.created_at);
  e.PutSigned(r.updated_at);
  return e.Take();
}

bool DecodeRule(std::string_view in, IngestRule* r) {
  kv::Decoder d(in);
  uint64_t version = 0;
  int64_t priority = 0;
  const bool ok =
      d.GetVarint(&version) && version == kRuleVersion && d.GetString(&r->rule_id) &&
      d.GetString(&r->bucket) && d.GetString(&r->source_id) && d.GetString(&r->pipeline_id) &&
      d.GetString(&r->name) && d.GetString(&r->description) &&
      d.GetStringList(&r->include_patterns) && d.GetStringList(&r->exclude_patterns) &&
      d.GetStringList(&r->include_mime_types) && d.GetStringList(&r->exclude_mime_types) &&
      d.GetVarint(&r->min_size_bytes) && d.GetVarint(&r->max_size_bytes) &&
      d.GetBool(&r->enabled) && d.GetSigned(&priority) && d.GetSigned(&r->created_at) &&
      d.GetSigned(&r->updated_at);
  r->priority = static_cast<int32_t>(priority);
  return ok;
}

std::string JobKey(std::string_view bucket, std::string_view job_id) {
  return BucketPrefix("job", bucket) + std::string(job_id);
}

std::string QueueKey(std::string_view job_id) { return std::string(kQueuePrefix) += job_id; }

std::string EncodeJob(const JobRecord& rec) {
  const IngestJob& j = rec.job;
  kv::Encoder e;
  e.PutVarint(kJobVersion);
  e.PutString(j.job_id);
  e.PutString(j.object.bucket);
  e.PutString(j.object.key);
  e.PutString(j.etag);
  PutU64(e, j.object_size);
  e.PutVarint(static_cast<uint64_t>(j.status));
  e.PutString(j.pipeline_id);
  e.PutString(j.pipeline_name);
  e.PutVarint(static_cast<uint64_t>(j.pipeline_kind));
  e.PutString(j.rule_id);
  e.PutStringMap(j.options);
  for (uint64_t v : {j.chunks_created, j.embeddings_created, j.embeddings_written, j.rows_written,
                     j.rows_skipped, j.batches_received, j.output_size}) {
    PutU64(e, v);
  }
  e.PutString(j.vector_status);
  e.PutString(j.thread_id);
  e.PutString(j.error_message);
  e.PutVarint(j.attempts);
  for (int64_t t : {j.created_at, j.updated_at, j.started_at, j.finished_at}) e.PutSigned(t);
  e.PutString(rec.source_id);
  e.PutSigned(rec.not_before);
  return e.Take();
}

bool DecodeJob(std::string_view in, JobRecord* rec) {
  IngestJob& j = rec->job;
  kv::Decoder d(in);
  uint64_t version = 0, status = 0, kind = 0;
  bool ok = d.GetVarint(&version) && version == kJobVersion && d.GetString(&j.job_id) &&
            d.GetString(&j.object.bucket) && d.GetString(&j.object.key) && d.GetString(&j.etag) &&
            d.GetVarint(&j.object_size) && d.GetVarint(&status) &&
            status <= static_cast<uint64_t>(IngestStatus::kCancelled) &&
            d.GetString(&j.pipeline_id) && d.GetString(&j.pipeline_name) && d.GetVarint(&kind) &&
            kind <= 2 && d.GetString(&j.rule_id) && d.GetStringMap(&j.options);
  for (uint64_t* v : {&j.chunks_created, &j.embeddings_created, &j.embeddings_written,
                      &j.rows_written, &j.rows_skipped, &j.batches_received, &j.output_size}) {
    ok = ok && d.GetVarint(v);
  }
  ok = ok && d.GetString(&j.vector_status) && d.GetString(&j.thread_id) &&
       d.GetString(&j.error_message) && d.GetU32(&j.attempts);
  for (int64_t* t : {&j.created_at, &j.updated_at, &j.started_at, &j.finished_at}) {
    ok = ok && d.GetSigned(t);
  }
  ok = ok && d.GetString(&rec->source_id) && d.GetSigned(&rec->not_before);
  j.status = static_cast<IngestStatus>(status);
  j.pipeline_kind = static_cast<PipelineKind>(kind);
  return ok;
}

std::string SyncSourcePrefix(std::string_view bucket, std::string_view source_id) {
  std::string key = BucketPrefix("sync", bucket);
  key += source_id;
  key.push_back('\0');
  return key;
}

std::string SyncRulePrefix(std::string_view bucket, std::string_view source_id,
                           std::string_view rule_id) {
  std::string key = SyncSourcePrefix(bucket, source_id);
  key += rule_id;
  key.push_back('\0');
  return key;
}

std::string SyncKey(std::string_view bucket, std::string_view source_id, std::string_view rule_id,
                    std::string_view key) {
  return SyncRulePrefix(bucket, source_id, rule_id) += key;
}

std::string EncodeSyncEntry(const SyncEntry& s) {
  kv::Encoder e;
  e.PutVarint(kSyncVersion);
  e.PutString(s.etag);
  e.PutString(s.ingested_etag);
  e.PutVarint(static_cast<uint64_t>(s.state));
  e.PutString(s.last_job_id);
  return e.Take();
}

bool DecodeSyncEntry(std::string_view in, SyncEntry* s) {
  kv::Decoder d(in);
  uint64_t version = 0, state = 0;
  const bool ok = d.GetVarint(&version) && version == kSyncVersion && d.GetString(&s->etag) &&
                  d.GetString(&s->ingested_etag) && d.GetVarint(&state) && state <= 2 &&
                  d.GetString(&s->last_job_id);
  s->state = static_cast<SyncState>(state);
  return ok;
}

std::string SyncRunKey(std::string_view bucket, std::string_view source_id) {
  return BucketPrefix("syncrun", bucket) + std::string(source_id);
}

std::string EncodeSyncRun(const SyncRun& r) {
  kv::Encoder e;
  e.PutVarint(kSyncVersion);
  e.PutSigned(r.last_discovery_at);
  e.PutSigned(r.last_ingestion_at);
  e.PutString(r.last_sync_id);
  return e.Take();
}

bool DecodeSyncRun(std::string_view in, SyncRun* r) {
  kv::Decoder d(in);
  uint64_t version = 0;
  return d.GetVarint(&version) && version == kSyncVersion && d.GetSigned(&r->last_discovery_at) &&
         d.GetSigned(&r->last_ingestion_at) && d.GetString(&r->last_sync_id);
}

}  // namespace k3::ingest
