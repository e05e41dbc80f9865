// The public JSON helpers of k3/json.h: thin wrappers over the wire codecs, so that their
// forms are by construction those of Db::call.
#include "k3/json.h"

#include <utility>

#include "wire/ingest_json.h"
#include "wire/json_util.h"
#include "wire/tables_json.h"
#include "wire/vectors_json.h"

namespace k3 {

Result<Metadata> ParseMetadataJson(std::string_view json) {
  K3_ASSIGN_OR_RETURN(wire::Json parsed, wire::ParseJson(json));
  Metadata out;
  K3_RETURN_IF_ERROR(wire::ParseMetadata(parsed, "metadata", &out));
  return out;
}

std::string MetadataToJson(const Metadata& metadata) {
  return wire::DumpJson(wire::MetadataJson(metadata));
}

Result<VectorFilter> ParseVectorFilterJson(std::string_view json) {
  K3_ASSIGN_OR_RETURN(wire::Json parsed, wire::ParseJson(json));
  VectorFilter out;
  K3_RETURN_IF_ERROR(wire::FromJson(parsed, &out, "filter"));
  return out;
}

Result<std::vector<Value>> ParseSqlParamsJson(std::string_view json) {
  K3_ASSIGN_OR_RETURN(wire::Json parsed, wire::ParseJson(json));
  if (!parsed.is_array()) return InvalidArgument("SQL parameters must be a JSON array");
  std::vector<Value> out;
  K3_RETURN_IF_ERROR(wire::ParamsFromJson(&parsed, "params", &out));
  return out;
}

std::string IngestJobToJson(const IngestJob& job) { return wire::DumpJson(wire::ToJson(job)); }

}  // namespace k3
