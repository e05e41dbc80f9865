// k3/ingest.h: IngestService — rules that fire pipelines on objects, the durable ingest jobs
// they create, the workers that run them, and sync of a bucket's source (K3's
// dodil.k3.ingest.v1).
//
// How an object becomes output: put_object commits an `object.created` event; the dispatcher
// (a background thread) reads the events log from its committed offset, matches the object
// against the bucket's enabled rules and creates one PENDING job per matching rule; workers
// (Options::worker_threads) run each job's pipeline on the object (PipelineService::run) and
// record COMPLETED or FAILED with the run's counters. The rules that apply to an event are the
// bucket's rules when the dispatcher reads it (normally right after the put), so a rule
// created between a put and its dispatch may fire for that put. An `object.deleted` event removes
// the object's output from every pipeline destination of the bucket. Jobs and the dispatcher's
// offset are in the store: a crash loses no trigger and doubles none, and jobs left PROCESSING
// by a crash run again after the next open.
//
// Job states: PENDING -> PROCESSING -> COMPLETED | FAILED | CANCELLED. A failing run is retried
// (back to PENDING after a backoff) while its error may be transient and attempts remain
// (Options::ingest_max_attempts); a job whose object was deleted before it ran is CANCELLED.
//
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_INGEST_H_
#define K3_INGEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/export.h"
#include "k3/pipelines.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

// Display information about a rule's pipeline, derived on every read; all fields empty when
// the pipeline no longer exists.
struct RuleBinding {
  std::string pipeline_name;
  PipelineKind pipeline_kind = PipelineKind::kUnspecified;
  std::string destination;  // the collection or table name
};

