// pipelines/pipeline_ops.cc: PipelineService::Impl — pipeline records and their destinations.
#include <algorithm>

#include "pipelines/pipeline_impl.h"
#include "pipelines/records.h"
#include "tables/sql_text.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/page_token.h"
#include "util/utf8.h"
#include "vectors/validate.h"

namespace k3 {

using pipelines::ResolvedOptions;

namespace {

constexpr size_t kMaxPipelineNameBytes = 128;

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status ValidatePipelineName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPipelineNameBytes) {
    return InvalidArgument("a pipeline name must be 1.." + std::to_string(kMaxPipelineNameBytes) +
                           " bytes");
  }
  if (!util::IsValidUtf8(name)) return InvalidArgument("a pipeline name must be UTF-8");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("a pipeline name may not hold control characters");
    }
  }
  return Status();
}

VectorMetric MetricOption(const std::string& v) {
  if (v == "l2") return VectorMetric::kL2;
  if (v == "ip") return VectorMetric::kIp;
  return VectorMetric::kCosine;
}

VectorIndexType IndexOption(const std::string& v) {
  if (v == "flat") return VectorIndexType::kFlat;
  if (v == "ivf_flat") return VectorIndexType::kIvfFlat;
  return VectorIndexType::kHnsw;
}

}  // namespace

PipelineService::Impl::Impl(kv::Store* store, StorageService* storage, VectorService::Impl* vectors,
                            TableService::Impl* tables, BucketCheck bucket_check)
    : store_(store),
      storage_(storage),
      vectors_(vectors),
      tables_(tables),
      bucket_check_(std::move(bucket_check)) {}

Status PipelineService::Impl::PrepareDestination(const Pipeline& p,
                                                 const ResolvedOptions& options) {
  const std::string& dest = p.store_entity_id;
  if (p.store_entity_kind == PipelineKind::kWarehouse) {
    K3_RETURN_IF_ERROR(tables::ValidateTableName(dest));
    K3_RETURN_IF_ERROR(tables_->ConfigureEngine(p.bucket).status());
    Result<Table> existing = tables_->GetTable(p.bucket, dest);
    if (existing.ok() && existing->source != TableSource::kPipeline) {
      return FailedPrecondition("table " + Quoted(dest) +
                                " exists and was not created by a pipeline; choose another "
                                "store_entity_id");
    }
    if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    return Status();
  }
  K3_RETURN_IF_ERROR(vectors::ValidateCollectionName(dest));
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder, EmbedderFor(options));
  const int dims = embedder->dimensions();
  ConfigureEngineRequest engine;
  engine.bucket = p.bucket;
  K3_RETURN_IF_ERROR(vectors_->ConfigureEngine(engine).status());
  Result<Collection> existing = vectors_->GetCollection(p.bucket, dest);
  if (!existing.ok()) {
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    CreateCollectionRequest c;
    c.bucket = p.bucket;
    c.name = dest;
    c.dimensions = dims;
    c.metric = MetricOption(options.Get("metric"));
    c.index = IndexOption(options.Get("index"));
    c.description = "Written by pipeline " + p.name;
    c.mode = CollectionMode::kPipeline;
    c.embed_pipeline_id = p.pipeline_id;
    c.embed_pipeline_name = p.name;
    return vectors_->CreateCollection(c).status();
  }
  const Collection& c = *existing;
  if (c.mode != CollectionMode::kPipeline) {
    return FailedPrecondition("collection " + Quoted(dest) +
                              " is an external-mode collection; a pipeline needs its own "
                              "(choose another store_entity_id)");
  }
  if (c.dimensions != dims) {
    return FailedPrecondition("collection " + Quoted(dest) + " has " +
                              std::to_string(c.dimensions) + " dimensions but embedder " +
                              Quoted(embedder->name()) + " produces " + std::to_string(dims));
  }
  if (!c.embed_pipeline_id.empty() && c.embed_pipeline_id != p.pipeline_id) {
    Result<Pipeline> owner = Get(p.bucket, c.embed_pipeline_id);
    if (owner.ok()) {
      return FailedPrecondition("collection " + Quoted(dest) + " is written by pipeline " +
                                Quoted(owner->name) + " (" + owner->pipeline_id + ")");
    }
    if (owner.status().code() != StatusCode::kNotFound) return owner.status();
  }
  if (c.embed_pipeline_id == p.pipeline_id && c.embed_pipeline_name == p.name) return Status();
  return vectors_->BindPipeline(p.bucket, dest, p.pipeline_id, p.name).status();
}

Status PipelineService::Impl::Save(const Pipeline& p) {
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, pipelines::PipelineKey(p.bucket, p.pipeline_id),
             pipelines::EncodePipeline(p));
  return store_->Write(*batch);
}

