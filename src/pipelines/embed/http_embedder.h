// pipelines/embed/http_embedder.h: the built-in "http" embedder — calls an OpenAI-compatible
// /v1/embeddings endpoint (OpenAI, Ollama, vLLM, Hugging Face TEI, LocalAI) with libcurl.
// Thread-safety: the embedder is immutable after creation except for a mutex-guarded pool of
// curl handles; embed() may be called from any number of threads at once (each call uses its
// own curl handle).
#ifndef K3_PIPELINES_EMBED_HTTP_EMBEDDER_H_
#define K3_PIPELINES_EMBED_HTTP_EMBEDDER_H_

#include <memory>
#include <string>

#include "k3/embedder.h"
#include "k3/status.h"

namespace k3::pipelines {

struct HttpEmbedderConfig {
  std::string url;         // full endpoint, e.g. http://127.0.0.1:11434/v1/embeddings (a base
                           // URL ending in /v1 gets "/embeddings" appended)
  std::string model;       // sent as "model"
  std::string api_key;     // sent as "Authorization: Bearer <key>" when non-empty; never logged
                           // and never included in error messages
  int dimensions = 0;      // expected length (1..65536); 0 = learn it from a probe request
  int batch_size = 64;     // texts per request (1..2048)
  int timeout_ms = 30000;  // per request (100..600000)
  int max_retries = 3;     // retries on 429, 408, 5xx, connection errors, timeouts (0..10)
  int initial_backoff_ms = 200;  // (0..10000) doubled each retry, capped at 10 s; a 429's
                                 // Retry-After (seconds) replaces it, capped the same
};

// Makes the "http" embedder. Validates `config`: INVALID_ARGUMENT naming the field for an
// empty url or model, a scheme other than http/https, a url or api_key with whitespace or
// control characters, or a number outside the ranges above. When config.dimensions == 0,
// embeds one probe text to learn the dimensions (errors as embed()).
//
// embed(texts): POSTs {"model": m, "input": [texts...], "encoding_format": "float"} in
// requests of at most batch_size texts (invalid UTF-8 is sent as U+FFFD) and expects
// {"data": [{"embedding": [numbers...], "index": i}, ...]} — put in order by "index" when
// the items carry one, else taken in order. Errors (the message names the endpoint without
// its user info or query, never the api key):
//  - the answer is not JSON or not of that shape, or has a different number of embeddings
//    than inputs, or a non-finite number: INTERNAL;
//  - an embedding's length differs from dimensions(): FAILED_PRECONDITION "embedding
//    endpoint returned N dimensions, expected M";
//  - HTTP 400/422 -> INVALID_ARGUMENT, 401 -> UNAUTHENTICATED, 403 -> PERMISSION_DENIED,
//    404 -> NOT_FOUND, 413 -> RESOURCE_EXHAUSTED, other 3xx/4xx -> FAILED_PRECONDITION, each
//    with the server's error message when the body has one;
//  - 429, 408, 5xx, connection failures and timeouts are retried max_retries times with
//    backoff; then UNAVAILABLE (DEADLINE_EXCEEDED when the last attempt timed out) saying how
//    many attempts were made;
//  - an answer larger than 64 MiB plus 64 bytes per expected number: RESOURCE_EXHAUSTED.
Result<std::shared_ptr<Embedder>> MakeHttpEmbedder(HttpEmbedderConfig config);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_EMBED_HTTP_EMBEDDER_H_
