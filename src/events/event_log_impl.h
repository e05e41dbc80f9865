// events/event_log_impl.h: the events log's writer side. Every write that carries events goes
// through Commit, which assigns the next offsets and applies the batch under one mutex, so
// offsets are dense and their order is the order in which changes became visible.
// Thread-safety: all methods are thread-safe.
#ifndef K3_EVENTS_EVENT_LOG_IMPL_H_
#define K3_EVENTS_EVENT_LOG_IMPL_H_

#include <functional>
#include <mutex>
#include <vector>

#include "k3/events.h"
#include "kv/store.h"

namespace k3 {

class K3_HIDDEN EventLog::Impl {
 public:
  // Finds the last offset in the store.
  static Result<std::unique_ptr<Impl>> Open(kv::Store* store);

  // Appends `events` (their offsets are assigned here) to `batch` and writes it atomically.
  // On error nothing is written and no offset is consumed.
  Status Commit(kv::Batch& batch, std::vector<Event> events);

  // `listener` is called after every successful Commit, outside any lock. Set once while the
  // Db opens, before other threads use the log.
  void SetCommitListener(std::function<void()> listener) { listener_ = std::move(listener); }

  Result<std::vector<Event>> Read(uint64_t from_offset, size_t max_events) const;
  uint64_t LastOffset() const;

  static std::string EncodeEvent(const Event& e);
  static bool DecodeEvent(std::string_view key, std::string_view value, Event* e);

 private:
  explicit Impl(kv::Store* store) : store_(store) {}
  kv::Store* store_;
  mutable std::mutex mu_;
  uint64_t last_offset_ = 0;  // guarded by mu_
  std::function<void()> listener_;
};

}  // namespace k3

#endif  // K3_EVENTS_EVENT_LOG_IMPL_H_
