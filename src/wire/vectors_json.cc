// The K3 JSON form of VectorService's types: see vectors_json.h.
#include "wire/vectors_json.h"

#include <cmath>
#include <utility>

namespace k3::wire {

namespace {

using Op = VectorFilter::Op;

struct OpName {
  Op op;
  std::string_view name;
};
constexpr OpName kOps[] = {
    {Op::kEq, "eq"},         {Op::kNe, "ne"},         {Op::kLt, "lt"}, {Op::kLte, "lte"},
    {Op::kGt, "gt"},         {Op::kGte, "gte"},       {Op::kIn, "in"}, {Op::kNin, "nin"},
    {Op::kPrefix, "prefix"}, {Op::kExists, "exists"},
};

Json ValueJson(const MetadataValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::nearbyint(*d) == *d && std::fabs(*d) < 9007199254740992.0) {
      return static_cast<int64_t>(*d);
    }
    return *d;
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return StringListJson(std::get<std::vector<std::string>>(v));
}

Status ParseValue(const Json& j, std::string_view path, MetadataValue* out) {
  if (j.is_string()) {
    *out = j.get<std::string>();
  } else if (j.is_boolean()) {
    *out = j.get<bool>();
  } else if (j.is_number()) {
    *out = j.get<double>();
  } else if (j.is_array()) {
    std::vector<std::string> list;
    for (size_t i = 0; i < j.size(); ++i) {
      if (!j[i].is_string()) {
        return FieldError(IndexPath(path, i), "list values must be strings");
      }
      list.push_back(j[i].get<std::string>());
    }
    *out = std::move(list);
  } else {
    return FieldError(path, "must be a string, number, bool or list of strings");
  }
  return Status();
}

Status ParseFloats(const Json& j, std::string_view path, std::vector<float>* out) {
  if (!j.is_array()) return FieldError(path, "must be an array of numbers");
  out->clear();
  out->reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number()) return FieldError(IndexPath(path, i), "must be a number");
    out->push_back(j[i].get<float>());
  }
  return Status();
}

// {values: [...]} or a bare array.
Status ParseDense(const Json& j, std::string_view path, std::vector<float>* out) {
  if (j.is_array()) return ParseFloats(j, path, out);
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  std::string key;
  const Json* values = f.Find("values", &key);
  if (values == nullptr) return FieldError(JoinPath(path, "values"), "is missing");
  return ParseFloats(*values, JoinPath(path, key), out);
}

}  // namespace

Json MetadataJson(const Metadata& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = ValueJson(v);
  return out;
}

Status ParseMetadata(const Json& j, std::string_view path, Metadata* out) {
  if (!j.is_object()) return FieldError(path, "metadata must be a flat JSON object");
  out->clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    MetadataValue v;
    K3_RETURN_IF_ERROR(ParseValue(it.value(), JoinPath(path, it.key()), &v));
    (*out)[it.key()] = std::move(v);
  }
  return Status();
}

Status GetCollectionRef(const Fields& f, std::string* out) {
  for (std::string_view name : {"collectionId", "collectionName", "collection"}) {
    if (f.Has(name)) return f.Get(name, out);
  }
  return Status();
}

// ---- Engines and collections ----

