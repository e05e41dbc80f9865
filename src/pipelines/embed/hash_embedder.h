// pipelines/embed/hash_embedder.h: the built-in "hash" embedder — signed feature hashing of
// words, word pairs and character n-grams. No model, no network; the same text gives the same
// vector on every machine, compiler and run, so indexes built with it are reproducible.
// Quality is lexical (shared words and word pieces), good enough for keyword-like retrieval
// and for tests. Thread-safety: the embedder is immutable; embed() may be called concurrently.
#ifndef K3_PIPELINES_EMBED_HASH_EMBEDDER_H_
#define K3_PIPELINES_EMBED_HASH_EMBEDDER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "k3/embedder.h"
#include "k3/status.h"

namespace k3::pipelines {

inline constexpr int kDefaultHashDimensions = 384;
inline constexpr int kMinHashDimensions = 8;
inline constexpr int kMaxHashDimensions = 8192;

// Makes the "hash" embedder producing `dimensions` floats per text.
// Errors: INVALID_ARGUMENT "dimensions must be 8..8192, got N" outside that range.
//
// What embed() computes for one text (see text_features.h for the normalization):
//  - features: every word that is not a stop word, reduced to its stem by a light suffix
//    stripper ("running" -> "run"; weight 1), stop words ("the", "how"; weight 0.1), pairs of
//    consecutive non-stop stems "a b" (weight 0.3), and the character 3- and 4-grams
//    of every non-stop word padded as "<word>" (each weighs 0.5 / sqrt(the word's n-gram
//    count), so that whole words dominate and long words do not drown short ones);
//  - each feature's 64-bit hash (FNV-1a, then the MurmurHash3 finalizer; a seed per feature
//    kind) picks the component (hash % dimensions) and the sign (the hash's top bit);
//  - a feature seen tf times adds sign * weight * (1 + ln tf);
//  - the vector is L2-normalized.
// A text without any word (empty, only punctuation or spaces) gets the fixed unit vector
// whose components are all 1/sqrt(dimensions), so that cosine similarity and inner product
// stay finite. Invalid UTF-8 bytes act as separators. embed() fails only when memory runs out
// (RESOURCE_EXHAUSTED).
Result<std::shared_ptr<Embedder>> MakeHashEmbedder(int dimensions);

namespace embed_internal {
// Embeds one text into `out` (resized to `dimensions`); what HashEmbedder::embed does per text.
void HashEmbed(std::string_view text, int dimensions, std::vector<float>& out);
}  // namespace embed_internal

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_EMBED_HASH_EMBEDDER_H_
