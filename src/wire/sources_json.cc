// The K3 JSON form of SourceService's types: see sources_json.h.
#include "wire/sources_json.h"

#include <utility>

namespace k3::wire {

Json ToJson(const Source& v) {
  return Json{
      {"sourceId", v.source_id},
      {"bucket", v.bucket},
      {"provider", EnumJson(kSourceProviderEnum, v.provider)},
      {"name", v.name},
      {"description", v.description},
      {"rootPath", v.root_path},
      {"providerAccount", v.provider_account},
      {"syncIntervalSeconds", Int64Json(v.sync_interval_seconds)},
      {"enabled", v.enabled},
      {"status", EnumJson(kSourceStatusEnum, v.status)},
      {"totalObjects", Uint64Json(v.total_objects)},
      {"indexedObjects", Uint64Json(v.indexed_objects)},
      {"totalBytes", Uint64Json(v.total_bytes)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"lastSyncAt", Int64Json(v.last_sync_at)},
      {"lastSuccessAt", Int64Json(v.last_success_at)},
  };
}

Status FromJson(const Json& j, Source* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("rootPath", &out->root_path));
  K3_RETURN_IF_ERROR(f.Get("providerAccount", &out->provider_account));
  K3_RETURN_IF_ERROR(f.Get("syncIntervalSeconds", &out->sync_interval_seconds));
  K3_RETURN_IF_ERROR(f.Get("enabled", &out->enabled));
  K3_RETURN_IF_ERROR(f.GetEnum("status", kSourceStatusEnum, &out->status));
  K3_RETURN_IF_ERROR(f.Get("totalObjects", &out->total_objects));
  K3_RETURN_IF_ERROR(f.Get("indexedObjects", &out->indexed_objects));
  K3_RETURN_IF_ERROR(f.Get("totalBytes", &out->total_bytes));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  K3_RETURN_IF_ERROR(f.Get("updatedAt", &out->updated_at));
  K3_RETURN_IF_ERROR(f.Get("lastSyncAt", &out->last_sync_at));
  return f.Get("lastSuccessAt", &out->last_success_at);
}

Json ToJson(const ListSourcesRequest& v) {
  return Json{{"bucket", v.bucket}, {"pageSize", v.page_size}, {"pageToken", v.page_token}};
}

Status FromJson(const Json& j, ListSourcesRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("pageSize", &out->page_size));
  return f.Get("pageToken", &out->page_token);
}

Json ToJson(const ListSourcesResponse& v) {
  Json sources = Json::array();
  for (const Source& s : v.sources) sources.push_back(ToJson(s));
  return Json{{"sources", std::move(sources)}, {"pagination", PaginationJson(v.pagination)}};
}

Status FromJson(const Json& j, ListSourcesResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  const Json* array = nullptr;
  std::string array_path;
  K3_RETURN_IF_ERROR(f.GetArray("sources", &array, &array_path));
  if (array != nullptr) {
    std::vector<Source> sources(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      K3_RETURN_IF_ERROR(FromJson((*array)[i], &sources[i], IndexPath(array_path, i)));
    }
    out->sources = std::move(sources);
  }
  if (const Json* p = f.Find("pagination")) {
    K3_RETURN_IF_ERROR(ParsePagination(*p, f.PathOf("pagination"), &out->pagination));
  }
  return Status::Ok();
}

}  // namespace k3::wire
