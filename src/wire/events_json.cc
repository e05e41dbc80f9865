// The JSON form of Event: see events_json.h.
#include "wire/events_json.h"

namespace k3::wire {

Json ToJson(const Event& v) {
  return Json{
      {"offset", Uint64Json(v.offset)},
      {"type", v.type},
      {"bucket", v.bucket},
      {"key", v.key},
      {"etag", v.etag},
      {"size", Uint64Json(v.size)},
      {"contentType", v.content_type},
      {"time", Int64Json(v.time)},
  };
}

Status FromJson(const Json& j, Event* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("offset", &out->offset));
  K3_RETURN_IF_ERROR(f.Get("type", &out->type));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  K3_RETURN_IF_ERROR(f.Get("etag", &out->etag));
  K3_RETURN_IF_ERROR(f.Get("size", &out->size));
  K3_RETURN_IF_ERROR(f.Get("contentType", &out->content_type));
  return f.Get("time", &out->time);
}

}  // namespace k3::wire