Json ToJson(const Collection& v) {
  return Json{
      {"collectionId", v.collection_id},
      {"bucket", v.bucket},
      {"name", v.name},
      {"dimensions", v.dimensions},
      {"metric", EnumJson(kVectorMetricEnum, v.metric)},
      {"indexType", EnumJson(kVectorIndexEnum, v.index)},
      {"hnsw", Json{{"m", v.hnsw.m},
                    {"efConstruction", v.hnsw.ef_construction},
                    {"efSearch", v.hnsw.ef_search}}},
      {"ivf", Json{{"nlist", v.ivf.nlist}, {"nprobe", v.ivf.nprobe}}},
      {"embedModel", v.embed_model},
      {"embedPipelineId", v.embed_pipeline_id},
      {"embedPipelineName", v.embed_pipeline_name},
      {"description", v.description},
      {"mode", EnumJson(kCollectionModeEnum, v.mode)},
      {"status", EnumJson(kCollectionStatusEnum, v.status)},
      {"vectorCount", Uint64Json(v.vector_count)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
  };
}

Json ToJson(const VectorEngine& v) {
  Json collections = Json::array();
  for (const auto& c : v.collections) collections.push_back(ToJson(c));
  return Json{
      {"engineId", v.engine_id},
      {"bucket", v.bucket},
      {"mode", EnumJson(kEngineModeEnum, v.mode)},
      {"status", EnumJson(kEngineStatusEnum, v.status)},
      {"errorMessage", v.error_message},
      {"vbaseEndpoint", v.vbase_endpoint},
      {"vbasePort", v.vbase_port},
      {"vbaseDbName", v.vbase_db_name},
      {"serviceId", v.service_id},
      {"collections", std::move(collections)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
  };
}

Json ToJson(const VectorInstance& v) {
  return Json{
      {"instanceId", v.instance_id}, {"kind", v.kind}, {"version", v.version}, {"path", v.path}};
}

Status FromJson(const Json& j, ConfigureEngineRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.GetEnum("mode", kEngineModeEnum, &out->mode));
  K3_RETURN_IF_ERROR(f.Get("vbaseEndpoint", &out->vbase_endpoint));
  K3_RETURN_IF_ERROR(f.Get("vbasePort", &out->vbase_port));
  K3_RETURN_IF_ERROR(f.Get("vbaseDbName", &out->vbase_db_name));
  return f.Get("serviceId", &out->service_id);
}

Status FromJson(const Json& j, CreateCollectionRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  if (out->name.empty()) K3_RETURN_IF_ERROR(f.Get("collectionName", &out->name));
  K3_RETURN_IF_ERROR(f.Get("dimensions", &out->dimensions));
  K3_RETURN_IF_ERROR(f.GetEnum("metric", kVectorMetricEnum, &out->metric));
  K3_RETURN_IF_ERROR(f.GetEnum("index", kVectorIndexEnum, &out->index));
  K3_RETURN_IF_ERROR(f.GetEnum("indexType", kVectorIndexEnum, &out->index));
  std::optional<Fields> hnsw;
  K3_RETURN_IF_ERROR(f.GetObject("hnsw", &hnsw));
  if (hnsw) {
    K3_RETURN_IF_ERROR(hnsw->Get("m", &out->hnsw.m));
    K3_RETURN_IF_ERROR(hnsw->Get("efConstruction", &out->hnsw.ef_construction));
    K3_RETURN_IF_ERROR(hnsw->Get("efSearch", &out->hnsw.ef_search));
  }
  std::optional<Fields> ivf;
  K3_RETURN_IF_ERROR(f.GetObject("ivf", &ivf));
  if (ivf) {
    K3_RETURN_IF_ERROR(ivf->Get("nlist", &out->ivf.nlist));
    K3_RETURN_IF_ERROR(ivf->Get("nprobe", &out->ivf.nprobe));
  }
  K3_RETURN_IF_ERROR(f.Get("embedModel", &out->embed_model));
  return f.Get("description", &out->description);
}

// ---- Vectors ----

Json ToJson(const VectorRecord& v) {
  Json values = Json::array();
  for (float x : v.values) values.push_back(x);
  Json out{{"id", v.id},
           {"denseFloat", Json{{"values", std::move(values)}}},
           {"metadata", MetadataJson(v.metadata)}};
  out["text"] = v.text ? Json(*v.text) : Json(nullptr);
  return out;
}

Status FromJson(const Json& j, VectorRecord* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("id", &out->id));
  std::string key;
  if (const Json* dense = f.Find("denseFloat", &key)) {
    K3_RETURN_IF_ERROR(ParseDense(*dense, JoinPath(path, key), &out->values));
  } else if (const Json* values = f.Find("values", &key)) {
    K3_RETURN_IF_ERROR(ParseFloats(*values, JoinPath(path, key), &out->values));
  } else {
    return FieldError(JoinPath(path, "denseFloat"), "is missing");
  }
  if (const Json* metadata = f.Find("metadata", &key)) {
    K3_RETURN_IF_ERROR(ParseMetadata(*metadata, JoinPath(path, key), &out->metadata));
  }
  return f.Get("text", &out->text);
}

// ---- Filters ----

Json ToJson(const VectorFilter& v) {
  switch (v.op) {
    case Op::kAnd:
    case Op::kOr: {
      Json children = Json::array();
      for (const auto& c : v.children) children.push_back(ToJson(c));
      return Json{{v.op == Op::kAnd ? "and" : "or", std::move(children)}};
    }
    case Op::kNot:
      return Json{{"not", v.children.empty() ? Json::object() : ToJson(v.children[0])}};
    default:
      break;
  }
  Json out{{"field", v.field}};
  for (const auto& o : kOps) {
    if (o.op == v.op) out["op"] = std::string(o.name);
  }
  if (v.op == Op::kIn || v.op == Op::kNin) {
    Json values = Json::array();
    for (const auto& x : v.values) values.push_back(ValueJson(x));
    out["values"] = std::move(values);
  } else if (v.op != Op::kExists) {
    out["value"] = ValueJson(v.value);
  }
  return out;
}

