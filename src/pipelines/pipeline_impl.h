// pipelines/pipeline_impl.h: PipelineService's implementation — pipeline records, the embedder
// registry, and running a template on one object.
//
// Pipelines are records in the store (kv::Cf::kRecords, "pipe/<bucket>\0<id>"). A vector
// pipeline owns a pipeline-mode collection (created or bound when the pipeline is created);
// a warehouse pipeline owns a table it creates on the first run (TableSource::kPipeline).
// Thread-safety: all methods are thread-safe. Creating, updating and deleting pipelines is
// serialized; runs proceed in parallel.
#ifndef K3_PIPELINES_PIPELINE_IMPL_H_
#define K3_PIPELINES_PIPELINE_IMPL_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "k3/pipelines.h"
#include "k3/storage.h"
#include "k3/tables.h"
#include "k3/vectors.h"
#include "kv/store.h"
#include "pipelines/catalog.h"
#include "tables/table_impl.h"
#include "vectors/vector_impl.h"

namespace k3 {

class K3_HIDDEN PipelineService::Impl {
 public:
  using BucketCheck = std::function<Status(std::string_view bucket)>;

  Impl(kv::Store* store, StorageService* storage, VectorService::Impl* vectors,
       TableService::Impl* tables, BucketCheck bucket_check);

  // Embedders. A registered name replaces an earlier registration; "hash" and "http" are
  // reserved (INVALID_ARGUMENT).
  Status RegisterEmbedder(std::string name, std::shared_ptr<Embedder> embedder);
  // The embedder a vector pipeline's options name, with its dimensions checked against the
  // "dimensions" option when that is set.
  Result<std::shared_ptr<Embedder>> EmbedderFor(const pipelines::ResolvedOptions& options);
  // Embeds a text query for `collection`: with its pipeline's embedder (pipeline-mode) or the
  // embedder named by embed_model (external-mode); FAILED_PRECONDITION when it has neither.
  Result<std::vector<float>> EmbedQuery(const Collection& collection, std::string_view text);

  Result<Pipeline> Create(const CreatePipelineRequest& request);
  Result<Pipeline> Get(std::string_view bucket, std::string_view pipeline_id);
  Result<ListPipelinesResponse> List(const ListPipelinesRequest& request);
  Result<Pipeline> Update(const UpdatePipelineRequest& request);
  Status Delete(std::string_view bucket, std::string_view pipeline_id);
  // Adds the removal of every pipeline of `bucket` to `batch` (the bucket is being deleted).
  void AddBucketRemoval(kv::Batch& batch, std::string_view bucket);

  Result<PipelineRunResult> Run(const RunPipelineRequest& request);
  // OK when `overlay` on the pipeline's options is accepted by its template; otherwise the
  // INVALID_ARGUMENT that Run would give, naming the option.
  Status CheckRunOptions(const Pipeline& pipeline,
                         const std::map<std::string, std::string>& overlay);
  Status RemoveOutput(std::string_view bucket, std::string_view pipeline_id, std::string_view key);

  // The public StorageService, which exists after the Impl (set once, while opening).
  void SetStorage(StorageService* storage) { storage_ = storage; }
  // Where the http embedder's option http_credential_id is resolved to a bearer token
  // (SourceService's credentials; set once, while opening).
  using BearerTokens = std::function<Result<std::string>(std::string_view credential_id)>;
  void SetBearerTokens(BearerTokens tokens) { bearer_tokens_ = std::move(tokens); }

 private:
  // The destination checks of Create/Update: the collection exists or is created, bound to
  // this pipeline; the table engine exists and a table of that name is a pipeline table.
  Status PrepareDestination(const Pipeline& pipeline, const pipelines::ResolvedOptions& options);
  Result<std::vector<Pipeline>> BucketPipelines(std::string_view bucket);
  Status Save(const Pipeline& pipeline);

  kv::Store* store_;
  StorageService* storage_;
  VectorService::Impl* vectors_;
  TableService::Impl* tables_;
  BucketCheck bucket_check_;
  BearerTokens bearer_tokens_;
  std::mutex admin_mu_;  // serializes Create / Update / Delete

  // Runs (and output removals) of one pipeline on one object take turns, so that two runs of
  // the same object never interleave their batches. Keys: "<pipeline id>\0<object key>".
  class RunTurn;
  std::mutex runs_mu_;
  std::condition_variable runs_cv_;
  std::set<std::string, std::less<>> running_;  // guarded by runs_mu_

  std::mutex embedders_mu_;
  std::map<std::string, std::shared_ptr<Embedder>, std::less<>> registered_;
  // Built-in embedders by configuration ("hash/384", "http/<url>/<model>/..."), kept so that
  // an http embedder's probe and connection setup happen once.
  std::map<std::string, std::shared_ptr<Embedder>, std::less<>> builtin_;
};

}  // namespace k3

#endif  // K3_PIPELINES_PIPELINE_IMPL_H_
