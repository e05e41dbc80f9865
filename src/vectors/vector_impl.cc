// VectorService::Impl: engines and collections (see vector_impl.h).
#include "vectors/vector_impl.h"

#include <faiss/Index.h>

#include <filesystem>

#include "util/clock.h"
#include "util/ids.h"
#include "vectors/validate.h"

namespace k3 {

namespace fs = std::filesystem;
using vectors::CollectionRecord;
using vectors::EngineRecord;
using vectors::LiveCollection;

VectorService::Impl::Impl(kv::Store* store, BucketCheck bucket_check)
    : store_(store), bucket_check_(std::move(bucket_check)) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

VectorService::Impl::~Impl() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  worker_.join();
  // Checkpoint what is loaded, so that the next open does not replay it.
  std::lock_guard lock(live_mu_);
  for (auto& [id, collection] : live_) {
    Status s = collection->Checkpoint();
    if (!s.ok()) store_->logger().Warn("checkpointing a vector index at close: " + s.ToString());
  }
}

std::string VectorService::Impl::VectorsDir() const {
  return (fs::path(store_->dir()) / "vectors").string();
}

std::string VectorService::Impl::CheckpointPath(std::string_view bucket,
                                                std::string_view collection_id) const {
  return (fs::path(VectorsDir()) / std::string(bucket) / (std::string(collection_id) + ".faiss"))
      .string();
}

Status VectorService::Impl::CheckEngine(std::string_view bucket) const {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  K3_ASSIGN_OR_RETURN(auto engine, store_->Get(kv::Cf::kVectors, vectors::EngineKey(bucket)));
  if (!engine) {
    return FailedPrecondition("bucket \"" + std::string(bucket) +
                              "\" has no vector engine (call configure_engine first)");
  }
  return Status();
}

// ---- Engines ----

Result<VectorEngine> VectorService::Impl::ConfigureEngine(const ConfigureEngineRequest& r) {
  if (r.mode == EngineMode::kExternal || r.mode == EngineMode::kPick) {
    return Unimplemented(
        "vector engine mode external/pick (a remote vbase instance) is not supported by the "
        "embedded k3; use mode auto");
  }
  if (r.mode != EngineMode::kAuto) {
    return InvalidArgument("unknown vector engine mode " +
                           std::to_string(static_cast<int>(r.mode)));
  }
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  {
    std::lock_guard lock(engine_mu_);
    K3_ASSIGN_OR_RETURN(auto existing, store_->Get(kv::Cf::kVectors, vectors::EngineKey(r.bucket)));
    if (!existing) {
      EngineRecord record;
      record.engine_id = util::NewId("veng_");
      record.created_at = record.updated_at = util::NowMs();
      auto batch = store_->NewBatch();
      batch->Put(kv::Cf::kVectors, vectors::EngineKey(r.bucket), vectors::EncodeEngine(record));
      K3_RETURN_IF_ERROR(store_->Write(*batch));
    }
  }
  return GetEngine(r.bucket);
}

Result<VectorEngine> VectorService::Impl::GetEngine(std::string_view bucket) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  auto snapshot = store_->NewSnapshot();
  K3_ASSIGN_OR_RETURN(auto raw,
                      store_->Get(kv::Cf::kVectors, vectors::EngineKey(bucket), snapshot.get()));
  if (!raw) return NotFound("bucket \"" + std::string(bucket) + "\" has no vector engine");
  EngineRecord record;
  if (!vectors::DecodeEngine(*raw, &record)) {
    return DataLoss("the vector engine record of bucket \"" + std::string(bucket) +
                    "\" is damaged");
  }
  VectorEngine engine;
  engine.engine_id = record.engine_id;
  engine.bucket = std::string(bucket);
  engine.mode = EngineMode::kAuto;
  engine.status = EngineStatus::kActive;
  engine.vbase_endpoint = VectorsDir();
  engine.created_at = record.created_at;
  engine.updated_at = record.updated_at;
  K3_ASSIGN_OR_RETURN(auto collections, BucketCollections(bucket, snapshot.get()));
  for (auto& c : collections) engine.collections.push_back(std::move(c.info));
  return engine;
}

Status VectorService::Impl::DeleteEngine(const DeleteEngineRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  std::lock_guard lock(engine_mu_);
  K3_ASSIGN_OR_RETURN(auto raw, store_->Get(kv::Cf::kVectors, vectors::EngineKey(r.bucket)));
  if (!raw) return NotFound("bucket \"" + r.bucket + "\" has no vector engine");
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kVectors, vectors::EngineKey(r.bucket));
  std::vector<std::shared_ptr<LiveCollection>> dropped;
  if (r.delete_database) {
    K3_ASSIGN_OR_RETURN(auto collections, BucketCollections(r.bucket));
    for (const auto& c : collections) AddCollectionRemoval(*batch, c, &dropped);
  }
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  ForgetEngine(r.bucket);
  for (auto& c : dropped) c->RemoveCheckpoint();
  return Status();
}

