// wire/pipelines_json.h: PipelineService values in K3's JSON wire form.
// Thread-safety: pure functions.
#ifndef K3_WIRE_PIPELINES_JSON_H_
#define K3_WIRE_PIPELINES_JSON_H_

#include "k3/pipelines.h"
#include "wire/json_util.h"

namespace k3::wire {

// "vector", "warehouse", or "" — the hosted service's store entity kinds.
std::string_view PipelineKindWire(PipelineKind kind);
// Accepts those names (any case) and "PIPELINE_KIND_VECTOR"-style forms; INVALID_ARGUMENT
// naming `path` otherwise.
Status ParsePipelineKind(const Json& v, std::string_view path, PipelineKind* out);

Json ToJson(const Pipeline& p);
Json ToJson(const Template& t);
Json ToJson(const PipelineRunResult& r);

// {bucket, name, description, scriptumTemplate | spawnFromTemplate | templateId, options,
// storeEntityId}. Option values may be strings, numbers or booleans (sent as their text).
Status FromJson(const Json& json, CreatePipelineRequest* out);
// An options object: string values, or numbers / booleans turned into their text.
Status ParseOptions(const Fields& f, std::string_view name,
                    std::map<std::string, std::string>* out);

}  // namespace k3::wire

#endif  // K3_WIRE_PIPELINES_JSON_H_
