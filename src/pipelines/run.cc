// pipelines/run.cc: PipelineService::Impl::Run — one pipeline on one object.
#include <algorithm>

#include "pipelines/output.h"
#include "pipelines/parse/parser.h"
#include "pipelines/pipeline_impl.h"
#include "pipelines/templates/template.h"

namespace k3 {

using pipelines::ResolvedOptions;

namespace {

// Reads an object in ranges of this size, so that no format needs it whole in memory.
constexpr uint64_t kReadPiece = 1 << 20;

// Pulls `info`'s bytes range by range. Each range is read under if-match on the ETag the run
// started with, so an object overwritten mid-run fails the run (ABORTED) instead of mixing
// two versions.
pipelines::ByteReader ObjectBytes(StorageService& storage, const ObjectInfo& info) {
  struct State {
    std::string piece;
    size_t used = 0;
    uint64_t next = 0;
  };
  auto state = std::make_shared<State>();
  return [&storage, info, state](char* buffer, size_t capacity) -> Result<size_t> {
    if (state->used == state->piece.size()) {
      if (state->next >= info.size) return size_t{0};
      GetObjectOptions o;
      ByteRange range;
      range.first = state->next;
      range.last = state->next + kReadPiece - 1;
      o.range = range;
      o.if_match = info.etag;
      Result<GetObjectResult> got = storage.get_object(info.bucket, info.key, o);
      if (!got.ok()) {
        if (got.status().code() == StatusCode::kFailedPrecondition ||
            got.status().code() == StatusCode::kNotFound) {
          return Status(StatusCode::kAborted, "object \"" + info.key +
                                                  "\" changed or was deleted while it was read: " +
                                                  got.status().message());
        }
        return got.status();
      }
      state->piece = std::move(got->body);
      state->used = 0;
      state->next += state->piece.size();
      if (state->piece.empty()) return size_t{0};
    }
    const size_t n = std::min(capacity, state->piece.size() - state->used);
    std::copy_n(state->piece.data() + state->used, n, buffer);
    state->used += n;
    return n;
  };
}

}  // namespace

// Holds the turn of one (pipeline, object) for its lifetime: waits while another run of the
// same pair holds it.
class PipelineService::Impl::RunTurn {
 public:
  RunTurn(Impl& impl, std::string_view pipeline_id, std::string_view key)
      : impl_(impl), name_(std::string(pipeline_id) + '\0' + std::string(key)) {
    std::unique_lock lock(impl_.runs_mu_);
    impl_.runs_cv_.wait(lock, [&] { return !impl_.running_.contains(name_); });
    impl_.running_.insert(name_);
  }
  ~RunTurn() {
    {
      std::lock_guard lock(impl_.runs_mu_);
      impl_.running_.erase(name_);
    }
    impl_.runs_cv_.notify_all();
  }
  RunTurn(const RunTurn&) = delete;
  RunTurn& operator=(const RunTurn&) = delete;

 private:
  Impl& impl_;
  std::string name_;
};

Result<PipelineRunResult> PipelineService::Impl::Run(const RunPipelineRequest& r) {
  RunTurn turn(*this, r.pipeline_id, r.key);
  K3_ASSIGN_OR_RETURN(Pipeline p, Get(r.bucket, r.pipeline_id));
  K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(p.template_id));
  K3_ASSIGN_OR_RETURN(ResolvedOptions options, pipelines::ResolveOptions(*t, p.options, r.options));
  K3_ASSIGN_OR_RETURN(ObjectInfo info, storage_->head_object(r.bucket, r.key));

  PipelineRunResult result;
  result.content_type = pipelines::EffectiveContentType(info.content_type, info.key);
  const bool readable =
      std::any_of(t->content_types.begin(), t->content_types.end(), [&](const std::string& ct) {
        return pipelines::ContentTypeMatches(ct, result.content_type);
      });
  if (!readable) {
    std::string accepted;
    for (const std::string& ct : t->content_types) accepted += (accepted.empty() ? "" : ", ") + ct;
    return InvalidArgument("template " + t->template_id + " does not read content type \"" +
                           result.content_type + "\" (object \"" + info.key + "\"); it reads " +
                           accepted);
  }
  pipelines::RunContext ctx{.pipeline = p,
                            .options = options,
                            .object = info,
                            .content_type = result.content_type,
                            .read = ObjectBytes(*storage_, info),
                            .result = &result};
  const std::string tid = t->template_id;
  if (p.store_entity_kind == PipelineKind::kVector) {
    K3_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder, EmbedderFor(options));
    pipelines::VectorOutput out(*vectors_, p.bucket, p.store_entity_id, info.key);
    K3_RETURN_IF_ERROR(
        pipelines::RunEmbeddingIndex(ctx, embedder, out, tid == pipelines::kCodeEmbeddingIndex));
    return result;
  }
  pipelines::RowOutput out(*tables_, p.bucket, p.store_entity_id, info.key);
  if (tid == pipelines::kObjectCatalog) {
    K3_RETURN_IF_ERROR(pipelines::RunObjectCatalog(ctx, out));
  } else {
    K3_RETURN_IF_ERROR(pipelines::RunTableLoad(ctx, out, tid == pipelines::kCsvTable));
  }
  return result;
}

Status PipelineService::Impl::RemoveOutput(std::string_view bucket, std::string_view pipeline_id,
                                           std::string_view key) {
  RunTurn turn(*this, pipeline_id, key);
  K3_ASSIGN_OR_RETURN(Pipeline p, Get(bucket, pipeline_id));
  if (p.store_entity_kind == PipelineKind::kVector) {
    pipelines::VectorOutput out(*vectors_, p.bucket, p.store_entity_id, std::string(key));
    Status s = out.Finish(0);
    return s.code() == StatusCode::kNotFound ? Status() : s;  // no collection: nothing to remove
  }
  pipelines::RowOutput out(*tables_, p.bucket, p.store_entity_id, std::string(key));
  return out.RemoveAll();
}

}  // namespace k3
