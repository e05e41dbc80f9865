// Db: opens the store and wires the services together.
#include "k3/db.h"

#include "events/event_log_impl.h"
#include "ingest/ingest_impl.h"
#include "kv/store.h"
#include "pipelines/pipeline_impl.h"
#include "sources/source_impl.h"
#include "storage/storage_impl.h"
#include "tables/table_impl.h"
#include "vectors/vector_impl.h"
#include "wire/rpc.h"

namespace k3 {

class Db::Impl {
 public:
  std::string path;
  std::unique_ptr<kv::Store> store;
  std::unique_ptr<EventLog::Impl> events_impl;
  std::unique_ptr<SourceService::Impl> sources_impl;
  std::unique_ptr<StorageService::Impl> storage_impl;
  std::unique_ptr<TableService::Impl> tables_impl;
  std::unique_ptr<EventLog> events;
  std::unique_ptr<SourceService> sources;
  std::unique_ptr<StorageService> storage;
  std::unique_ptr<TableService> tables;
  std::unique_ptr<VectorService::Impl> vectors_impl;
  std::unique_ptr<VectorService> vectors;
  std::unique_ptr<PipelineService::Impl> pipelines_impl;
  std::unique_ptr<PipelineService> pipelines;
  std::unique_ptr<IngestService::Impl> ingest_impl;
  std::unique_ptr<IngestService> ingest;

