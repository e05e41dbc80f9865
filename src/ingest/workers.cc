// ingest/workers.cc: IngestService::Impl — the worker pool: take a runnable job, mark it
// PROCESSING, run its pipeline, record the outcome (or schedule a retry).
#include <algorithm>

#include "ingest/ingest_impl.h"
#include "util/clock.h"

namespace k3 {

using ingest::JobRecord;

namespace {

constexpr int64_t kMaxBackoffMs = 60'000;

// Errors that another attempt may not repeat.
bool MayBeTransient(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
         code == StatusCode::kAborted || code == StatusCode::kInternal ||
         code == StatusCode::kUnknown;
}

}  // namespace

void IngestService::Impl::WorkerLoop(int worker_index) {
  while (auto queued = queue_.Pop()) RunJob(*queued, worker_index);
}

void IngestService::Impl::RunJob(const ingest::QueuedJob& queued, int worker_index) {
  JobRecord rec;
  {
    std::lock_guard lock(mu_);
    auto loaded = LoadJob(queued.bucket, queued.job_id);
    if (!loaded.ok()) {
      logger_.Error("ingest: cannot read job " + queued.job_id + ": " + loaded.status().message());
      return;
    }
    // Cancelled since it was queued, or its bucket was deleted.
    if (!*loaded || (*loaded)->job.status != IngestStatus::kPending) return;
    rec = std::move(**loaded);
    rec.job.status = IngestStatus::kProcessing;
    ++rec.job.attempts;
    rec.job.started_at = util::NowMs();
    rec.job.thread_id = "worker_" + std::to_string(worker_index);
    if (Status s = CommitTransitionLocked(rec, IngestStatus::kPending); !s.ok()) {
      logger_.Error("ingest: cannot start job " + queued.job_id + ": " + s.message());
      return;
    }
  }

  auto result = pipelines_->Run({.bucket = rec.job.object.bucket,
                                 .pipeline_id = rec.job.pipeline_id,
                                 .key = rec.job.object.key,
                                 .options = rec.job.options});
  IngestJob& job = rec.job;
  if (result.ok()) {
    job.status = IngestStatus::kCompleted;
    job.chunks_created = result->chunks_created;
    job.embeddings_created = result->embeddings_created;
    job.embeddings_written = result->embeddings_written;
    job.rows_written = result->rows_written;
    job.rows_skipped = result->rows_skipped;
    job.batches_received = result->batches_received;
    job.output_size = result->output_size;
    job.error_message = result->rows_skipped > 0
                            ? std::to_string(result->rows_skipped) +
                                  " rows skipped; first: " + result->skipped_sample
                            : std::string();
    if (job.pipeline_kind == PipelineKind::kVector) job.vector_status = "success";
  } else {
    if (storage_->get_bucket(job.object.bucket).status().code() == StatusCode::kNotFound) {
      return;  // the bucket was deleted with its jobs
    }
    SettleFailure(rec, result.status());
  }

  std::lock_guard lock(mu_);
  // The bucket may have been deleted while the pipeline ran; its jobs are gone then.
  auto current = LoadJob(job.object.bucket, job.job_id);
  if (!current.ok() || !*current) return;
  if (Status s = CommitTransitionLocked(rec, IngestStatus::kProcessing); !s.ok()) {
    // The job stays PROCESSING in the store and runs again after the next open.
    logger_.Error("ingest: cannot record the outcome of job " + job.job_id + ": " + s.message());
    return;
  }
  if (job.status == IngestStatus::kPending) {
    queue_.Push({job.object.bucket, job.job_id}, rec.not_before);
  }
}

void IngestService::Impl::SettleFailure(JobRecord& rec, const Status& error) {
  IngestJob& job = rec.job;
  if (job.pipeline_kind == PipelineKind::kVector) job.vector_status = "failed";
  if (error.code() == StatusCode::kNotFound) {
    if (pipelines_->Get(job.object.bucket, job.pipeline_id).status().code() ==
        StatusCode::kNotFound) {
      job.status = IngestStatus::kFailed;
      job.error_message = "pipeline " + job.pipeline_id + " no longer exists (it was deleted)";
      if (!job.rule_id.empty()) {
        job.error_message += "; rule " + job.rule_id + " still names it: update or delete the rule";
      }
      return;
    }
    if (storage_->head_object(job.object.bucket, job.object.key).status().code() ==
        StatusCode::kNotFound) {
      job.status = IngestStatus::kCancelled;
      job.vector_status.clear();
      job.error_message = "object " + job.object.key + " was deleted before the job ran";
      return;
    }
  }
  if (MayBeTransient(error.code()) && static_cast<int>(job.attempts) < max_attempts_) {
    const int shift = std::min<int>(static_cast<int>(job.attempts) - 1, 20);
    const int64_t backoff = std::min(kMaxBackoffMs, retry_backoff_ms_ << shift);
    rec.not_before = util::NowMs() + backoff;
    job.status = IngestStatus::kPending;
    job.vector_status.clear();
    job.error_message = "attempt " + std::to_string(job.attempts) + " failed (" + error.ToString() +
                        "); retrying in " + std::to_string(backoff) + " ms";
    return;
  }
  job.status = IngestStatus::kFailed;
  job.error_message = error.ToString();
  if (job.attempts > 1) {
    job.error_message += " (after " + std::to_string(job.attempts) + " attempts)";
  }
}

}  // namespace k3
