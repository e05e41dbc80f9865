// ingest/jobs.cc: IngestService::Impl — job records, their state transitions, triggering,
// listing, cancelling and waiting.
#include <chrono>

#include "ingest/ingest_impl.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/page_token.h"

namespace k3 {

using ingest::JobRecord;

namespace {

bool IsFinished(IngestStatus s) {
  return s == IngestStatus::kCompleted || s == IngestStatus::kFailed ||
         s == IngestStatus::kCancelled;
}

// A condition-variable deadline: none for timeout_ms < 0.
// No deadline for timeout_ms < 0 or beyond kNoDeadlineAboveMs (about 70 years), which would
// overflow the clock's nanoseconds (INT64_MAX is a natural "forever").
std::optional<std::chrono::steady_clock::time_point> DeadlineAfter(int64_t timeout_ms) {
  constexpr int64_t kNoDeadlineAboveMs = int64_t{1} << 41;
  if (timeout_ms < 0 || timeout_ms > kNoDeadlineAboveMs) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
}

Status DeadlineExceeded(std::string message) {
  return Status(StatusCode::kDeadlineExceeded, std::move(message));
}

}  // namespace

Result<std::optional<JobRecord>> IngestService::Impl::LoadJob(std::string_view bucket,
                                                              std::string_view job_id) {
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, ingest::JobKey(bucket, job_id)));
  if (!value) return std::optional<JobRecord>();
  JobRecord rec;
  if (!ingest::DecodeJob(*value, &rec)) return DataLoss("ingest: malformed job record");
  return std::optional<JobRecord>(std::move(rec));
}

Result<JobRecord> IngestService::Impl::AddNewJobLocked(kv::Batch& batch, const ObjectInfo& object,
                                                       const Pipeline& pipeline,
                                                       const std::string& rule_id,
                                                       const std::string& source_id,
                                                       std::map<std::string, std::string> options) {
  JobRecord rec;
  IngestJob& job = rec.job;
  job.job_id = util::NewId("job");
  job.object = {object.bucket, object.key};
  job.etag = object.etag;
  job.object_size = object.size;
  job.status = IngestStatus::kPending;
  job.pipeline_id = pipeline.pipeline_id;
  job.pipeline_name = pipeline.name;
  job.pipeline_kind = pipeline.store_entity_kind;
  job.rule_id = rule_id;
  job.options = std::move(options);
  job.created_at = job.updated_at = util::NowMs();
  rec.source_id = rule_id.empty() ? std::string() : source_id;
  batch.Put(kv::Cf::kRecords, ingest::JobKey(object.bucket, job.job_id), ingest::EncodeJob(rec));
  batch.Put(kv::Cf::kRecords, ingest::QueueKey(job.job_id), object.bucket);
  if (!rec.source_id.empty()) {
    const std::string key = ingest::SyncKey(object.bucket, source_id, rule_id, object.key);
    ingest::SyncEntry entry;
    K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, key));
    if (value && !ingest::DecodeSyncEntry(*value, &entry)) entry = {};
    entry.etag = object.etag;
    entry.state = ingest::SyncState::kPending;
    entry.last_job_id = job.job_id;
    batch.Put(kv::Cf::kRecords, key, ingest::EncodeSyncEntry(entry));
  }
  return rec;
}

void IngestService::Impl::JobsCreatedLocked(const std::vector<JobRecord>& jobs) {
  for (const JobRecord& rec : jobs) {
    ++counts_[rec.job.object.bucket].pending;
    ++metrics_.jobs_created;
    queue_.Push({rec.job.object.bucket, rec.job.job_id});
  }
  if (!jobs.empty()) changed_cv_.notify_all();
}

