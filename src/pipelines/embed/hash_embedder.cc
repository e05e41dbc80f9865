// pipelines/embed/hash_embedder.cc: the "hash" embedder (signed feature hashing).
#include "pipelines/embed/hash_embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <string>
#include <utility>

#include "pipelines/embed/text_features.h"

namespace k3::pipelines {
namespace embed_internal {
namespace {

// One seed per feature kind, so that the word "ing" and the n-gram "ing" differ.
constexpr uint64_t kWordSeed = kFnvOffset;
constexpr uint64_t kPairSeed = kFnvOffset ^ 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kGramSeed = kFnvOffset ^ 0xc2b2ae3d27d4eb4fULL;

constexpr float kWordWeight = 1.0f;
constexpr float kStopWordWeight = 0.1f;
constexpr float kPairWeight = 0.3f;
constexpr float kGramWeightPerWord = 0.5f;

struct Feature {
  uint64_t hash;
  float weight;
};

// Adds the padded character 3- and 4-grams of `word`, together weighing kGramWeightPerWord
// (in L2 terms: each gets kGramWeightPerWord / sqrt(count)).
void AddGrams(const std::string& word, std::vector<Feature>& features) {
  // Byte offsets of code-point starts in "<" word ">", plus the end.
  thread_local std::vector<size_t> starts;
  thread_local std::string padded;
  padded.clear();
  padded.push_back('<');
  padded += word;
  padded.push_back('>');
  starts.clear();
  for (size_t i = 0; i < padded.size(); ++i) {
    if ((static_cast<unsigned char>(padded[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  const size_t points = starts.size();
  starts.push_back(padded.size());
  if (points < 3) return;
  const size_t count = (points - 2) + (points >= 4 ? points - 3 : 0);
  const float weight = kGramWeightPerWord / std::sqrt(static_cast<float>(count));
  const std::string_view view(padded);
  for (size_t n = 3; n <= 4; ++n) {
    for (size_t i = 0; i + n <= points; ++i) {
      const std::string_view gram = view.substr(starts[i], starts[i + n] - starts[i]);
      features.push_back({Mix64(FnvUpdate(kGramSeed, gram)), weight});
    }
  }
}

}  // namespace

void HashEmbed(std::string_view text, int dimensions, std::vector<float>& out) {
  out.assign(static_cast<size_t>(dimensions), 0.0f);
  const std::vector<std::string> words = SplitWords(text);
  if (words.empty()) {
    std::fill(out.begin(), out.end(), 1.0f / std::sqrt(static_cast<float>(dimensions)));
    return;
  }
  thread_local std::vector<Feature> features;
  features.clear();
  std::string previous;  // the last non-stop word's stem, for pairs
  for (const std::string& word : words) {
    if (IsStopWord(word)) {
      features.push_back({Mix64(FnvUpdate(kWordSeed, word)), kStopWordWeight});
      continue;
    }
    std::string stem = Stem(word);
    features.push_back({Mix64(FnvUpdate(kWordSeed, stem)), kWordWeight});
    if (!previous.empty()) {
      uint64_t h = FnvUpdate(kPairSeed, previous);
      h = FnvUpdate(h, " ");
      features.push_back({Mix64(FnvUpdate(h, stem)), kPairWeight});
    }
    previous = std::move(stem);
    AddGrams(word, features);
  }
  // Group equal features: sublinear term frequency 1 + ln(tf). Sorting by (hash, weight)
  // keeps the sum's order, hence the floats, identical on every run.
  std::sort(features.begin(), features.end(), [](const Feature& a, const Feature& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.weight < b.weight;
  });
  const auto dims = static_cast<uint64_t>(dimensions);
  for (size_t i = 0; i < features.size();) {
    size_t j = i + 1;
    while (j < features.size() && features[j].hash == features[i].hash &&
           features[j].weight == features[i].weight) {
      ++j;
    }
    const float tf = static_cast<float>(j - i);
    const float value = features[i].weight * (1.0f + std::log(tf));
    const uint64_t h = features[i].hash;
    out[h % dims] += (h >> 63) != 0 ? -value : value;
    i = j;
  }
  double norm = 0;
  for (float v : out) norm += static_cast<double>(v) * v;
  if (norm <= 0) {  // every feature cancelled out (possible, astronomically rare)
    std::fill(out.begin(), out.end(), 1.0f / std::sqrt(static_cast<float>(dimensions)));
    return;
  }
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& v : out) v *= scale;
}

}  // namespace embed_internal

namespace {

class HashEmbedder final : public Embedder {
 public:
  explicit HashEmbedder(int dimensions) : dimensions_(dimensions) {}

  std::string name() const override { return "hash"; }
  int dimensions() const override { return dimensions_; }

  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
    try {
      std::vector<std::vector<float>> vectors(texts.size());
      for (size_t i = 0; i < texts.size(); ++i) {
        embed_internal::HashEmbed(texts[i], dimensions_, vectors[i]);
      }
      return vectors;
    } catch (const std::bad_alloc&) {
      return ResourceExhausted("hash embedder: out of memory embedding " +
                               std::to_string(texts.size()) + " texts");
    }
  }

 private:
  const int dimensions_;
};

}  // namespace

Result<std::shared_ptr<Embedder>> MakeHashEmbedder(int dimensions) {
  if (dimensions < kMinHashDimensions || dimensions > kMaxHashDimensions) {
    return InvalidArgument("dimensions must be " + std::to_string(kMinHashDimensions) + ".." +
                           std::to_string(kMaxHashDimensions) + ", got " +
                           std::to_string(dimensions));
  }
  return std::shared_ptr<Embedder>(std::make_shared<HashEmbedder>(dimensions));
}

}  // namespace k3::pipelines