// Which objects fire which pipeline. Matching: AND across the three axes (key, content type,
// size), OR within one, an exclude always wins. Key patterns are globs over the whole key,
// ASCII case-insensitive: `*` (within one path segment), `**` (across segments; "docs/**/*.md"
// also matches "docs/a.md"), `?`, `[a-z]`, `[!a-z]`, `\` escapes. MIME patterns are
// "type/subtype", "type/*" or "*/*", compared without parameters, case-insensitively.
struct IngestRule {
  std::string rule_id;  // "rule_..."
  std::string bucket;
  std::string source_id;    // "" = objects from any source of the bucket
  std::string pipeline_id;  // authoritative
  std::string name;
  std::string description;
  std::vector<std::string> include_patterns;  // empty = every key
  std::vector<std::string> exclude_patterns;
  std::vector<std::string> include_mime_types;  // empty = every content type
  std::vector<std::string> exclude_mime_types;
  uint64_t min_size_bytes = 0;  // inclusive
  uint64_t max_size_bytes = 0;  // inclusive; 0 = no limit
  bool enabled = true;
  int32_t priority = 0;  // higher first
  RuleBinding binding;   // derived; ignored on input
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct ListRulesRequest {
  std::string bucket;
  std::string source_id;    // filter ("" = any)
  std::string pipeline_id;  // filter ("" = any)
  int page_size = 0;        // 0 = 50, at most 1000
  std::string page_token;
};

struct ListRulesResponse {
  std::vector<IngestRule> rules;  // by id (creation order)
  Pagination pagination;
};

// PATCH semantics: an absent field changes nothing; a present list replaces (empty clears).
struct UpdateRuleRequest {
  std::string bucket;
  std::string rule_id;
  std::optional<std::string> pipeline_id;
  std::optional<std::string> source_id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> include_patterns;
  std::optional<std::vector<std::string>> exclude_patterns;
  std::optional<std::vector<std::string>> include_mime_types;
  std::optional<std::vector<std::string>> exclude_mime_types;
  std::optional<uint64_t> min_size_bytes;
  std::optional<uint64_t> max_size_bytes;
  std::optional<bool> enabled;
  std::optional<int32_t> priority;
};

enum class IngestStatus : int {
  kUnspecified = 0,
  kPending = 1,
  kProcessing = 2,
  kCompleted = 3,
  kFailed = 4,
  kCancelled = 5,  // ours
};

// Wire names: "INGEST_STATUS_PENDING", ... ; short forms "pending", ... are accepted by
// ParseIngestStatus. nullopt for anything else.
K3_EXPORT const char* IngestStatusName(IngestStatus status);
K3_EXPORT std::optional<IngestStatus> ParseIngestStatus(std::string_view name);

struct ObjectRef {
  std::string bucket;
  std::string key;
};

// One run of one pipeline on one object.
struct IngestJob {
  std::string job_id;  // "job_...", time-ordered
  ObjectRef object;
  std::string etag;  // of the object version that created the job ("" for some triggers)
  uint64_t object_size = 0;
  IngestStatus status = IngestStatus::kPending;
  std::string pipeline_id;
  std::string pipeline_name;  // at creation
  PipelineKind pipeline_kind = PipelineKind::kUnspecified;
  std::string rule_id;                         // "" when triggered with an explicit pipeline
  std::map<std::string, std::string> options;  // the trigger's overlay
  // The counters of the last run (PipelineRunResult).
  uint64_t chunks_created = 0;
  uint64_t embeddings_created = 0;
  uint64_t embeddings_written = 0;
  uint64_t rows_written = 0;
  uint64_t rows_skipped = 0;
  uint64_t batches_received = 0;
  uint64_t output_size = 0;
  std::string vector_status;  // vector pipelines: "success" | "failed" | "" (not finished)
  std::string thread_id;      // the worker that ran it last ("worker_2")
  std::string error_message;  // why the last attempt failed or the job was cancelled
  uint32_t attempts = 0;      // runs started
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  TimestampMs started_at = 0;   // the last attempt's start; 0 = never started
  TimestampMs finished_at = 0;  // 0 until COMPLETED, FAILED or CANCELLED
};

struct TriggerIngestRequest {
  ObjectRef object;
  // At most one of pipeline_id and rule_id. Neither: the highest-priority enabled rule that
  // matches the object.
  std::string pipeline_id;
  std::string rule_id;
  std::map<std::string, std::string> options;  // overlay on the pipeline's options
};

struct ListIngestJobsRequest {
  std::string bucket;
  std::optional<IngestStatus> status_filter;
  std::string pipeline_id;  // filter
  std::string rule_id;      // filter
  int page_size = 0;        // 0 = 50, at most 1000
  std::string page_token;
};

struct ListIngestJobsResponse {
  std::vector<IngestJob> jobs;  // newest first
  Pagination pagination;
};

// Sync of a source: discovery records which objects each rule should process (at which
// ETag); ingestion creates jobs for the new and changed ones.
struct TriggerDiscoveryRequest {
  std::string bucket;
  std::string source_id;
  bool full_sync = false;  // forget what was ingested: every object counts as changed
  std::string rule_id;     // "" = every enabled rule of the source
};

struct TriggerIngestionRequest {
  std::string bucket;
  std::string source_id;
  std::string rule_id;           // "" = every enabled rule of the source
  bool retry_failed = false;     // also re-run objects whose last job FAILED
  bool full_sync = false;        // every discovered object, changed or not
  std::string source_object_id;  // only this object key ("" = all)
};

struct SyncTriggerResponse {
  std::string job_id;  // "sync_...": names this sync run in GetSyncStatus
  bool accepted = true;
  std::string message;        // what was found or queued, in words
  uint64_t jobs_created = 0;  // TriggerIngestion
};

struct SyncStatus {
  std::string bucket;
  std::string source_id;
  uint64_t discovered = 0;  // (rule, object) pairs discovery recorded
  uint64_t pending = 0;     // new or changed, not yet ingested at their current ETag
  uint64_t ingested = 0;    // last job COMPLETED at the current ETag
  uint64_t failed = 0;      // last job FAILED
  TimestampMs last_discovery_at = 0;
  TimestampMs last_ingestion_at = 0;
  std::string last_sync_id;
};

// How busy one bucket's ingest is right now.
struct IngestActivity {
  uint64_t undispatched_events = 0;  // events of any bucket not yet read by the dispatcher
  uint64_t pending = 0;
  uint64_t processing = 0;
};

// Counters since the Db opened (gauges: current values). For the server's /metrics.
struct IngestMetrics {
  uint64_t jobs_created = 0;
  uint64_t jobs_completed = 0;
  uint64_t jobs_failed = 0;
  uint64_t jobs_cancelled = 0;
  uint64_t job_retries = 0;
  uint64_t queue_depth = 0;       // gauge: PENDING jobs, all buckets
  uint64_t jobs_processing = 0;   // gauge
  uint64_t objects_ingested = 0;  // COMPLETED jobs' objects
  uint64_t bytes_ingested = 0;    // their sizes
  uint64_t events_dispatched = 0;
  // Latency from job creation to a terminal state, completed and failed jobs, in
  // milliseconds: a histogram with upper bounds kLatencyBucketsMs (+Inf last).
  static constexpr int64_t kLatencyBucketsMs[] = {10, 50, 100, 500, 1000, 5000, 30000, 300000};
  std::vector<uint64_t> latency_bucket_counts;  // cumulative, size = bounds + 1 (+Inf)
  uint64_t latency_count = 0;
  uint64_t latency_sum_ms = 0;
};

class K3_EXPORT IngestService {
 public:
  // Rules. Errors: NOT_FOUND (bucket, rule; the pipeline or source named); INVALID_ARGUMENT
  // (a bad pattern or MIME type, naming the field and index; min above max; name over 128
  // bytes; a negative priority is allowed).
  Result<IngestRule> create_rule(const IngestRule& rule);
  Result<IngestRule> get_rule(std::string_view bucket, std::string_view rule_id);
  Result<ListRulesResponse> list_rules(const ListRulesRequest& request);
  Result<IngestRule> update_rule(const UpdateRuleRequest& request);
  // Jobs the rule created stay (and run).
  Status delete_rule(std::string_view bucket, std::string_view rule_id);