Status VectorService::Impl::DropBucket(std::string_view bucket) {
  std::lock_guard lock(engine_mu_);
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kVectors, vectors::EngineKey(bucket));
  std::vector<std::shared_ptr<LiveCollection>> dropped;
  K3_ASSIGN_OR_RETURN(auto collections, BucketCollections(bucket));
  for (const auto& c : collections) AddCollectionRemoval(*batch, c, &dropped);
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  ForgetEngine(bucket);
  for (auto& c : dropped) c->RemoveCheckpoint();
  std::error_code ec;
  fs::remove_all(fs::path(VectorsDir()) / std::string(bucket), ec);
  return Status();
}

std::vector<VectorInstance> VectorService::Impl::ListInstances() {
  VectorInstance instance;
  instance.instance_id = "embedded";
  instance.kind = "faiss";
  instance.version = std::to_string(FAISS_VERSION_MAJOR) + "." +
                     std::to_string(FAISS_VERSION_MINOR) + "." +
                     std::to_string(FAISS_VERSION_PATCH);
  instance.path = VectorsDir();
  return {instance};
}

// ---- Collections ----

Result<std::vector<CollectionRecord>> VectorService::Impl::BucketCollections(
    std::string_view bucket, const kv::Snapshot* snapshot) const {
  std::vector<CollectionRecord> out;
  const std::string prefix = vectors::CollectionPrefix(bucket);
  auto it = store_->NewIterator(kv::Cf::kVectors, vectors::PrefixEnd(prefix), snapshot);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    CollectionRecord record;
    if (!vectors::DecodeCollection(it->value(), &record)) {
      return DataLoss("a collection record of bucket \"" + std::string(bucket) + "\" is damaged");
    }
    out.push_back(std::move(record));
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

Result<CollectionRecord> VectorService::Impl::FindCollection(std::string_view bucket,
                                                             std::string_view collection,
                                                             const kv::Snapshot* snapshot) const {
  if (collection.empty()) return InvalidArgument("the collection name is empty");
  K3_ASSIGN_OR_RETURN(auto raw, store_->Get(kv::Cf::kVectors,
                                            vectors::CollectionKey(bucket, collection), snapshot));
  CollectionRecord record;
  if (raw) {
    if (!vectors::DecodeCollection(*raw, &record)) {
      return DataLoss("the record of collection \"" + std::string(collection) + "\" is damaged");
    }
    return record;
  }
  if (collection.rfind("vcol_", 0) == 0) {
    K3_ASSIGN_OR_RETURN(auto all, BucketCollections(bucket, snapshot));
    for (auto& c : all) {
      if (c.info.collection_id == collection) return std::move(c);
    }
  }
  return NotFound("collection \"" + std::string(collection) + "\" does not exist in bucket \"" +
                  std::string(bucket) + "\"");
}

Result<Collection> VectorService::Impl::CreateCollection(const CreateCollectionRequest& r) {
  K3_RETURN_IF_ERROR(vectors::ValidateCreateCollection(r));
  K3_RETURN_IF_ERROR(CheckEngine(r.bucket));
  std::lock_guard lock(engine_mu_);
  K3_ASSIGN_OR_RETURN(auto existing,
                      store_->Get(kv::Cf::kVectors, vectors::CollectionKey(r.bucket, r.name)));
  if (existing) {
    return AlreadyExists("collection \"" + r.name + "\" already exists in bucket \"" + r.bucket +
                         "\"");
  }
  CollectionRecord record;
  Collection& c = record.info;
  c.collection_id = util::NewId("vcol_");
  c.bucket = r.bucket;
  c.name = r.name;
  c.dimensions = r.dimensions;
  c.metric = r.metric;
  c.index = r.index;
  c.hnsw = r.hnsw;
  c.ivf = r.ivf;
  c.embed_model = r.embed_model;
  c.description = r.description;
  c.mode = r.mode;
  c.embed_pipeline_id = r.embed_pipeline_id;
  c.embed_pipeline_name = r.embed_pipeline_name;
  c.status = CollectionStatus::kReady;
  c.created_at = c.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kVectors, vectors::CollectionKey(r.bucket, r.name),
             vectors::EncodeCollection(record));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return c;
}

Result<Collection> VectorService::Impl::GetCollection(std::string_view bucket,
                                                      std::string_view collection) {
  K3_RETURN_IF_ERROR(CheckEngine(bucket));
  K3_ASSIGN_OR_RETURN(CollectionRecord record, FindCollection(bucket, collection));
  std::lock_guard lock(live_mu_);
  auto it = live_.find(record.info.collection_id);
  if (it != live_.end() && it->second->building()) {
    record.info.status = CollectionStatus::kBuilding;
  }
  return record.info;
}

Result<std::vector<Collection>> VectorService::Impl::ListCollections(std::string_view bucket) {
  K3_RETURN_IF_ERROR(CheckEngine(bucket));
  K3_ASSIGN_OR_RETURN(auto records, BucketCollections(bucket));
  std::vector<Collection> out;
  for (auto& r : records) out.push_back(std::move(r.info));
  return out;
}

