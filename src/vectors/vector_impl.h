// vectors/vector_impl.h: VectorService's implementation — engines, collections, writes,
// search and the background index worker.
//
// Collections are loaded into memory (LiveCollection) the first time they are written or
// searched after open; loading catches the checkpoint up with the store. One background
// thread runs index maintenance (rebuilds, IVF training, checkpoints); closing the service
// stops it and checkpoints every loaded collection.
// Thread-safety: all methods are thread-safe.
#ifndef K3_VECTORS_VECTOR_IMPL_H_
#define K3_VECTORS_VECTOR_IMPL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "k3/vectors.h"
#include "kv/store.h"
#include "vectors/live_collection.h"
#include "vectors/records.h"

namespace k3 {

class K3_HIDDEN VectorService::Impl {
 public:
  // OK when the bucket exists, NOT_FOUND (or another error) otherwise.
  using BucketCheck = std::function<Status(std::string_view bucket)>;
  // Embeds a text query for a collection; the seam the pipelines service fills. Unset:
  // text queries are UNIMPLEMENTED.
  using QueryEmbedder =
      std::function<Result<std::vector<float>>(const Collection& collection, std::string_view)>;

  Impl(kv::Store* store, BucketCheck bucket_check);
  ~Impl();

  void SetQueryEmbedder(QueryEmbedder embedder) { embedder_ = std::move(embedder); }
  // Removes a bucket's engine, collections, vectors and checkpoints (the bucket is deleted).
  Status DropBucket(std::string_view bucket);

  Result<VectorEngine> ConfigureEngine(const ConfigureEngineRequest& request);
  Result<VectorEngine> GetEngine(std::string_view bucket);
  Status DeleteEngine(const DeleteEngineRequest& request);
  std::vector<VectorInstance> ListInstances();

  Result<Collection> CreateCollection(const CreateCollectionRequest& request);
  Result<Collection> GetCollection(std::string_view bucket, std::string_view collection);
  Result<std::vector<Collection>> ListCollections(std::string_view bucket);
  Status DeleteCollection(std::string_view bucket, std::string_view collection);

  // Who writes: a pipeline-mode collection refuses kExternal writes.
  enum class Writer { kExternal, kPipeline };
  Result<WriteVectorsResponse> Write(const WriteVectorsRequest& request, bool upsert,
                                     Writer writer = Writer::kExternal);
  Result<DeleteVectorsResponse> Delete(const DeleteVectorsRequest& request,
                                       Writer writer = Writer::kExternal);
  // Records which pipeline writes a pipeline-mode collection ("" unbinds it).
  // FAILED_PRECONDITION for an external-mode collection.
  Result<Collection> BindPipeline(std::string_view bucket, std::string_view collection,
                                  std::string_view pipeline_id, std::string_view pipeline_name);
  // The ids of `collection` that start with `prefix`, in byte order (for a pipeline to find
  // an object's earlier output).
  Result<std::vector<std::string>> IdsWithPrefix(std::string_view bucket,
                                                 std::string_view collection,
                                                 std::string_view prefix);
  Result<GetVectorsResponse> Get(const GetVectorsRequest& request);
  Result<SearchResponse> Search(const SearchRequest& request);

  // Blocks until the maintenance queued so far has run.
  void WaitIdle();

 private:
  // Requires the bucket and its engine; NOT_FOUND / FAILED_PRECONDITION otherwise.
  Status CheckEngine(std::string_view bucket) const;
  // The record of a collection by name or id.
  Result<vectors::CollectionRecord> FindCollection(std::string_view bucket,
                                                   std::string_view collection,
                                                   const kv::Snapshot* snapshot = nullptr) const;
  Result<std::vector<vectors::CollectionRecord>> BucketCollections(
      std::string_view bucket, const kv::Snapshot* snapshot = nullptr) const;
  // The loaded collection (loading it on first use).
  Result<std::shared_ptr<vectors::LiveCollection>> Acquire(std::string_view bucket,
                                                           std::string_view collection);
  // Forgets a loaded collection (broken by a failed apply), to be loaded again.
  void Forget(const std::string& collection_id);
  // Forgets that `bucket` has an engine (deleted).
  void ForgetEngine(std::string_view bucket);
  static std::string NameKey(std::string_view bucket, std::string_view name);
  // Adds to `batch` the removal of a collection and its rows; drops it from memory.
  void AddCollectionRemoval(kv::Batch& batch, const vectors::CollectionRecord& record,
                            std::vector<std::shared_ptr<vectors::LiveCollection>>* dropped);
  std::string CheckpointPath(std::string_view bucket, std::string_view collection_id) const;
  std::string VectorsDir() const;
  void Enqueue(const std::shared_ptr<vectors::LiveCollection>& collection);
  void WorkerLoop();
  // A text query: each target embeds it with its own embedder (embedder_).
  Result<SearchResponse> SearchText(
      const std::vector<std::shared_ptr<vectors::LiveCollection>>& targets,
      const std::vector<std::string>& names, const SearchRequest& request);
  Status SearchOne(const std::vector<std::shared_ptr<vectors::LiveCollection>>& targets,
                   const std::vector<std::string>& names, const std::vector<float>& query,
                   const SearchRequest& request, std::vector<SearchHit>* out);

  kv::Store* store_;
  BucketCheck bucket_check_;
  QueryEmbedder embedder_;

  // Serializes engine and collection creation/deletion, and the slow path of Acquire (so
  // that the caches below never learn of an engine or collection being removed meanwhile).
  std::mutex engine_mu_;

  // Guards the caches; held while loading a collection. Lock order: engine_mu_, live_mu_,
  // a collection's write_mu(). The caches let a search or write of a loaded collection skip
  // the store: buckets known to have an engine, and loaded collections by id and by
  // "<bucket>\0<name>". Removing an engine, a collection or a bucket erases its entries.
  std::mutex live_mu_;
  std::map<std::string, std::shared_ptr<vectors::LiveCollection>> live_;     // by id
  std::map<std::string, std::shared_ptr<vectors::LiveCollection>> by_name_;  // by bucket\0name
  std::set<std::string, std::less<>> engines_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<vectors::LiveCollection>> queue_;  // guarded by queue_mu_
  bool worker_busy_ = false;                                    // guarded by queue_mu_
  bool stopping_ = false;                                       // guarded by queue_mu_
  std::thread worker_;
};

}  // namespace k3

#endif  // K3_VECTORS_VECTOR_IMPL_H_
