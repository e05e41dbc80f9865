// wire/pipelines_json.cc: PipelineService values <-> JSON.
#include "wire/pipelines_json.h"

#include <algorithm>
#include <cctype>

namespace k3::wire {

std::string_view PipelineKindWire(PipelineKind kind) {
  switch (kind) {
    case PipelineKind::kVector:
      return "vector";
    case PipelineKind::kWarehouse:
      return "warehouse";
    case PipelineKind::kUnspecified:
      break;
  }
  return "";
}

Status ParsePipelineKind(const Json& v, std::string_view path, PipelineKind* out) {
  if (!v.is_string()) {
    return InvalidArgument("invalid field \"" + std::string(path) +
                           "\": expected \"vector\" or \"warehouse\"");
  }
  std::string s = v.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view prefix : {"pipeline_kind_", "store_entity_kind_"}) {
    if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  }
  if (s == "vector") {
    *out = PipelineKind::kVector;
  } else if (s == "warehouse" || s == "table") {
    *out = PipelineKind::kWarehouse;
  } else if (s.empty() || s == "unspecified") {
    *out = PipelineKind::kUnspecified;
  } else {
    return InvalidArgument("invalid field \"" + std::string(path) +
                           "\": expected \"vector\" or \"warehouse\", got \"" +
                           v.get<std::string>() + "\"");
  }
  return Status();
}

Json ToJson(const Pipeline& p) {
  return Json{
      {"pipelineId", p.pipeline_id},
      {"bucket", p.bucket},
      {"name", p.name},
      {"description", p.description},
      {"scriptumTemplate", p.template_id},
      {"templateId", p.template_id},
      {"options", StringMapJson(p.options)},
      {"storeEntityKind", std::string(PipelineKindWire(p.store_entity_kind))},
      {"storeEntityId", p.store_entity_id},
      {"createdAt", Int64Json(p.created_at)},
      {"updatedAt", Int64Json(p.updated_at)},
  };
}

Json ToJson(const Template& t) {
  Json options = Json::array();
  for (const TemplateOption& o : t.options) {
    static constexpr std::string_view kTypes[] = {"string", "int", "bool", "enum"};
    options.push_back(Json{
        {"name", o.name},
        {"type", std::string(kTypes[static_cast<int>(o.type)])},
        {"default", o.default_value},
        {"doc", o.doc},
        {"allowed", StringListJson(o.allowed)},
        {"min", Int64Json(o.min)},
        {"max", Int64Json(o.max)},
        {"required", o.required},
    });
  }
  return Json{
      {"templateId", t.template_id},
      {"name", t.name},
      {"description", t.description},
      {"kind", std::string(PipelineKindWire(t.kind))},
      {"contentTypes", StringListJson(t.content_types)},
      {"options", std::move(options)},
  };
}

Json ToJson(const PipelineRunResult& r) {
  return Json{
      {"chunksCreated", Uint64Json(r.chunks_created)},
      {"embeddingsCreated", Uint64Json(r.embeddings_created)},
      {"embeddingsWritten", Uint64Json(r.embeddings_written)},
      {"rowsWritten", Uint64Json(r.rows_written)},
      {"rowsSkipped", Uint64Json(r.rows_skipped)},
      {"skippedSample", r.skipped_sample},
      {"batchesReceived", Uint64Json(r.batches_received)},
      {"outputSize", Uint64Json(r.output_size)},
      {"invalidBytesReplaced", Uint64Json(r.invalid_bytes_replaced)},
      {"contentType", r.content_type},
  };
}

Status ParseOptions(const Fields& f, std::string_view name,
                    std::map<std::string, std::string>* out) {
  std::string key;
  const Json* v = f.Find(name, &key);
  if (v == nullptr) return Status();
  const std::string path = JoinPath(f.path(), key);
  if (!v->is_object()) {
    return InvalidArgument("invalid field \"" + path + "\": expected an object of strings");
  }
  out->clear();
  for (const auto& [k, value] : v->items()) {
    if (value.is_string()) {
      (*out)[k] = value.get<std::string>();
    } else if (value.is_boolean()) {
      (*out)[k] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_integer()) {
      (*out)[k] = value.dump();
    } else {
      return InvalidArgument("invalid field \"" + JoinPath(path, k) +
                             "\": expected a string (or an integer or boolean)");
    }
  }
  return Status();
}

Status FromJson(const Json& json, CreatePipelineRequest* out) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(json));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  for (std::string_view field : {"scriptumTemplate", "spawnFromTemplate", "templateId"}) {
    std::string value;
    K3_RETURN_IF_ERROR(f.Get(field, &value));
    if (!value.empty()) {
      if (!out->template_id.empty() && out->template_id != value) {
        return InvalidArgument(
            "scriptumTemplate, spawnFromTemplate and templateId name "
            "different templates");
      }
      out->template_id = value;
    }
  }
  K3_RETURN_IF_ERROR(ParseOptions(f, "options", &out->options));
  K3_RETURN_IF_ERROR(f.Get("storeEntityId", &out->store_entity_id));
  return Status();
}

}  // namespace k3::wire
