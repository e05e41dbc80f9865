// pipelines/catalog.h: the template catalog — which templates exist, their options with types,
// defaults and docs — and the validation of a pipeline's options against it.
// Thread-safety: the catalog is immutable after static initialization; all functions are
// thread-safe.
#ifndef K3_PIPELINES_CATALOG_H_
#define K3_PIPELINES_CATALOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "k3/pipelines.h"

namespace k3::pipelines {

// Template ids.
inline constexpr std::string_view kTextEmbeddingIndex = "text_embedding_index";
inline constexpr std::string_view kCodeEmbeddingIndex = "code_embedding_index";
inline constexpr std::string_view kCsvTable = "csv_table";
inline constexpr std::string_view kJsonlTable = "jsonl_table";
inline constexpr std::string_view kObjectCatalog = "object_catalog";

// Every template, by id.
const std::vector<Template>& Catalog();
// The template `template_id`; INVALID_ARGUMENT listing the known ids when it does not exist.
Result<const Template*> FindTemplate(std::string_view template_id);

// A pipeline's options with the template's defaults filled in; every value checked.
class ResolvedOptions {
 public:
  const std::string& Get(std::string_view name) const;  // "" when unset and no default
  int64_t GetInt(std::string_view name) const;          // requires a kInt option
  bool GetBool(std::string_view name) const;            // requires a kBool option
  bool Has(std::string_view name) const;                // set or defaulted to non-empty

 private:
  friend Result<ResolvedOptions> ResolveOptions(const Template&,
                                                const std::map<std::string, std::string>&,
                                                const std::map<std::string, std::string>&);
  std::map<std::string, std::string, std::less<>> values_;
};

// Checks `options` (and then `overlay`, which wins) against the template: an unknown name,
// a value of the wrong type, out of range or not among the allowed is INVALID_ARGUMENT naming
// the option and saying what is accepted.
Result<ResolvedOptions> ResolveOptions(const Template& t,
                                       const std::map<std::string, std::string>& options,
                                       const std::map<std::string, std::string>& overlay = {});

// "text/plain" matches "text/*" and "text/plain"; "*/*" matches everything.
bool ContentTypeMatches(std::string_view pattern, std::string_view content_type);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_CATALOG_H_