Status IngestService::Impl::CommitTransitionLocked(JobRecord& rec, IngestStatus previous) {
  IngestJob& job = rec.job;
  job.updated_at = util::NowMs();
  const bool finished = IsFinished(job.status);
  if (finished) job.finished_at = job.updated_at;
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, ingest::JobKey(job.object.bucket, job.job_id),
             ingest::EncodeJob(rec));
  if (finished) {
    batch->Delete(kv::Cf::kRecords, ingest::QueueKey(job.job_id));
    if (!rec.source_id.empty() && job.status != IngestStatus::kCancelled) {
      const std::string key =
          ingest::SyncKey(job.object.bucket, rec.source_id, job.rule_id, job.object.key);
      ingest::SyncEntry entry;
      K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, key));
      if (value && !ingest::DecodeSyncEntry(*value, &entry)) entry = {};
      if (value || job.status == IngestStatus::kCompleted) {
        if (entry.etag.empty()) entry.etag = job.etag;
        const bool latest = entry.last_job_id.empty() || entry.last_job_id == job.job_id;
        if (job.status == IngestStatus::kCompleted) {
          entry.ingested_etag = job.etag;
          if (latest) {
            entry.state =
                entry.etag == job.etag ? ingest::SyncState::kIngested : ingest::SyncState::kPending;
          }
        } else if (latest) {
          entry.state = ingest::SyncState::kFailed;
        }
        if (entry.last_job_id.empty()) entry.last_job_id = job.job_id;
        batch->Put(kv::Cf::kRecords, key, ingest::EncodeSyncEntry(entry));
      }
    }
  }
  K3_RETURN_IF_ERROR(store_->Write(*batch));

  BucketCounts& counts = counts_[job.object.bucket];
  if (previous == IngestStatus::kPending && counts.pending > 0) --counts.pending;
  if (previous == IngestStatus::kProcessing && counts.processing > 0) --counts.processing;
  if (job.status == IngestStatus::kPending) ++counts.pending;
  if (job.status == IngestStatus::kProcessing) ++counts.processing;
  if (previous == IngestStatus::kProcessing && job.status == IngestStatus::kPending) {
    ++metrics_.job_retries;
  }
  if (finished) {
    if (job.status == IngestStatus::kCompleted) {
      ++metrics_.jobs_completed;
      ++metrics_.objects_ingested;
      metrics_.bytes_ingested += job.object_size;
    } else if (job.status == IngestStatus::kFailed) {
      ++metrics_.jobs_failed;
    } else {
      ++metrics_.jobs_cancelled;
    }
    if (job.status != IngestStatus::kCancelled) {
      const int64_t latency = std::max<int64_t>(0, job.finished_at - job.created_at);
      ++metrics_.latency_count;
      metrics_.latency_sum_ms += static_cast<uint64_t>(latency);
      size_t bucket_index = 0;
      while (bucket_index < std::size(IngestMetrics::kLatencyBucketsMs) &&
             latency > IngestMetrics::kLatencyBucketsMs[bucket_index]) {
        ++bucket_index;
      }
      ++latency_buckets_[bucket_index];
    }
  }
  changed_cv_.notify_all();
  return Status();
}

