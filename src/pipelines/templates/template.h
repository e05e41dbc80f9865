// pipelines/templates/template.h: what a template's run gets — the pipeline, its resolved
// options, the object and its bytes — and the templates' entry points.
//
// A template reads the object through `read`, writes through the destination it is given, and
// fills `result`. It replaces the object's earlier output (output.h) and, when it fails after
// writing part of a new output, removes that part, so that a failed run never leaves a mix.
// Thread-safety: a context is used by the one thread running it.
#ifndef K3_PIPELINES_TEMPLATES_TEMPLATE_H_
#define K3_PIPELINES_TEMPLATES_TEMPLATE_H_

#include <memory>
#include <string>

#include "k3/embedder.h"
#include "k3/pipelines.h"
#include "k3/storage.h"
#include "pipelines/catalog.h"
#include "pipelines/document.h"
#include "pipelines/output.h"

namespace k3::pipelines {

struct RunContext {
  const Pipeline& pipeline;
  const ResolvedOptions& options;
  const ObjectInfo& object;
  std::string content_type;  // effective: sniffed when the object's is missing or generic
  ByteReader read;           // the object's bytes, from the start
  PipelineRunResult* result;
};

// text_embedding_index and code_embedding_index: parse, chunk, embed, write vectors.
Status RunEmbeddingIndex(const RunContext& ctx, const std::shared_ptr<Embedder>& embedder,
                         VectorOutput& out, bool code);
// csv_table and jsonl_table: read rows, create or check the table, write rows.
Status RunTableLoad(const RunContext& ctx, RowOutput& out, bool csv);
// object_catalog: one row describing the object.
Status RunObjectCatalog(const RunContext& ctx, RowOutput& out);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_TEMPLATES_TEMPLATE_H_
