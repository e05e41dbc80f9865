// pipelines/pipeline_service.cc: PipelineService's public methods forward to its Impl.
#include "pipelines/catalog.h"
#include "pipelines/pipeline_impl.h"

namespace k3 {

Result<Pipeline> PipelineService::create_pipeline(const CreatePipelineRequest& request) {
  return impl_->Create(request);
}
Result<Pipeline> PipelineService::get_pipeline(std::string_view bucket,
                                               std::string_view pipeline_id) {
  return impl_->Get(bucket, pipeline_id);
}
Result<ListPipelinesResponse> PipelineService::list_pipelines(const ListPipelinesRequest& request) {
  return impl_->List(request);
}
Result<Pipeline> PipelineService::update_pipeline(const UpdatePipelineRequest& request) {
  return impl_->Update(request);
}
Status PipelineService::delete_pipeline(std::string_view bucket, std::string_view pipeline_id) {
  return impl_->Delete(bucket, pipeline_id);
}
std::vector<Template> PipelineService::list_templates() { return pipelines::Catalog(); }
Result<Template> PipelineService::get_template(std::string_view template_id) {
  Result<const Template*> t = pipelines::FindTemplate(template_id);
  if (!t.ok()) return NotFound(t.status().message());
  return **t;
}
Result<PipelineRunResult> PipelineService::run(const RunPipelineRequest& request) {
  return impl_->Run(request);
}
Status PipelineService::remove_output(std::string_view bucket, std::string_view pipeline_id,
                                      std::string_view key) {
  return impl_->RemoveOutput(bucket, pipeline_id, key);
}

}  // namespace k3
