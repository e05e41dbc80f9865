// EventService (ours: the events log, k3/events.h) in the RPC table.
#include "wire/events_json.h"
#include "wire/rpc_table.h"

namespace k3::wire {

namespace {

// {fromOffset, maxEvents (0 = 1000)} -> {events, lastOffset}. lastOffset is the offset of the
// newest event in the log (0 when empty), read after the events, so a reader is caught up when
// its next fromOffset exceeds it.
Result<Json> ReadEvents(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  uint64_t from_offset = 0;
  uint64_t max_events = 0;
  K3_RETURN_IF_ERROR(f.Get("fromOffset", &from_offset));
  K3_RETURN_IF_ERROR(f.Get("maxEvents", &max_events));
  K3_ASSIGN_OR_RETURN(std::vector<Event> events,
                      db.events().read(from_offset, static_cast<size_t>(max_events)));
  uint64_t last = db.events().last_offset();
  Json list = Json::array();
  for (const Event& e : events) {
    if (e.offset > last) last = e.offset;
    list.push_back(ToJson(e));
  }
  return Json{{"events", std::move(list)}, {"lastOffset", Uint64Json(last)}};
}

}  // namespace

void RegisterEventRpcs(RpcTable& table) { table.Add("EventService", "ReadEvents", &ReadEvents); }

}  // namespace k3::wire