  // Creates a PENDING job for one object now. Errors: NOT_FOUND (bucket, object, pipeline,
  // rule); INVALID_ARGUMENT (both pipeline_id and rule_id; an option the template does not
  // accept or an ill-typed value); FAILED_PRECONDITION (no enabled rule matches the object).
  Result<IngestJob> trigger(const TriggerIngestRequest& request);
  // NOT_FOUND for an unknown job (or one of another bucket).
  Result<IngestJob> get_job(std::string_view bucket, std::string_view job_id);
  Result<ListIngestJobsResponse> list_jobs(const ListIngestJobsRequest& request);
  // A PENDING job becomes CANCELLED. FAILED_PRECONDITION for a PROCESSING job (its run
  // finishes) or a finished one.
  Result<IngestJob> cancel_job(std::string_view bucket, std::string_view job_id);
  // Blocks until the job is COMPLETED, FAILED or CANCELLED and returns it. timeout_ms < 0:
  // no deadline; on the deadline DEADLINE_EXCEEDED naming the job's current status.
  Result<IngestJob> wait(std::string_view bucket, std::string_view job_id, int64_t timeout_ms = -1);
  // Blocks until the dispatcher has read every event committed before the call and the
  // bucket has no PENDING or PROCESSING job (retries in backoff count as PENDING).
  // DEADLINE_EXCEEDED on the deadline; NOT_FOUND for an unknown bucket.
  Status wait_idle(std::string_view bucket, int64_t timeout_ms = -1);
  Result<IngestActivity> activity(std::string_view bucket);

  // Sync of a bucket's source (the internal source: the bucket itself). Runs in the calling
  // thread; the jobs it creates run in the background. NOT_FOUND (bucket, source, rule).
  Result<SyncTriggerResponse> trigger_discovery(const TriggerDiscoveryRequest& request);
  Result<SyncTriggerResponse> trigger_ingestion(const TriggerIngestionRequest& request);
  Result<SyncStatus> get_sync_status(std::string_view bucket, std::string_view source_id);

  IngestMetrics metrics();

  class Impl;
  explicit IngestService(Impl* impl) : impl_(impl) {}

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_INGEST_H_
