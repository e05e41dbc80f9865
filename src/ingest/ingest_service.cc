// ingest/ingest_service.cc: IngestService (the public class forwards to its Impl), the Impl's
// lifecycle (recovery on open, start, clean stop) and bucket removal.
#include <algorithm>
#include <array>
#include <cctype>
#include <thread>

#include "ingest/ingest_impl.h"
#include "kv/codec.h"

namespace k3 {

using ingest::JobRecord;

namespace {

constexpr std::array<std::pair<IngestStatus, const char*>, 6> kStatusNames = {{
    {IngestStatus::kUnspecified, "INGEST_STATUS_UNSPECIFIED"},
    {IngestStatus::kPending, "INGEST_STATUS_PENDING"},
    {IngestStatus::kProcessing, "INGEST_STATUS_PROCESSING"},
    {IngestStatus::kCompleted, "INGEST_STATUS_COMPLETED"},
    {IngestStatus::kFailed, "INGEST_STATUS_FAILED"},
    {IngestStatus::kCancelled, "INGEST_STATUS_CANCELLED"},
}};

constexpr std::string_view kStatusPrefix = "INGEST_STATUS_";

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

int WorkerCount(const Options& options) {
  if (options.worker_threads > 0) return options.worker_threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

const char* IngestStatusName(IngestStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "INGEST_STATUS_UNSPECIFIED";
}

std::optional<IngestStatus> ParseIngestStatus(std::string_view name) {
  for (const auto& [value, wire] : kStatusNames) {
    if (value == IngestStatus::kUnspecified) continue;
    const std::string_view full(wire);
    const std::string_view short_form = full.substr(kStatusPrefix.size());
    if (EqualsIgnoreAsciiCase(name, full) || EqualsIgnoreAsciiCase(name, short_form)) {
      return value;
    }
  }
  return std::nullopt;
}

IngestService::Impl::Impl(kv::Store* store, EventLog::Impl* events, StorageService* storage,
                          SourceService* sources, PipelineService::Impl* pipelines,
                          const Options& options)
    : store_(store),
      events_(events),
      storage_(storage),
      sources_(sources),
      pipelines_(pipelines),
      worker_count_(WorkerCount(options)),
      max_attempts_(std::max(1, options.ingest_max_attempts)),
      retry_backoff_ms_(std::clamp<int64_t>(options.ingest_retry_backoff_ms, 0, 60'000)),
      logger_(store->logger()) {}

IngestService::Impl::~Impl() {
  events_->SetCommitListener(nullptr);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  events_cv_.notify_all();
  changed_cv_.notify_all();
  queue_.Stop();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (std::thread& t : workers_) t.join();
}

Status IngestService::Impl::Start() {
  K3_ASSIGN_OR_RETURN(auto offset, store_->Get(kv::Cf::kRecords, ingest::kDispatchedKey));
  if (offset) {
    if (offset->size() != 8) return DataLoss("ingest: malformed dispatched offset");
    dispatched_offset_ = kv::ReadBigEndian64(*offset);
  }
  // Unfinished jobs: back in the queue; those a crash left PROCESSING start over.
  std::vector<std::pair<std::string, std::string>> unfinished;  // bucket, job id
  {
    const std::string prefix(ingest::kQueuePrefix);
    auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      unfinished.emplace_back(std::string(it->value()),
                              std::string(it->key().substr(prefix.size())));
    }
    K3_RETURN_IF_ERROR(it->status());
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [bucket, job_id] : unfinished) {
      K3_ASSIGN_OR_RETURN(auto rec, LoadJob(bucket, job_id));
      if (!rec) {  // a queue entry without its job: drop it
        auto batch = store_->NewBatch();
        batch->Delete(kv::Cf::kRecords, ingest::QueueKey(job_id));
        K3_RETURN_IF_ERROR(store_->Write(*batch));
        continue;
      }
      if (rec->job.status == IngestStatus::kProcessing) {
        rec->job.status = IngestStatus::kPending;
        rec->job.error_message = "interrupted by a restart; runs again";
        rec->not_before = 0;
        auto batch = store_->NewBatch();
        batch->Put(kv::Cf::kRecords, ingest::JobKey(bucket, job_id), ingest::EncodeJob(*rec));
        K3_RETURN_IF_ERROR(store_->Write(*batch));
      } else if (rec->job.status != IngestStatus::kPending) {
        continue;  // finished (its entry goes in the batch of the outcome; never left over)
      }
      ++counts_[bucket].pending;
      queue_.Push({bucket, job_id}, rec->not_before);
    }
  }
  events_->SetCommitListener([this] {
    // Taking mu_ orders this wake-up after the dispatcher's check of LastOffset.
    std::lock_guard lock(mu_);
    events_cv_.notify_one();
  });
  dispatcher_ = std::thread([this] { DispatcherLoop(); });
  for (int i = 0; i < worker_count_; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i + 1); });
  }
  return Status();
}

