// pipelines/records.cc: the pipeline record codec.
#include "pipelines/records.h"

#include "kv/codec.h"

namespace k3::pipelines {
namespace {
constexpr uint64_t kPipelineVersion = 1;
}  // namespace

std::string PipelinePrefix(std::string_view bucket) {
  std::string key = "pipe/";
  key += bucket;
  key.push_back('\0');
  return key;
}

std::string PipelineKey(std::string_view bucket, std::string_view pipeline_id) {
  return PipelinePrefix(bucket) + std::string(pipeline_id);
}

std::string EncodePipeline(const Pipeline& p) {
  kv::Encoder e;
  e.PutVarint(kPipelineVersion);
  e.PutString(p.pipeline_id);
  e.PutString(p.bucket);
  e.PutString(p.name);
  e.PutString(p.description);
  e.PutString(p.template_id);
  e.PutStringMap(p.options);
  e.PutVarint(static_cast<uint64_t>(p.store_entity_kind));
  e.PutString(p.store_entity_id);
  e.PutSigned(p.created_at);
  e.PutSigned(p.updated_at);
  return e.Take();
}

bool DecodePipeline(std::string_view in, Pipeline* p) {
  kv::Decoder d(in);
  uint64_t version = 0, kind = 0;
  const bool ok = d.GetVarint(&version) && version == kPipelineVersion &&
                  d.GetString(&p->pipeline_id) && d.GetString(&p->bucket) &&
                  d.GetString(&p->name) && d.GetString(&p->description) &&
                  d.GetString(&p->template_id) && d.GetStringMap(&p->options) &&
                  d.GetVarint(&kind) && kind <= 2 && d.GetString(&p->store_entity_id) &&
                  d.GetSigned(&p->created_at) && d.GetSigned(&p->updated_at);
  p->store_entity_kind = static_cast<PipelineKind>(kind);
  return ok;
}

}  // namespace k3::pipelines
