// PipelineService's RPCs (K3's dodil.k3.pipeline.v1) in the RPC table, plus the routes other
// services' APIs give to pipelines: VectorService.CreateVectorPipeline
// (POST /:bucket/vector/pipelines), TableService.CreateTablePipeline
// (POST /:bucket/tables/pipelines) and TableService.ListTableTemplates
// (GET /:bucket/tables/_templates).
#include "wire/pipelines_json.h"
#include "wire/rpc_table.h"

namespace k3::wire {

namespace {

Status BucketAndPipeline(const Fields& f, std::string* bucket, std::string* pipeline_id) {
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  return f.Get("pipelineId", pipeline_id);
}

Json TemplatesJson(const std::vector<Template>& templates, std::optional<PipelineKind> kind) {
  Json list = Json::array();
  for (const Template& t : templates) {
    if (!kind || t.kind == *kind) list.push_back(ToJson(t));
  }
  return Json{{"templates", std::move(list)}};
}

// The create forms of the vector and table APIs: the destination is named by `dest_field`,
// and a template of another kind is refused.
Result<Json> CreateOfKind(Db& db, const Json& req, PipelineKind kind, std::string_view dest_field,
                          std::string_view default_template) {
  CreatePipelineRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string dest;
  K3_RETURN_IF_ERROR(f.Get(dest_field, &dest));
  if (!dest.empty()) r.store_entity_id = dest;
  if (r.template_id.empty()) r.template_id = std::string(default_template);
  if (r.template_id.empty()) {
    return InvalidArgument("a template id is required (scriptumTemplate or templateId)");
  }
  Result<Template> t = db.pipelines().get_template(r.template_id);
  if (t.ok() && t->kind != kind) {
    return InvalidArgument("template " + r.template_id + " writes " +
                           std::string(PipelineKindWire(t->kind)) + " destinations, not " +
                           std::string(PipelineKindWire(kind)));
  }
  K3_ASSIGN_OR_RETURN(Pipeline p, db.pipelines().create_pipeline(r));
  return ToJson(p);
}

Result<Json> CreatePipeline(Db& db, const Json& req) {
  CreatePipelineRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Pipeline p, db.pipelines().create_pipeline(r));
  return ToJson(p);
}

Result<Json> GetPipeline(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, id;
  K3_RETURN_IF_ERROR(BucketAndPipeline(f, &bucket, &id));
  K3_ASSIGN_OR_RETURN(Pipeline p, db.pipelines().get_pipeline(bucket, id));
  return ToJson(p);
}

Result<Json> ListPipelines(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  ListPipelinesRequest r;
  K3_RETURN_IF_ERROR(f.Get("bucket", &r.bucket));
  std::string key;
  if (const Json* kind = f.Find("storeEntityKind", &key)) {
    PipelineKind k = PipelineKind::kUnspecified;
    K3_RETURN_IF_ERROR(ParsePipelineKind(*kind, JoinPath(f.path(), key), &k));
    if (k != PipelineKind::kUnspecified) r.store_entity_kind = k;
  }
  K3_RETURN_IF_ERROR(f.Get("storeEntityId", &r.store_entity_id));
  int32_t page_size = 0;
  K3_RETURN_IF_ERROR(f.Get("pageSize", &page_size));
  r.page_size = page_size;
  K3_RETURN_IF_ERROR(f.Get("pageToken", &r.page_token));
  K3_ASSIGN_OR_RETURN(ListPipelinesResponse out, db.pipelines().list_pipelines(r));
  Json list = Json::array();
  for (const Pipeline& p : out.pipelines) list.push_back(ToJson(p));
  return Json{{"pipelines", std::move(list)}, {"pagination", PaginationJson(out.pagination)}};
}

Result<Json> UpdatePipeline(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  UpdatePipelineRequest r;
  K3_RETURN_IF_ERROR(BucketAndPipeline(f, &r.bucket, &r.pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("name", &r.name));
  K3_RETURN_IF_ERROR(f.Get("description", &r.description));
  if (f.Has("options")) {
    std::map<std::string, std::string> options;
    K3_RETURN_IF_ERROR(ParseOptions(f, "options", &options));
    r.options = std::move(options);
  }
  K3_ASSIGN_OR_RETURN(Pipeline p, db.pipelines().update_pipeline(r));
  return ToJson(p);
}

Result<Json> DeletePipeline(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, id;
  K3_RETURN_IF_ERROR(BucketAndPipeline(f, &bucket, &id));
  K3_RETURN_IF_ERROR(db.pipelines().delete_pipeline(bucket, id));
  return EmptyResponse();
}

Result<Json> ListTemplates(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::optional<PipelineKind> kind;
  std::string key;
  if (const Json* k = f.Find("kind", &key)) {
    PipelineKind parsed = PipelineKind::kUnspecified;
    K3_RETURN_IF_ERROR(ParsePipelineKind(*k, JoinPath(f.path(), key), &parsed));
    if (parsed != PipelineKind::kUnspecified) kind = parsed;
  }
  return TemplatesJson(db.pipelines().list_templates(), kind);
}

Result<Json> GetTemplate(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string id;
  K3_RETURN_IF_ERROR(f.Get("templateId", &id));
  K3_ASSIGN_OR_RETURN(Template t, db.pipelines().get_template(id));
  return ToJson(t);
}

// Ours: {bucket, pipelineId, key | object {key}, options} -> the run's counters.
Result<Json> RunPipeline(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  RunPipelineRequest r;
  K3_RETURN_IF_ERROR(BucketAndPipeline(f, &r.bucket, &r.pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("key", &r.key));
  std::optional<Fields> object;
  K3_RETURN_IF_ERROR(f.GetObject("object", &object));
  if (object) K3_RETURN_IF_ERROR(object->Get("key", &r.key));
  K3_RETURN_IF_ERROR(ParseOptions(f, "options", &r.options));
  K3_ASSIGN_OR_RETURN(PipelineRunResult out, db.pipelines().run(r));
  return ToJson(out);
}

Result<Json> CreateVectorPipeline(Db& db, const Json& req) {
  return CreateOfKind(db, req, PipelineKind::kVector, "collectionName", "text_embedding_index");
}

Result<Json> CreateTablePipeline(Db& db, const Json& req) {
  return CreateOfKind(db, req, PipelineKind::kWarehouse, "tableName", "");
}

Result<Json> ListTableTemplates(Db& db, const Json&) {
  return TemplatesJson(db.pipelines().list_templates(), PipelineKind::kWarehouse);
}

}  // namespace

void RegisterPipelineRpcs(RpcTable& table) {
  table.Add("PipelineService", "CreatePipeline", CreatePipeline);
  table.Add("PipelineService", "GetPipeline", GetPipeline);
  table.Add("PipelineService", "ListPipelines", ListPipelines);
  table.Add("PipelineService", "UpdatePipeline", UpdatePipeline);
  table.Add("PipelineService", "DeletePipeline", DeletePipeline);
  table.Add("PipelineService", "ListTemplates", ListTemplates);
  table.Add("PipelineService", "GetTemplate", GetTemplate);
  table.Add("PipelineService", "RunPipeline", RunPipeline);
  table.Add("VectorService", "CreateVectorPipeline", CreateVectorPipeline);
  table.Add("TableService", "CreateTablePipeline", CreateTablePipeline);
  table.Add("TableService", "ListTableTemplates", ListTableTemplates);
}

}  // namespace k3::wire
