// pipelines/document.cc: metadata helpers.
#include "pipelines/document.h"

namespace k3::pipelines {

void SetMetadata(Metadata& metadata, std::string name, std::string value) {
  for (auto& [existing_name, existing_value] : metadata) {
    if (existing_name == name) {
      existing_value = std::move(value);
      return;
    }
  }
  metadata.emplace_back(std::move(name), std::move(value));
}

}  // namespace k3::pipelines
