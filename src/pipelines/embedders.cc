// pipelines/embedders.cc: PipelineService::Impl's embedder registry and text-query embedding.
#include <cstdlib>

#include "pipelines/embed/hash_embedder.h"
#include "pipelines/embed/http_embedder.h"
#include "pipelines/pipeline_impl.h"
#include "util/hash.h"

namespace k3 {

using pipelines::ResolvedOptions;

Status PipelineService::Impl::RegisterEmbedder(std::string name,
                                               std::shared_ptr<Embedder> embedder) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgument("an embedder name must be 1..128 bytes");
  }
  if (name == "hash" || name == "http") {
    return InvalidArgument("embedder name \"" + name + "\" is reserved for k3's built-in one");
  }
  if (embedder == nullptr) return InvalidArgument("embedder \"" + name + "\" is null");
  const int dims = embedder->dimensions();
  if (dims < 1 || dims > kMaxVectorDimensions) {
    return InvalidArgument("embedder \"" + name + "\" reports " + std::to_string(dims) +
                           " dimensions; 1.." + std::to_string(kMaxVectorDimensions) +
                           " are accepted");
  }
  // The replaced embedder is released after the lock: its destructor runs host code (a C
  // embedder's destroy callback), which may call back into k3.
  std::shared_ptr<Embedder> replaced;
  {
    std::lock_guard lock(embedders_mu_);
    std::shared_ptr<Embedder>& slot = registered_[std::move(name)];
    replaced = std::move(slot);
    slot = std::move(embedder);
  }
  return Status();
}

Result<std::shared_ptr<Embedder>> PipelineService::Impl::EmbedderFor(
    const ResolvedOptions& options) {
  const std::string& name = options.Get("embedder");
  const int64_t dims = options.GetInt("dimensions");
  std::shared_ptr<Embedder> embedder;
  if (name == "hash") {
    const int hash_dims = dims == 0 ? pipelines::kDefaultHashDimensions : static_cast<int>(dims);
    const std::string key = "hash/" + std::to_string(hash_dims);
    std::lock_guard lock(embedders_mu_);
    auto it = builtin_.find(key);
    if (it != builtin_.end()) return it->second;
    K3_ASSIGN_OR_RETURN(embedder, pipelines::MakeHashEmbedder(hash_dims));
    builtin_[key] = embedder;
    return embedder;
  }
  if (name == "http") {
    pipelines::HttpEmbedderConfig config;
    config.url = options.Get("http_url");
    config.model = options.Get("http_model");
    config.dimensions = static_cast<int>(dims);
    config.batch_size = static_cast<int>(options.GetInt("embed_batch_size"));
    config.timeout_ms = static_cast<int>(options.GetInt("http_timeout_ms"));
    config.max_retries = static_cast<int>(options.GetInt("http_max_retries"));
    const std::string& key_env = options.Get("http_api_key_env");
    const std::string& credential_id = options.Get("http_credential_id");
    if (!key_env.empty() && !credential_id.empty()) {
      return InvalidArgument(
          "options \"http_api_key_env\" and \"http_credential_id\" exclude each other");
    }
    if (!key_env.empty()) {
      const char* key = std::getenv(key_env.c_str());
      if (key == nullptr || *key == '\0') {
        return FailedPrecondition("option \"http_api_key_env\" names environment variable " +
                                  key_env + ", which is not set");
      }
      config.api_key = key;
    }
    std::string token_digest;
    if (!credential_id.empty()) {
      if (!bearer_tokens_) return FailedPrecondition("no credential store is attached");
      auto token = bearer_tokens_(credential_id);
      if (!token.ok()) {
        return Status(token.status().code(),
                      "option \"http_credential_id\": " + token.status().message());
      }
      config.api_key = std::move(token).value();
      // A refreshed OAuth token makes a new embedder; the cache key holds only a digest.
      token_digest = util::HexEncode(util::Sha256Digest(config.api_key));
    }
    // The cache key holds no secret: the variable's name, not its value.
    const std::string key =
        "http/" + config.url + "\n" + config.model + "\n" + std::to_string(config.dimensions) +
        "\n" + std::to_string(config.batch_size) + "\n" + std::to_string(config.timeout_ms) + "\n" +
        std::to_string(config.max_retries) + "\n" + key_env + "\n" + credential_id + "\n" +
        token_digest;
    {
      std::lock_guard lock(embedders_mu_);
      auto it = builtin_.find(key);
      if (it != builtin_.end()) return it->second;
    }
    K3_ASSIGN_OR_RETURN(embedder, pipelines::MakeHttpEmbedder(std::move(config)));
    std::lock_guard lock(embedders_mu_);
    builtin_[key] = embedder;
    return embedder;
  }
  {
    std::lock_guard lock(embedders_mu_);
    auto it = registered_.find(name);
    if (it == registered_.end()) {
      return InvalidArgument("option \"embedder\": no embedder named \"" + name +
                             "\" (built in: hash, http; others must be registered with "
                             "Db::register_embedder)");
    }
    embedder = it->second;
  }
  if (dims != 0 && embedder->dimensions() != dims) {
    return InvalidArgument("option \"dimensions\" is " + std::to_string(dims) + " but embedder \"" +
                           name + "\" produces " + std::to_string(embedder->dimensions()));
  }
  return embedder;
}

Result<std::vector<float>> PipelineService::Impl::EmbedQuery(const Collection& collection,
                                                             std::string_view text) {
  std::shared_ptr<Embedder> embedder;
  if (collection.mode == CollectionMode::kPipeline) {
    if (collection.embed_pipeline_id.empty()) {
      return FailedPrecondition("collection \"" + collection.name +
                                "\" has no pipeline (it was deleted), so a text query cannot be "
                                "embedded; search with a vector");
    }
    K3_ASSIGN_OR_RETURN(Pipeline p, Get(collection.bucket, collection.embed_pipeline_id));
    K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(p.template_id));
    K3_ASSIGN_OR_RETURN(ResolvedOptions options, pipelines::ResolveOptions(*t, p.options));
    K3_ASSIGN_OR_RETURN(embedder, EmbedderFor(options));
  } else {
    if (collection.embed_model.empty()) {
      return FailedPrecondition("collection \"" + collection.name +
                                "\" has no embed_model, so a text query cannot be embedded; set "
                                "embed_model to an embedder's name or search with a vector");
    }
    // An external collection names an embedder: "hash" at the collection's dimensions, or a
    // registered one.
    K3_ASSIGN_OR_RETURN(const Template* t, pipelines::FindTemplate(pipelines::kTextEmbeddingIndex));
    std::map<std::string, std::string> o = {{"embedder", collection.embed_model}};
    if (collection.embed_model == "hash") o["dimensions"] = std::to_string(collection.dimensions);
    K3_ASSIGN_OR_RETURN(ResolvedOptions options, pipelines::ResolveOptions(*t, o));
    K3_ASSIGN_OR_RETURN(embedder, EmbedderFor(options));
  }
  if (embedder->dimensions() != collection.dimensions) {
    return FailedPrecondition("embedder \"" + embedder->name() + "\" produces " +
                              std::to_string(embedder->dimensions()) +
                              " dimensions but collection \"" + collection.name + "\" has " +
                              std::to_string(collection.dimensions));
  }
  K3_ASSIGN_OR_RETURN(auto vectors, embedder->embed({std::string(text)}));
  if (vectors.size() != 1 || static_cast<int>(vectors[0].size()) != collection.dimensions) {
    return Internal("embedder \"" + embedder->name() + "\" returned a malformed answer");
  }
  return std::move(vectors[0]);
}

}  // namespace k3