void VectorService::Impl::AddCollectionRemoval(
    kv::Batch& batch, const CollectionRecord& record,
    std::vector<std::shared_ptr<LiveCollection>>* dropped) {
  const Collection& c = record.info;
  batch.Delete(kv::Cf::kVectors, vectors::CollectionKey(c.bucket, c.name));
  const std::string prefix = vectors::VectorPrefix(c.collection_id);
  batch.DeleteRange(kv::Cf::kVectors, prefix, vectors::PrefixEnd(prefix));
  std::shared_ptr<LiveCollection> live;
  {
    std::lock_guard lock(live_mu_);
    auto it = live_.find(c.collection_id);
    if (it != live_.end()) {
      live = it->second;
      live_.erase(it);
    }
    by_name_.erase(NameKey(c.bucket, c.name));
  }
  if (live) {
    std::lock_guard write_lock(live->write_mu());
    live->MarkDropped();
  } else {
    // Not loaded: a placeholder that only removes the checkpoint file.
    live = std::make_shared<LiveCollection>(record, CheckpointPath(c.bucket, c.collection_id),
                                            store_->logger());
  }
  dropped->push_back(std::move(live));
}

Status VectorService::Impl::DeleteCollection(std::string_view bucket, std::string_view collection) {
  K3_RETURN_IF_ERROR(CheckEngine(bucket));
  std::lock_guard lock(engine_mu_);
  K3_ASSIGN_OR_RETURN(CollectionRecord record, FindCollection(bucket, collection));
  auto batch = store_->NewBatch();
  std::vector<std::shared_ptr<LiveCollection>> dropped;
  AddCollectionRemoval(*batch, record, &dropped);
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  for (auto& c : dropped) c->RemoveCheckpoint();
  return Status();
}

Result<std::shared_ptr<LiveCollection>> VectorService::Impl::Acquire(std::string_view bucket,
                                                                     std::string_view collection) {
  {
    // Fast path: a loaded collection of a bucket known to have an engine.
    std::lock_guard lock(live_mu_);
    if (engines_.count(bucket)) {
      std::shared_ptr<LiveCollection> found;
      if (auto it = by_name_.find(NameKey(bucket, collection)); it != by_name_.end()) {
        found = it->second;
      } else if (auto id_it = live_.find(std::string(collection)); id_it != live_.end()) {
        found = id_it->second;
      }
      if (found && !found->dropped() && found->bucket() == bucket) return found;
    }
  }
  std::lock_guard engine_lock(engine_mu_);
  K3_RETURN_IF_ERROR(CheckEngine(bucket));
  K3_ASSIGN_OR_RETURN(CollectionRecord found, FindCollection(bucket, collection));
  std::lock_guard lock(live_mu_);
  engines_.insert(std::string(bucket));
  auto it = live_.find(found.info.collection_id);
  if (it != live_.end()) return it->second;
  // Load at one snapshot: the record and the rows agree.
  auto snapshot = store_->NewSnapshot();
  K3_ASSIGN_OR_RETURN(CollectionRecord record,
                      FindCollection(bucket, found.info.collection_id, snapshot.get()));
  auto live = std::make_shared<LiveCollection>(
      record, CheckpointPath(bucket, record.info.collection_id), store_->logger());
  K3_RETURN_IF_ERROR(live->Load(*store_, snapshot.get()));
  live_[record.info.collection_id] = live;
  by_name_[NameKey(bucket, record.info.name)] = live;
  return live;
}

void VectorService::Impl::Forget(const std::string& collection_id) {
  std::lock_guard lock(live_mu_);
  auto it = live_.find(collection_id);
  if (it == live_.end()) return;
  by_name_.erase(NameKey(it->second->bucket(), it->second->name()));
  live_.erase(it);
}

void VectorService::Impl::ForgetEngine(std::string_view bucket) {
  std::lock_guard lock(live_mu_);
  auto it = engines_.find(bucket);
  if (it != engines_.end()) engines_.erase(it);
}

std::string VectorService::Impl::NameKey(std::string_view bucket, std::string_view name) {
  std::string key(bucket);
  key.push_back('\0');
  key.append(name);
  return key;
}

// ---- Background maintenance ----

void VectorService::Impl::Enqueue(const std::shared_ptr<LiveCollection>& collection) {
  if (!collection->NeedsMaintenance() || !collection->TryQueue()) return;
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(collection);
  }
  queue_cv_.notify_all();
}

void VectorService::Impl::WorkerLoop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto collection = std::move(queue_.front());
    queue_.pop_front();
    worker_busy_ = true;
    lock.unlock();
    collection->Unqueue();
    Status s = collection->Maintain();
    if (!s.ok()) store_->logger().Warn("vector index maintenance: " + s.ToString());
    lock.lock();
    worker_busy_ = false;
    queue_cv_.notify_all();
  }
}

void VectorService::Impl::WaitIdle() {
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait(lock, [&] { return stopping_ || (queue_.empty() && !worker_busy_); });
}

}  // namespace k3
