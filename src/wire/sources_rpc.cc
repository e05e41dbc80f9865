// SourceService's RPCs (K3's dodil.k3.source.v1) in the RPC table.
#include <string>

#include "wire/rpc_table.h"
#include "wire/sources_json.h"

namespace k3::wire {

namespace {

// {bucket, sourceId} -> Source
Result<Json> GetSource(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, source_id;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &source_id));
  K3_ASSIGN_OR_RETURN(Source source, db.sources().get_source(bucket, source_id));
  return ToJson(source);
}

// {bucket, pageSize, pageToken} -> {sources, pagination}
Result<Json> ListSources(Db& db, const Json& req) {
  ListSourcesRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListSourcesResponse resp, db.sources().list_sources(r));
  return ToJson(resp);
}

}  // namespace

void RegisterSourceRpcs(RpcTable& table) {
  constexpr std::string_view kService = "SourceService";
  table.Add(kService, "GetSource", &GetSource);
  table.Add(kService, "ListSources", &ListSources);
}

}  // namespace k3::wire