  // Services go before the store they use. Ingest stops first: its workers run pipelines,
  // which write to the tables and vectors. The table engines close their SQLite files first.
  ~Impl() {
    if (sources_impl) sources_impl->Stop();  // background syncs put objects: stop them first
    ingest.reset();
    ingest_impl.reset();  // stops the dispatcher and the workers; runs in progress finish
    pipelines.reset();
    pipelines_impl.reset();
    tables.reset();
    tables_impl.reset();
    vectors.reset();
    vectors_impl.reset();  // stops its worker and checkpoints loaded indexes
    storage.reset();
    sources.reset();
    events.reset();
    storage_impl.reset();
    sources_impl.reset();
    events_impl.reset();
    store.reset();
  }
};

Result<Db> Db::open(std::string_view path, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::string(path);
  util::Logger logger(options.log_sink, options.log_level);
  K3_ASSIGN_OR_RETURN(impl->store, kv::Store::Open(impl->path, options, logger));
  K3_ASSIGN_OR_RETURN(impl->events_impl, EventLog::Impl::Open(impl->store.get()));
  Impl* raw = impl.get();
  K3_ASSIGN_OR_RETURN(sources::MasterKey master_key,
                      sources::MasterKey::Resolve(options.master_key, impl->path));
  impl->sources_impl = std::make_unique<SourceService::Impl>(
      impl->store.get(),
      [raw](std::string_view bucket) { return raw->storage_impl->CheckBucket(bucket); },
      std::move(master_key), logger);
  impl->storage_impl = std::make_unique<StorageService::Impl>(
      impl->store.get(), impl->events_impl.get(), impl->sources_impl.get());
  K3_RETURN_IF_ERROR(impl->storage_impl->Recover());
  impl->tables_impl = std::make_unique<TableService::Impl>(
      impl->path, options, logger,
      [raw](std::string_view bucket) { return raw->storage_impl->CheckBucket(bucket); });
  // Deleting a bucket deletes its table engine (the SQLite file) first.
  impl->storage_impl->AddBucketDeletionHook(
      [raw](std::string_view bucket) { return raw->tables_impl->OnBucketDeleted(bucket); });
  impl->vectors_impl = std::make_unique<VectorService::Impl>(
      impl->store.get(),
      [raw](std::string_view bucket) { return raw->storage_impl->CheckBucket(bucket); });
  impl->storage_impl->AddBucketDeletionHook(
      [raw](std::string_view bucket) { return raw->vectors_impl->DropBucket(bucket); });
  impl->pipelines_impl = std::make_unique<PipelineService::Impl>(
      impl->store.get(), nullptr, impl->vectors_impl.get(), impl->tables_impl.get(),
      [raw](std::string_view bucket) { return raw->storage_impl->CheckBucket(bucket); });
  impl->vectors_impl->SetQueryEmbedder([raw](const Collection& c, std::string_view text) {
    return raw->pipelines_impl->EmbedQuery(c, text);
  });
  impl->storage_impl->AddBucketDeletionHook([raw](std::string_view bucket) {
    auto batch = raw->store->NewBatch();
    raw->pipelines_impl->AddBucketRemoval(*batch, bucket);
    return raw->store->Write(*batch);
  });
  impl->events = std::make_unique<EventLog>(impl->events_impl.get());
  impl->sources = std::make_unique<SourceService>(impl->sources_impl.get());
  impl->storage = std::make_unique<StorageService>(impl->storage_impl.get());
  impl->tables = std::make_unique<TableService>(impl->tables_impl.get());
  impl->vectors = std::make_unique<VectorService>(impl->vectors_impl.get());
  impl->pipelines_impl->SetStorage(impl->storage.get());
  impl->sources_impl->SetStorage(impl->storage.get());
  impl->pipelines_impl->SetBearerTokens([raw](std::string_view credential_id) {
    return raw->sources_impl->BearerToken(credential_id);
  });
  impl->pipelines = std::make_unique<PipelineService>(impl->pipelines_impl.get());
  for (auto& [name, embedder] : options.embedders) {
    K3_RETURN_IF_ERROR(impl->pipelines_impl->RegisterEmbedder(name, embedder));
  }
  impl->ingest_impl = std::make_unique<IngestService::Impl>(
      impl->store.get(), impl->events_impl.get(), impl->storage.get(), impl->sources.get(),
      impl->pipelines_impl.get(), options);
  impl->storage_impl->AddBucketDeletionHook(
      [raw](std::string_view bucket) { return raw->ingest_impl->DropBucket(bucket); });
  impl->ingest = std::make_unique<IngestService>(impl->ingest_impl.get());
  impl->ingest_impl->SetSourceAttribution([raw](std::string_view bucket, std::string_view key) {
    return raw->sources_impl->SourceOfKey(bucket, key);
  });
  impl->sources_impl->SetSourceUseCheck([raw](std::string_view bucket, std::string_view id) {
    return raw->ingest_impl->CheckSourceUnused(bucket, id);
  });
  impl->sources_impl->SetIndexedCounter([raw](std::string_view bucket, std::string_view id) {
    return raw->ingest_impl->CountIndexed(bucket, id);
  });
  impl->sources_impl->SetSourceDeletionHook([raw](std::string_view bucket, std::string_view id) {
    return raw->ingest_impl->DropSourceState(bucket, id);
  });
  K3_RETURN_IF_ERROR(impl->ingest_impl->Start());
  K3_RETURN_IF_ERROR(impl->sources_impl->Start());
  return Db(std::move(impl));
}

Db::Db(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Db::Db(Db&&) noexcept = default;
Db& Db::operator=(Db&&) noexcept = default;
Db::~Db() = default;

StorageService& Db::storage() { return *impl_->storage; }
SourceService& Db::sources() { return *impl_->sources; }
EventLog& Db::events() { return *impl_->events; }
TableService& Db::tables() { return *impl_->tables; }
VectorService& Db::vectors() { return *impl_->vectors; }
PipelineService& Db::pipelines() { return *impl_->pipelines; }
IngestService& Db::ingest() { return *impl_->ingest; }
Status Db::register_embedder(std::string name, std::shared_ptr<Embedder> embedder) {
  return impl_->pipelines_impl->RegisterEmbedder(std::move(name), std::move(embedder));
}
const std::string& Db::path() const { return impl_->path; }

Result<std::string> Db::call(std::string_view method, std::string_view request_json) {
  return wire::Dispatch(*this, method, request_json);
}

std::vector<std::string> Db::methods() { return wire::MethodNames(); }

}  // namespace k3
