// pipelines/records.h: how pipelines are stored (kv::Cf::kRecords). Thread-safety: pure
// functions.
#ifndef K3_PIPELINES_RECORDS_H_
#define K3_PIPELINES_RECORDS_H_

#include <string>
#include <string_view>

#include "k3/pipelines.h"

namespace k3::pipelines {

// "pipe/<bucket>\0" — every pipeline key of a bucket starts with it.
std::string PipelinePrefix(std::string_view bucket);
std::string PipelineKey(std::string_view bucket, std::string_view pipeline_id);
std::string EncodePipeline(const Pipeline& p);
bool DecodePipeline(std::string_view in, Pipeline* p);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_RECORDS_H_
