// ingest/ingest_impl.h: IngestService's implementation — rules, the dispatcher thread that
// turns events into jobs, the worker pool that runs them, and sync of a bucket's source.
//
// State lives in the store (ingest/records.h); what is in memory is a cache of it (compiled
// rules per bucket, the queue of runnable jobs, per-bucket counts of unfinished jobs) rebuilt
// on open. Durability contract:
//   - the dispatcher writes the jobs of a run of events and the new dispatched offset in one
//     batch, so a crash either keeps both or neither: no event's jobs are lost or doubled;
//   - a job and its queue entry ("jobq/") are written together; a job leaves the queue in the
//     batch that records its final state; jobs found PROCESSING on open go back to PENDING.
//
// Locking: mu_ guards job record transitions (read-modify-write of "job/" records), the
// counters and the dispatched offset; it is never held while a pipeline runs or while output
// is removed. rules_mu_ guards the compiled-rules cache; it may be taken under mu_, never the
// other way round.
// Thread-safety: all public methods are thread-safe.
#ifndef K3_INGEST_INGEST_IMPL_H_
#define K3_INGEST_INGEST_IMPL_H_

#include <condition_variable>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log_impl.h"
#include "ingest/job_queue.h"
#include "ingest/records.h"
#include "ingest/rule_match.h"
#include "k3/ingest.h"
#include "k3/options.h"
#include "k3/sources.h"
#include "k3/storage.h"
#include "kv/store.h"
#include "pipelines/pipeline_impl.h"

namespace k3 {

class K3_HIDDEN IngestService::Impl {
 public:
  Impl(kv::Store* store, EventLog::Impl* events, StorageService* storage, SourceService* sources,
       PipelineService::Impl* pipelines, const Options& options);
  // Stops the dispatcher and the workers; runs in progress finish first.
  ~Impl();

  // Puts jobs left PROCESSING back to PENDING, queues every unfinished job and starts the
  // dispatcher and the workers. Called once, after every service exists.
  Status Start();

  // The bucket is being deleted: forgets its rules, jobs and sync state.
  Status DropBucket(std::string_view bucket);

  // Which source an object belongs to: the id of the external source whose key prefix holds
  // the key, or "" for the bucket's internal source. Set before Start().
  using SourceAttribution =
      std::function<Result<std::string>(std::string_view bucket, std::string_view key)>;
  void SetSourceAttribution(SourceAttribution attribution) {
    attribution_ = std::move(attribution);
  }
  // OK when no rule names the source; FAILED_PRECONDITION naming the rules otherwise.
  Status CheckSourceUnused(std::string_view bucket, std::string_view source_id);
  // How many objects of the source have every rule job completed at their current version.
  Result<uint64_t> CountIndexed(std::string_view bucket, std::string_view source_id);
  // The source was deleted: forgets its sync state.
  Status DropSourceState(std::string_view bucket, std::string_view source_id);

  // Rules (rules.cc).
  Result<IngestRule> CreateRule(const IngestRule& rule);
  Result<IngestRule> GetRule(std::string_view bucket, std::string_view rule_id);
  Result<ListRulesResponse> ListRules(const ListRulesRequest& request);
  Result<IngestRule> UpdateRule(const UpdateRuleRequest& request);
  Status DeleteRule(std::string_view bucket, std::string_view rule_id);

  // Jobs (jobs.cc).
  Result<IngestJob> Trigger(const TriggerIngestRequest& request);
  Result<IngestJob> GetJob(std::string_view bucket, std::string_view job_id);
  Result<ListIngestJobsResponse> ListJobs(const ListIngestJobsRequest& request);
  Result<IngestJob> CancelJob(std::string_view bucket, std::string_view job_id);
  Result<IngestJob> Wait(std::string_view bucket, std::string_view job_id, int64_t timeout_ms);
  Status WaitIdle(std::string_view bucket, int64_t timeout_ms);
  Result<IngestActivity> Activity(std::string_view bucket);
  IngestMetrics Metrics();

  // Sync (sync.cc).
  Result<SyncTriggerResponse> TriggerDiscovery(const TriggerDiscoveryRequest& request);
  Result<SyncTriggerResponse> TriggerIngestion(const TriggerIngestionRequest& request);
  Result<SyncStatus> GetSyncStatus(std::string_view bucket, std::string_view source_id);

