// k3/events.h: the events log — an append-only, durable sequence of what happened to objects.
// Offsets start at 1 and increase by one per event, in commit order; an event is written in
// the same atomic batch as the change it describes, so the log never misses or invents one.
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_EVENTS_H_
#define K3_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

inline constexpr const char* kEventObjectCreated = "object.created";
inline constexpr const char* kEventObjectDeleted = "object.deleted";

struct Event {
  uint64_t offset = 0;
  std::string type;  // kEventObjectCreated or kEventObjectDeleted
  std::string bucket;
  std::string key;
  std::string etag;  // of the written object; of the deleted one for deletes
  uint64_t size = 0;
  std::string content_type;
  TimestampMs time = 0;
};

class K3_EXPORT EventLog {
 public:
  class Impl;
  explicit EventLog(Impl* impl) : impl_(impl) {}

  // Events with offset >= from_offset, in order, at most max_events (0 = 1000).
  Result<std::vector<Event>> read(uint64_t from_offset, size_t max_events = 0);
  // The offset of the newest event, 0 when the log is empty.
  uint64_t last_offset();

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_EVENTS_H_