Result<IngestJob> IngestService::Impl::Trigger(const TriggerIngestRequest& r) {
  const std::string& bucket = r.object.bucket;
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  if (!r.pipeline_id.empty() && !r.rule_id.empty()) {
    return InvalidArgument("give pipelineId or ruleId, not both");
  }
  if (r.object.key.empty()) return InvalidArgument("object.key: must not be empty");
  K3_ASSIGN_OR_RETURN(ObjectInfo object, storage_->head_object(bucket, r.object.key));
  std::string pipeline_id = r.pipeline_id;
  std::string rule_id = r.rule_id;
  std::string source_id;
  if (!rule_id.empty()) {
    K3_ASSIGN_OR_RETURN(IngestRule rule, GetRule(bucket, rule_id));
    pipeline_id = rule.pipeline_id;
    source_id = rule.source_id;
  } else if (pipeline_id.empty()) {
    K3_ASSIGN_OR_RETURN(auto rules, RulesOf(bucket));
    const ingest::ObjectFacts facts{object.key, object.content_type, object.size};
    for (const CompiledRule& c : rules->ordered) {
      if (c.criteria.Matches(facts)) {
        rule_id = c.rule.rule_id;
        pipeline_id = c.rule.pipeline_id;
        source_id = c.rule.source_id;
        break;
      }
    }
    if (rule_id.empty()) {
      return FailedPrecondition("no enabled rule of bucket " + bucket + " matches object " +
                                r.object.key + "; give pipelineId or ruleId");
    }
  }
  if (!rule_id.empty() && source_id.empty()) {
    K3_ASSIGN_OR_RETURN(auto rules, RulesOf(bucket));
    source_id = rules->internal_source_id;
  }
  auto pipeline = pipelines_->Get(bucket, pipeline_id);
  if (!pipeline.ok()) {
    if (pipeline.status().code() == StatusCode::kNotFound) {
      return NotFound("pipeline " + pipeline_id + " does not exist in bucket " + bucket +
                      (rule_id.empty() ? std::string() : " (named by rule " + rule_id + ")"));
    }
    return pipeline.status();
  }
  K3_RETURN_IF_ERROR(pipelines_->CheckRunOptions(*pipeline, r.options));
  std::lock_guard lock(mu_);
  if (stopping_) return Unavailable("the database is closing");
  auto batch = store_->NewBatch();
  K3_ASSIGN_OR_RETURN(JobRecord rec,
                      AddNewJobLocked(*batch, object, *pipeline, rule_id, source_id, r.options));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  JobsCreatedLocked({rec});
  return rec.job;
}

Result<IngestJob> IngestService::Impl::GetJob(std::string_view bucket, std::string_view job_id) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  K3_ASSIGN_OR_RETURN(auto rec, LoadJob(bucket, job_id));
  if (!rec) {
    return NotFound("job " + std::string(job_id) + " does not exist in bucket " +
                    std::string(bucket));
  }
  return rec->job;
}

Result<ListIngestJobsResponse> IngestService::Impl::ListJobs(const ListIngestJobsRequest& r) {
  K3_RETURN_IF_ERROR(CheckBucket(r.bucket));
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(r.page_size, kDefaultPageSize, kMaxPageSize));
  if (r.status_filter &&
      (*r.status_filter == IngestStatus::kUnspecified || static_cast<int>(*r.status_filter) < 0 ||
       *r.status_filter > IngestStatus::kCancelled)) {
    return InvalidArgument("statusFilter: not a job status");
  }
  const std::string listing =
      "jobs/" + r.bucket + "/" +
      (r.status_filter ? IngestStatusName(*r.status_filter) : std::string("*")) + "/" +
      r.pipeline_id + "/" + r.rule_id;
  K3_ASSIGN_OR_RETURN(std::string before, util::DecodePageToken(listing, r.page_token));
  const std::string prefix = ingest::BucketPrefix("job", r.bucket);
  ListIngestJobsResponse out;
  int64_t total = 0;
  // Newest first: job ids are time-ordered, so walk the bucket's job keys backwards.
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
  for (it->SeekForPrev(ingest::PrefixEnd(prefix)); it->Valid() && it->key().starts_with(prefix);
       it->Prev()) {
    JobRecord rec;
    if (!ingest::DecodeJob(it->value(), &rec)) return DataLoss("ingest: malformed job record");
    const IngestJob& job = rec.job;
    if (r.status_filter && job.status != *r.status_filter) continue;
    if (!r.pipeline_id.empty() && job.pipeline_id != r.pipeline_id) continue;
    if (!r.rule_id.empty() && job.rule_id != r.rule_id) continue;
    ++total;
    if (!before.empty() && job.job_id >= before) continue;
    if (static_cast<int>(out.jobs.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token = util::EncodePageToken(listing, out.jobs.back().job_id);
      }
      continue;
    }
    out.jobs.push_back(std::move(rec.job));
  }
  K3_RETURN_IF_ERROR(it->status());
  out.pagination.total_count = total;
  return out;
}