Result<std::vector<Pipeline>> PipelineService::Impl::BucketPipelines(std::string_view bucket) {
  const std::string prefix = pipelines::PipelinePrefix(bucket);
  std::string end = prefix;
  end.back() = '\1';
  std::vector<Pipeline> out;
  auto it = store_->NewIterator(kv::Cf::kRecords, end);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    Pipeline p;
    if (!pipelines::DecodePipeline(it->value(), &p)) {
      return DataLoss("malformed pipeline record in bucket " + Quoted(bucket));
    }
    out.push_back(std::move(p));
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

Result<Pipeline> PipelineService::Impl::Create(const CreatePipelineRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  K3_RETURN_IF_ERROR(ValidatePipelineName(r.name));
  K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(r.template_id));
  K3_ASSIGN_OR_RETURN(ResolvedOptions options, pipelines::ResolveOptions(*t, r.options));
  Pipeline p;
  p.pipeline_id = util::NewId("pipe");
  p.bucket = r.bucket;
  p.name = r.name;
  p.description = r.description;
  p.template_id = t->template_id;
  p.options = r.options;
  p.store_entity_kind = t->kind;
  p.store_entity_id = r.store_entity_id.empty() ? r.name : r.store_entity_id;
  p.created_at = p.updated_at = util::NowMs();

  std::lock_guard lock(admin_mu_);
  K3_ASSIGN_OR_RETURN(std::vector<Pipeline> existing, BucketPipelines(r.bucket));
  for (const Pipeline& e : existing) {
    if (e.name == r.name) {
      return AlreadyExists("pipeline " + Quoted(r.name) + " already exists in bucket " +
                           Quoted(r.bucket) + " (" + e.pipeline_id + ")");
    }
  }
  K3_RETURN_IF_ERROR(PrepareDestination(p, options));
  K3_RETURN_IF_ERROR(Save(p));
  return p;
}

Result<Pipeline> PipelineService::Impl::Get(std::string_view bucket, std::string_view pipeline_id) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kRecords, pipelines::PipelineKey(bucket, pipeline_id)));
  if (!value) {
    return NotFound("pipeline " + Quoted(pipeline_id) + " does not exist in bucket " +
                    Quoted(bucket));
  }
  Pipeline p;
  if (!pipelines::DecodePipeline(*value, &p)) {
    return DataLoss("malformed pipeline record " + std::string(pipeline_id));
  }
  return p;
}

Status PipelineService::Impl::CheckRunOptions(const Pipeline& p,
                                              const std::map<std::string, std::string>& overlay) {
  K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(p.template_id));
  return pipelines::ResolveOptions(*t, p.options, overlay).status();
}

Result<ListPipelinesResponse> PipelineService::Impl::List(const ListPipelinesRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(r.page_size, kDefaultPageSize, kMaxPageSize));
  std::string listing =
      "pipelines/" + r.bucket + "/" +
      (r.store_entity_kind ? std::to_string(static_cast<int>(*r.store_entity_kind))
                           : std::string("*")) +
      "/" + r.store_entity_id;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, r.page_token));
  K3_ASSIGN_OR_RETURN(std::vector<Pipeline> all, BucketPipelines(r.bucket));
  ListPipelinesResponse out;
  int64_t total = 0;
  for (Pipeline& p : all) {
    if (r.store_entity_kind && p.store_entity_kind != *r.store_entity_kind) continue;
    if (!r.store_entity_id.empty() && p.store_entity_id != r.store_entity_id) continue;
    ++total;
    if (!after.empty() && p.pipeline_id <= after) continue;
    if (static_cast<int>(out.pipelines.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token =
            util::EncodePageToken(listing, out.pipelines.back().pipeline_id);
      }
      continue;
    }
    out.pipelines.push_back(std::move(p));
  }
  out.pagination.total_count = total;
  return out;
}

Result<Pipeline> PipelineService::Impl::Update(const UpdatePipelineRequest& r) {
  std::lock_guard lock(admin_mu_);
  K3_ASSIGN_OR_RETURN(Pipeline p, Get(r.bucket, r.pipeline_id));
  if (r.name && *r.name != p.name) {
    K3_RETURN_IF_ERROR(ValidatePipelineName(*r.name));
    K3_ASSIGN_OR_RETURN(std::vector<Pipeline> existing, BucketPipelines(r.bucket));
    for (const Pipeline& e : existing) {
      if (e.name == *r.name) {
        return AlreadyExists("pipeline " + Quoted(*r.name) + " already exists in bucket " +
                             Quoted(r.bucket) + " (" + e.pipeline_id + ")");
      }
    }
    p.name = *r.name;
  }
  if (r.description) p.description = *r.description;
  if (r.options) p.options = *r.options;
  K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(p.template_id));
  K3_ASSIGN_OR_RETURN(ResolvedOptions options, pipelines::ResolveOptions(*t, p.options));
  K3_RETURN_IF_ERROR(PrepareDestination(p, options));
  p.updated_at = util::NowMs();
  K3_RETURN_IF_ERROR(Save(p));
  return p;
}

Status PipelineService::Impl::Delete(std::string_view bucket, std::string_view pipeline_id) {
  std::lock_guard lock(admin_mu_);
  K3_ASSIGN_OR_RETURN(Pipeline p, Get(bucket, pipeline_id));
  if (p.store_entity_kind == PipelineKind::kVector) {
    Result<Collection> c = vectors_->GetCollection(bucket, p.store_entity_id);
    if (c.ok() && c->embed_pipeline_id == p.pipeline_id) {
      K3_RETURN_IF_ERROR(vectors_->BindPipeline(bucket, p.store_entity_id, "", "").status());
    }
  }
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kRecords, pipelines::PipelineKey(bucket, pipeline_id));
  return store_->Write(*batch);
}

void PipelineService::Impl::AddBucketRemoval(kv::Batch& batch, std::string_view bucket) {
  const std::string prefix = pipelines::PipelinePrefix(bucket);
  std::string end = prefix;
  end.back() = '\1';
  batch.DeleteRange(kv::Cf::kRecords, prefix, end);
}

}  // namespace k3
