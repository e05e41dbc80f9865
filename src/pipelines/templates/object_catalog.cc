// pipelines/templates/object_catalog.cc: object_catalog — one row per object.
#include <nlohmann/json.hpp>

#include "pipelines/templates/template.h"

namespace k3::pipelines {
namespace {

std::vector<Column> CatalogColumns() {
  return {{"key", ColumnType::kString, false},         {"size", ColumnType::kLong, false},
          {"content_type", ColumnType::kString, true}, {"etag", ColumnType::kString, true},
          {"metadata", ColumnType::kJson, true},       {"created_at", ColumnType::kTimestamp, true},
          {"updated_at", ColumnType::kTimestamp, true}};
}

}  // namespace

Status RunObjectCatalog(const RunContext& ctx, RowOutput& out) {
  Result<Table> table = out.Existing();
  if (!table.ok() && table.status().code() != StatusCode::kNotFound) return table.status();
  if (!table.ok()) {
    K3_ASSIGN_OR_RETURN(table, out.Create(CatalogColumns(), ctx.pipeline.pipeline_id));
  }
  const ObjectInfo& o = ctx.object;
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [k, v] : o.metadata) metadata[k] = v;
  Row row = {{"key", o.key},
             {"size", static_cast<int64_t>(o.size)},
             {"content_type", o.content_type},
             {"etag", o.etag},
             {"metadata", metadata.dump()},
             {"created_at", static_cast<int64_t>(o.created_at)},
             {"updated_at", static_cast<int64_t>(o.updated_at)}};
  K3_RETURN_IF_ERROR(out.Write({row}));
  ctx.result->rows_written = 1;
  ctx.result->batches_received = 1;
  ctx.result->output_size = o.key.size() + o.content_type.size() + o.etag.size();
  return Status();
}

}  // namespace k3::pipelines
