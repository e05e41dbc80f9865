// k3/pipelines.h: PipelineService — pipelines that turn objects into vectors and table rows
// (K3's dodil.k3.pipeline.v1), and the template catalog.
//
// A pipeline is a template (code that ships with k3), options (strings, validated against the
// template's catalog entry) and a destination: a vector collection (kind "vector") or a table
// (kind "warehouse"). Creating a vector pipeline creates its pipeline-mode collection when it
// does not exist (dimensions from the pipeline's embedder); a warehouse pipeline's table is
// created on the first run, with a schema inferred from the data, unless it already exists.
//
// Running a pipeline on one object (run()) replaces that object's earlier output in the
// destination: vectors with ids "<key>#<chunk index>", rows tagged with the object's key in
// the hidden `_k3_source_key` column. Re-running never duplicates. Output of a very large object
// is written in batches, so a reader may see part of it while the run is in progress.
//
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_PIPELINES_H_
#define K3_PIPELINES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/embedder.h"
#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

// What a template writes to.
enum class PipelineKind : int {
  kUnspecified = 0,  // wire: "" (no destination)
  kVector = 1,       // wire: "vector" — a collection
  kWarehouse = 2,    // wire: "warehouse" — a table
};

enum class OptionType : int { kString = 0, kInt = 1, kBool = 2, kEnum = 3 };

// One option a template accepts. Values travel as strings; `type` says how they are read.
struct TemplateOption {
  std::string name;
  OptionType type = OptionType::kString;
  std::string default_value;         // "" with required = false: unset
  std::string doc;                   // one line
  std::vector<std::string> allowed;  // kEnum: the accepted values
  int64_t min = 0;                   // kInt: inclusive range
  int64_t max = 0;
  bool required = false;
};

struct Template {
  std::string template_id;  // "text_embedding_index"
  std::string name;         // display name
  std::string description;
  PipelineKind kind = PipelineKind::kUnspecified;
  // Effective content types it reads ("text/*" matches any text type).
  std::vector<std::string> content_types;
  std::vector<TemplateOption> options;
};

struct Pipeline {
  std::string pipeline_id;  // "pipe_..."
  std::string bucket;
  std::string name;
  std::string description;
  std::string template_id;
  std::map<std::string, std::string> options;  // as given (defaults are not filled in)
  PipelineKind store_entity_kind = PipelineKind::kUnspecified;
  std::string store_entity_id;  // the collection or table name
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct CreatePipelineRequest {
  std::string bucket;
  std::string name;  // 1..128 bytes, unique in the bucket
  std::string description;
  std::string template_id;  // wire: scriptumTemplate / spawnFromTemplate / templateId
  std::map<std::string, std::string> options;
  // The collection or table to write. Empty: the pipeline's name. A vector destination that
  // exists must be a pipeline-mode collection of this pipeline or unbound (FAILED_PRECONDITION
  // otherwise) with the embedder's dimensions.
  std::string store_entity_id;
};

struct ListPipelinesRequest {
  std::string bucket;
  std::optional<PipelineKind> store_entity_kind;  // filter
  std::string store_entity_id;                    // filter ("" = any)
  int page_size = 0;
  std::string page_token;
};

struct ListPipelinesResponse {
  std::vector<Pipeline> pipelines;  // by id (creation order)
  Pagination pagination;
};

// PATCH semantics: an absent field changes nothing. `options` present replaces the whole map
// (present and empty clears it). The template and destination cannot change.
struct UpdatePipelineRequest {
  std::string bucket;
  std::string pipeline_id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::map<std::string, std::string>> options;
};

// What one run of a pipeline on one object produced (IngestJob's counters).
struct PipelineRunResult {
  uint64_t chunks_created = 0;
  uint64_t embeddings_created = 0;
  uint64_t embeddings_written = 0;
  uint64_t rows_written = 0;
  uint64_t rows_skipped = 0;      // bad rows skipped under on_error=skip
  std::string skipped_sample;     // the first skipped row's error
  uint64_t batches_received = 0;  // batches written to the destination
  uint64_t output_size = 0;       // bytes of text chunked, or of rows written
  uint64_t invalid_bytes_replaced = 0;
  std::string content_type;  // the effective content type parsed
};

struct RunPipelineRequest {
  std::string bucket;
  std::string pipeline_id;
  std::string key;                             // the object
  std::map<std::string, std::string> options;  // overlay on the pipeline's options
};

class K3_EXPORT PipelineService {
 public:
  // Errors: NOT_FOUND (bucket), INVALID_ARGUMENT (unknown template, unknown option, an
  // ill-typed or out-of-range value — each naming the option; bad name), ALREADY_EXISTS (name),
  // FAILED_PRECONDITION (the destination exists with the wrong kind, dimensions or owner; an
  // embedder that cannot be reached to learn its dimensions).
  Result<Pipeline> create_pipeline(const CreatePipelineRequest& request);
  Result<Pipeline> get_pipeline(std::string_view bucket, std::string_view pipeline_id);
  Result<ListPipelinesResponse> list_pipelines(const ListPipelinesRequest& request);
  Result<Pipeline> update_pipeline(const UpdatePipelineRequest& request);
  // The destination and its data stay; a pipeline-mode collection keeps refusing external
  // writes.
  Status delete_pipeline(std::string_view bucket, std::string_view pipeline_id);

  std::vector<Template> list_templates();
  Result<Template> get_template(std::string_view template_id);

  // Runs the pipeline on one object now, in the calling thread, replacing the object's earlier
  // output. Runs of different objects (or pipelines) proceed in parallel; runs of the same
  // pipeline on the same object, and remove_output for it, take turns. Errors: NOT_FOUND (bucket,
  // pipeline, object), INVALID_ARGUMENT (an unsupported content type, a bad option in the overlay,
  // a CSV/JSON that cannot be read, a bad row under on_error=fail), FAILED_PRECONDITION (no text in
  // the object, a table whose schema does not match), RESOURCE_EXHAUSTED (a whole-document format
  // over 64 MiB), and the embedder's errors.
  Result<PipelineRunResult> run(const RunPipelineRequest& request);
  // Removes the output of one object from the pipeline's destination (the object was
  // deleted). Idempotent.
  Status remove_output(std::string_view bucket, std::string_view pipeline_id, std::string_view key);

  class Impl;
  explicit PipelineService(Impl* impl) : impl_(impl) {}

 private:
  Impl* impl_;
};

}  // namespace k3

#endif  // K3_PIPELINES_H_