Result<IngestJob> IngestService::Impl::CancelJob(std::string_view bucket, std::string_view job_id) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  std::lock_guard lock(mu_);
  K3_ASSIGN_OR_RETURN(auto rec, LoadJob(bucket, job_id));
  if (!rec) {
    return NotFound("job " + std::string(job_id) + " does not exist in bucket " +
                    std::string(bucket));
  }
  if (rec->job.status != IngestStatus::kPending) {
    return FailedPrecondition("job " + std::string(job_id) + " is " +
                              IngestStatusName(rec->job.status) +
                              "; only a PENDING job can be cancelled");
  }
  rec->job.status = IngestStatus::kCancelled;
  rec->job.error_message = "cancelled";
  K3_RETURN_IF_ERROR(CommitTransitionLocked(*rec, IngestStatus::kPending));
  return rec->job;
}

Result<IngestJob> IngestService::Impl::Wait(std::string_view bucket, std::string_view job_id,
                                            int64_t timeout_ms) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  const auto deadline = DeadlineAfter(timeout_ms);
  std::unique_lock lock(mu_);
  for (;;) {
    K3_ASSIGN_OR_RETURN(auto rec, LoadJob(bucket, job_id));
    if (!rec) {
      return NotFound("job " + std::string(job_id) + " does not exist in bucket " +
                      std::string(bucket));
    }
    if (IsFinished(rec->job.status)) return rec->job;
    if (stopping_) return Unavailable("the database is closing");
    if (!deadline) {
      changed_cv_.wait(lock);
    } else if (changed_cv_.wait_until(lock, *deadline) == std::cv_status::timeout) {
      K3_ASSIGN_OR_RETURN(auto last, LoadJob(bucket, job_id));
      if (last && IsFinished(last->job.status)) return last->job;
      return DeadlineExceeded("job " + std::string(job_id) + " is still " +
                              (last ? IngestStatusName(last->job.status) : "unknown") + " after " +
                              std::to_string(timeout_ms) + " ms");
    }
  }
}

Status IngestService::Impl::WaitIdle(std::string_view bucket, int64_t timeout_ms) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  const uint64_t target = events_->LastOffset();
  const auto deadline = DeadlineAfter(timeout_ms);
  std::unique_lock lock(mu_);
  auto idle = [&] {
    if (dispatched_offset_ < target) return false;
    auto it = counts_.find(bucket);
    return it == counts_.end() || (it->second.pending == 0 && it->second.processing == 0);
  };
  while (!idle()) {
    if (stopping_) return Unavailable("the database is closing");
    if (!deadline) {
      changed_cv_.wait(lock);
    } else if (changed_cv_.wait_until(lock, *deadline) == std::cv_status::timeout && !idle()) {
      const BucketCounts counts = counts_[std::string(bucket)];
      return DeadlineExceeded(
          "bucket " + std::string(bucket) + " is not idle after " + std::to_string(timeout_ms) +
          " ms: " + std::to_string(counts.pending) + " pending, " +
          std::to_string(counts.processing) + " processing, " +
          std::to_string(target - std::min(target, dispatched_offset_)) + " events not dispatched");
    }
  }
  return Status();
}

Result<IngestActivity> IngestService::Impl::Activity(std::string_view bucket) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  const uint64_t last = events_->LastOffset();
  std::lock_guard lock(mu_);
  IngestActivity out;
  out.undispatched_events = last - std::min(last, dispatched_offset_);
  if (auto it = counts_.find(bucket); it != counts_.end()) {
    out.pending = it->second.pending;
    out.processing = it->second.processing;
  }
  return out;
}

IngestMetrics IngestService::Impl::Metrics() {
  std::lock_guard lock(mu_);
  IngestMetrics out = metrics_;
  out.queue_depth = 0;
  out.jobs_processing = 0;
  for (const auto& [bucket, counts] : counts_) {
    out.queue_depth += counts.pending;
    out.jobs_processing += counts.processing;
  }
  uint64_t cumulative = 0;
  out.latency_bucket_counts.clear();
  for (uint64_t n : latency_buckets_) out.latency_bucket_counts.push_back(cumulative += n);
  return out;
}

}  // namespace k3