 private:
  struct CompiledRule {
    IngestRule rule;
    ingest::CompiledCriteria criteria;
  };
  // A bucket's enabled rules in the order the dispatcher tries them, and its internal source.
  struct BucketRules {
    std::string internal_source_id;
    std::vector<CompiledRule> ordered;
  };
  struct BucketCounts {
    uint64_t pending = 0;     // PENDING, including retries waiting for their backoff
    uint64_t processing = 0;  // PROCESSING
  };

  // rules.cc
  Result<std::shared_ptr<const BucketRules>> RulesOf(std::string_view bucket);
  void InvalidateRules(std::string_view bucket);
  Status ValidateRule(const IngestRule& rule);
  Result<std::vector<IngestRule>> LoadRules(std::string_view bucket);
  void FillBinding(IngestRule* rule);

  // jobs.cc: a new PENDING job for `object`, added to `batch` (with its queue entry and, for
  // a rule's job, the sync entry). The caller writes the batch and then calls JobsCreated.
  // Requires mu_.
  Result<ingest::JobRecord> AddNewJobLocked(kv::Batch& batch, const ObjectInfo& object,
                                            const Pipeline& pipeline, const std::string& rule_id,
                                            const std::string& source_id,
                                            std::map<std::string, std::string> options);
  // Counts and queues jobs whose batch was written. Requires mu_.
  void JobsCreatedLocked(const std::vector<ingest::JobRecord>& jobs);
  // Writes a job's new state (set in `rec` by the caller; `previous` is the state it had):
  // the record, its queue entry (removed when finished), its sync entry; then updates the
  // counters and wakes waiters. Requires mu_.
  Status CommitTransitionLocked(ingest::JobRecord& rec, IngestStatus previous);
  Result<std::optional<ingest::JobRecord>> LoadJob(std::string_view bucket,
                                                   std::string_view job_id);
  Status CheckBucket(std::string_view bucket);

  // workers.cc
  void WorkerLoop(int worker_index);
  void RunJob(const ingest::QueuedJob& queued, int worker_index);
  // Classifies a failed run: the final status and message, or a retry.
  void SettleFailure(ingest::JobRecord& rec, const Status& error);

  // sync.cc
  Result<std::vector<IngestRule>> SyncRules(std::string_view bucket, std::string_view source_id,
                                            std::string_view rule_id);
  Status SaveSyncRun(std::string_view bucket, std::string_view source_id, bool discovery,
                     const std::string& sync_id);
  // Creates jobs for the sync entries of `rules` that want one: pending ones (unless
  // failed_only), failed ones with retry_failed, all with full_sync; an entry whose last job is
  // unfinished is skipped. Returns how many jobs were created and how many objects vanished.
  Result<std::pair<uint64_t, uint64_t>> CreateSyncJobs(const TriggerIngestionRequest& request,
                                                       const std::vector<IngestRule>& rules,
                                                       bool failed_only);
  // The source an event's object belongs to (the internal one when no external one has it).
  Result<std::string> SourceOf(std::string_view bucket, std::string_view key,
                               const std::string& internal_source_id);

  // dispatcher.cc
  void DispatcherLoop();
  // Handles consecutive events and commits the offset of the last one with their jobs.
  Status DispatchEvents(const std::vector<Event>& events);
  // Removes the object's output from every pipeline of its bucket, and its sync state.
  Status HandleDeletion(const Event& event);

  kv::Store* store_;
  EventLog::Impl* events_;
  StorageService* storage_;
  SourceService* sources_;
  PipelineService::Impl* pipelines_;
  const int worker_count_;
  const int max_attempts_;
  const int64_t retry_backoff_ms_;
  util::Logger logger_;
  SourceAttribution attribution_;

  std::mutex rule_writes_mu_;  // serializes rule create / update / delete (read-modify-write)
  std::mutex rules_mu_;
  std::map<std::string, std::shared_ptr<const BucketRules>, std::less<>> rules_cache_;
  uint64_t rules_generation_ = 0;  // bumped by every invalidation

  std::mutex mu_;
  std::condition_variable changed_cv_;  // a job changed state or the dispatcher advanced
  std::condition_variable events_cv_;   // new events were committed, or stopping
  bool stopping_ = false;
  uint64_t dispatched_offset_ = 0;
  std::map<std::string, BucketCounts, std::less<>> counts_;
  IngestMetrics metrics_;  // counters only; gauges and the histogram are filled on read
  uint64_t latency_buckets_[std::size(IngestMetrics::kLatencyBucketsMs) + 1] = {};

  ingest::JobQueue queue_;
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace k3

#endif  // K3_INGEST_INGEST_IMPL_H_
