// wire/events_json.h: the JSON form of the events log's Event (k3/events.h), both ways,
// following the conventions of wire/json_util.h (see wire/storage_json.h for the contract of
// ToJson / FromJson).
// Thread-safety: free functions on values.
#ifndef K3_WIRE_EVENTS_JSON_H_
#define K3_WIRE_EVENTS_JSON_H_

#include <string_view>

#include "k3/events.h"
#include "wire/json_util.h"

namespace k3::wire {

// {offset, type, bucket, key, etag, size, contentType, time}; offset, size and time as strings.
Json ToJson(const Event& v);
Status FromJson(const Json& j, Event* out, std::string_view path = {});

}  // namespace k3::wire

#endif  // K3_WIRE_EVENTS_JSON_H_
