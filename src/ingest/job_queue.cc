// ingest/job_queue.cc: see job_queue.h.
#include "ingest/job_queue.h"

#include <algorithm>
#include <chrono>

#include "util/clock.h"

namespace k3::ingest {

void JobQueue::Push(QueuedJob job, int64_t not_before_ms) {
  {
    std::lock_guard lock(mu_);
    if (not_before_ms > util::NowMs()) {
      delayed_.emplace(not_before_ms, std::move(job));
    } else {
      PushReadyLocked(std::move(job));
    }
  }
  cv_.notify_one();
}

void JobQueue::PushReadyLocked(QueuedJob job) {
  auto& queue = ready_[job.bucket];
  if (queue.empty()) turns_.push_back(job.bucket);
  queue.push_back(std::move(job.job_id));
}

void JobQueue::PromoteDueLocked(int64_t now_ms) {
  while (!delayed_.empty() && delayed_.begin()->first <= now_ms) {
    PushReadyLocked(std::move(delayed_.begin()->second));
    delayed_.erase(delayed_.begin());
  }
}

std::optional<QueuedJob> JobQueue::Pop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopped_) return std::nullopt;
    PromoteDueLocked(util::NowMs());
    if (!turns_.empty()) {
      std::string bucket = std::move(turns_.front());
      turns_.pop_front();
      auto it = ready_.find(bucket);
      QueuedJob job{bucket, std::move(it->second.front())};
      it->second.pop_front();
      if (it->second.empty()) {
        ready_.erase(it);
      } else {
        turns_.push_back(std::move(bucket));
      }
      return job;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      const int64_t wait_ms = std::max<int64_t>(1, delayed_.begin()->first - util::NowMs());
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
    }
  }
}

void JobQueue::DropBucket(const std::string& bucket) {
  std::lock_guard lock(mu_);
  ready_.erase(bucket);
  turns_.erase(std::remove(turns_.begin(), turns_.end(), bucket), turns_.end());
  for (auto it = delayed_.begin(); it != delayed_.end();) {
    it = it->second.bucket == bucket ? delayed_.erase(it) : std::next(it);
  }
}

void JobQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace k3::ingest