Status IngestService::Impl::DropBucket(std::string_view bucket) {
  std::lock_guard lock(mu_);
  auto batch = store_->NewBatch();
  for (std::string_view kind : {"rule", "job", "sync", "syncrun"}) {
    const std::string prefix = ingest::BucketPrefix(kind, bucket);
    batch->DeleteRange(kv::Cf::kRecords, prefix, ingest::PrefixEnd(prefix));
  }
  const std::string prefix(ingest::kQueuePrefix);
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (it->value() == bucket) batch->Delete(kv::Cf::kRecords, it->key());
  }
  K3_RETURN_IF_ERROR(it->status());
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  queue_.DropBucket(std::string(bucket));
  if (auto c = counts_.find(bucket); c != counts_.end()) counts_.erase(c);
  InvalidateRules(bucket);
  changed_cv_.notify_all();
  return Status();
}

Result<IngestRule> IngestService::create_rule(const IngestRule& rule) {
  return impl_->CreateRule(rule);
}
Result<IngestRule> IngestService::get_rule(std::string_view bucket, std::string_view rule_id) {
  return impl_->GetRule(bucket, rule_id);
}
Result<ListRulesResponse> IngestService::list_rules(const ListRulesRequest& request) {
  return impl_->ListRules(request);
}
Result<IngestRule> IngestService::update_rule(const UpdateRuleRequest& request) {
  return impl_->UpdateRule(request);
}
Status IngestService::delete_rule(std::string_view bucket, std::string_view rule_id) {
  return impl_->DeleteRule(bucket, rule_id);
}
Result<IngestJob> IngestService::trigger(const TriggerIngestRequest& request) {
  return impl_->Trigger(request);
}
Result<IngestJob> IngestService::get_job(std::string_view bucket, std::string_view job_id) {
  return impl_->GetJob(bucket, job_id);
}
Result<ListIngestJobsResponse> IngestService::list_jobs(const ListIngestJobsRequest& request) {
  return impl_->ListJobs(request);
}
Result<IngestJob> IngestService::cancel_job(std::string_view bucket, std::string_view job_id) {
  return impl_->CancelJob(bucket, job_id);
}
Result<IngestJob> IngestService::wait(std::string_view bucket, std::string_view job_id,
                                      int64_t timeout_ms) {
  return impl_->Wait(bucket, job_id, timeout_ms);
}
Status IngestService::wait_idle(std::string_view bucket, int64_t timeout_ms) {
  return impl_->WaitIdle(bucket, timeout_ms);
}
Result<IngestActivity> IngestService::activity(std::string_view bucket) {
  return impl_->Activity(bucket);
}
Result<SyncTriggerResponse> IngestService::trigger_discovery(
    const TriggerDiscoveryRequest& request) {
  return impl_->TriggerDiscovery(request);
}
Result<SyncTriggerResponse> IngestService::trigger_ingestion(
    const TriggerIngestionRequest& request) {
  return impl_->TriggerIngestion(request);
}
Result<SyncStatus> IngestService::get_sync_status(std::string_view bucket,
                                                  std::string_view source_id) {
  return impl_->GetSyncStatus(bucket, source_id);
}
IngestMetrics IngestService::metrics() { return impl_->Metrics(); }

}  // namespace k3
