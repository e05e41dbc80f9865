// k3/embedder.h: Embedder — turns texts into dense vectors for pipelines and text search.
//
// k3 ships two: "hash" (feature hashing, no model, deterministic on every machine) and "http"
// (an OpenAI-compatible /v1/embeddings endpoint). A host adds its own with
// Db::register_embedder. Thread-safety: k3 calls embed() from several threads at once (ingest
// workers, searches); an implementation must be safe for concurrent calls.
#ifndef K3_EMBEDDER_H_
#define K3_EMBEDDER_H_

#include <string>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"

namespace k3 {

class K3_EXPORT Embedder {
 public:
  virtual ~Embedder() = default;

  // The name pipelines refer to it by ("hash", "http", or the host's).
  virtual std::string name() const = 0;
  // The length of every vector embed() returns; constant for the embedder's lifetime.
  virtual int dimensions() const = 0;
  // Embeds `texts` (UTF-8) in order: on success exactly texts.size() vectors of dimensions()
  // floats each. An empty batch returns an empty result. Errors are returned, never thrown;
  // k3 fails the job (or the search) with the error's code and message.
  virtual Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) = 0;
};

}  // namespace k3

#endif  // K3_EMBEDDER_H_
