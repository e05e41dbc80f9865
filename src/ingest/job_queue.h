// ingest/job_queue.h: the in-memory queue of runnable jobs that the workers take from, fair
// across buckets: buckets with ready jobs take turns (round robin), and within a bucket jobs
// run in the order they were pushed. A bucket's backlog of 10k jobs therefore delays another
// bucket's single job by at most one job per worker.
//
// The queue is a cache of the store's "jobq/" index, rebuilt on open; a popped job may have
// been cancelled since it was pushed, and the worker must check its record.
// Thread-safety: all methods are thread-safe.
#ifndef K3_INGEST_JOB_QUEUE_H_
#define K3_INGEST_JOB_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace k3::ingest {

struct QueuedJob {
  std::string bucket;
  std::string job_id;
};

class JobQueue {
 public:
  // Adds a job that may run from `not_before_ms` (Unix ms; 0 = now).
  void Push(QueuedJob job, int64_t not_before_ms = 0);
  // Blocks until a job is ready or Stop() was called; nullopt means stop.
  std::optional<QueuedJob> Pop();
  // Forgets every job of `bucket` (the bucket was deleted).
  void DropBucket(const std::string& bucket);
  // Wakes every Pop() and makes them return nullopt from now on.
  void Stop();

 private:
  // Moves delayed jobs whose time has come to the ready queues. Requires mu_.
  void PromoteDueLocked(int64_t now_ms);
  void PushReadyLocked(QueuedJob job);

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::map<std::string, std::deque<std::string>> ready_;  // bucket -> job ids
  std::deque<std::string> turns_;  // buckets with ready jobs, in turn order, each once
  std::multimap<int64_t, QueuedJob> delayed_;
};

}  // namespace k3::ingest

#endif  // K3_INGEST_JOB_QUEUE_H_