Status FromJson(const Json& j_in, VectorFilter* out, std::string_view path) {
  Json parsed;
  const Json* j = &j_in;
  if (j_in.is_string()) {
    auto r = ParseJson(j_in.get<std::string>());
    if (!r.ok()) return FieldError(path, "is not a JSON filter: " + r.status().message());
    parsed = std::move(r).value();
    j = &parsed;
  }
  if (!j->is_object()) return FieldError(path, "a filter must be a JSON object");
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(*j, std::string(path)));
  for (std::string_view combinator : {"and", "or"}) {
    const Json* list = nullptr;
    std::string list_path;
    if (!f.Has(combinator)) continue;
    K3_RETURN_IF_ERROR(f.GetArray(combinator, &list, &list_path));
    out->op = combinator == "and" ? Op::kAnd : Op::kOr;
    out->children.assign(list->size(), VectorFilter{});
    for (size_t i = 0; i < list->size(); ++i) {
      K3_RETURN_IF_ERROR(FromJson((*list)[i], &out->children[i], IndexPath(list_path, i)));
    }
    return Status();
  }
  std::string key;
  if (const Json* inner = f.Find("not", &key)) {
    out->op = Op::kNot;
    out->children.assign(1, VectorFilter{});
    return FromJson(*inner, &out->children[0], JoinPath(path, key));
  }
  std::string op;
  K3_RETURN_IF_ERROR(f.Get("field", &out->field));
  K3_RETURN_IF_ERROR(f.Get("op", &op));
  if (out->field.empty()) return FieldError(JoinPath(path, "field"), "is missing or empty");
  bool known = false;
  for (const auto& o : kOps) {
    if (o.name == op) {
      out->op = o.op;
      known = true;
    }
  }
  if (!known) {
    return FieldError(JoinPath(path, "op"),
                      "unknown operator \"" + op +
                          "\" (use eq ne lt lte gt gte in nin prefix exists, or and/or/not)");
  }
  if (out->op == Op::kExists) return Status();
  if (out->op == Op::kIn || out->op == Op::kNin) {
    const Json* values = f.Find("values", &key);
    if (values == nullptr) values = f.Find("value", &key);
    if (values == nullptr || !values->is_array()) {
      return FieldError(JoinPath(path, "values"), "in/nin need an array of values");
    }
    out->values.assign(values->size(), MetadataValue{});
    for (size_t i = 0; i < values->size(); ++i) {
      K3_RETURN_IF_ERROR(
          ParseValue((*values)[i], IndexPath(JoinPath(path, key), i), &out->values[i]));
    }
    return Status();
  }
  const Json* value = f.Find("value", &key);
  if (value == nullptr) return FieldError(JoinPath(path, "value"), "is missing");
  return ParseValue(*value, JoinPath(path, key), &out->value);
}

// ---- Search ----

Status FromJson(const Json& j, SearchRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("text", &out->text));
  K3_RETURN_IF_ERROR(GetCollectionRef(f, &out->collection));
  std::string key;
  if (const Json* one = f.Find("vector", &key)) {
    std::vector<float> q;
    K3_RETURN_IF_ERROR(ParseDense(*one, JoinPath(path, key), &q));
    out->vectors.push_back(std::move(q));
  }
  const Json* many = nullptr;
  std::string many_path;
  K3_RETURN_IF_ERROR(f.GetArray("vectors", &many, &many_path));
  if (many != nullptr) {
    for (size_t i = 0; i < many->size(); ++i) {
      std::vector<float> q;
      K3_RETURN_IF_ERROR(ParseDense((*many)[i], IndexPath(many_path, i), &q));
      out->vectors.push_back(std::move(q));
    }
  }
  K3_RETURN_IF_ERROR(f.Get("topK", &out->top_k));
  if (const Json* min_score = f.Find("minScore", &key)) {
    if (!min_score->is_number()) return FieldError(JoinPath(path, key), "must be a number");
    out->min_score = min_score->get<float>();
  }
  if (const Json* filter = f.Find("filter", &key)) {
    VectorFilter parsed;
    K3_RETURN_IF_ERROR(FromJson(*filter, &parsed, JoinPath(path, key)));
    out->filter = std::move(parsed);
  }
  return f.Get("includeContent", &out->include_content);
}

Json ToJson(const SearchHit& v) {
  Json out{{"collectionName", v.collection},
           {"id", v.id},
           {"score", v.score},
           {"metadata", MetadataJson(v.metadata)},
           {"object", Json{{"key", v.object_key}}}};
  out["content"] = v.text ? Json(*v.text) : Json(nullptr);
  out["text"] = out["content"];
  return out;
}

Json ToJson(const SearchResponse& v) {
  Json results = Json::array();
  for (const auto& hits : v.results) {
    Json list = Json::array();
    for (const auto& h : hits) list.push_back(ToJson(h));
    results.push_back(Json{{"hits", std::move(list)}});
  }
  // "hits" repeats the first query's hits: the single-query form of K3's response.
  Json first = results.empty() ? Json::array() : results[0]["hits"];
  return Json{{"hits", std::move(first)}, {"results", std::move(results)}};
}

}  // namespace k3::wire
