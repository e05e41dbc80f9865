// Shared helpers for the VectorService suites: a fixture with a fresh Db holding bucket "kbase"
// with its vector engine, deterministic clustered data, and the brute-force reference that
// exact and approximate searches are checked against.
#ifndef K3_TESTS_SUPPORT_VECTORS_FIXTURE_H_
#define K3_TESTS_SUPPORT_VECTORS_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"
#include "vectors/filter.h"

namespace k3::test {

// `n` vectors of `dims` components around `clusters` random centres (Gaussian noise), the
// shape real embeddings have; uniform random data would make every index look exact.
inline std::vector<std::vector<float>> ClusteredVectors(size_t n, int dims, int clusters,
                                                        uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> centre(0.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.35f);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dims));
  for (auto& c : centres) {
    for (float& x : c) x = centre(rng);
  }
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<std::vector<float>> out(n, std::vector<float>(dims));
  for (auto& v : out) {
    const auto& c = centres[pick(rng)];
    for (int d = 0; d < dims; ++d) v[d] = c[d] + noise(rng);
  }
  return out;
}

inline std::string VecId(size_t i) { return "v" + std::to_string(i); }

// Metadata with known selectivities: "pct" is i % 100 (so pct < 10 selects 10%), "parity"
// even/odd, "tags" a list, "name" a string with a prefix per decade.
inline Metadata TestMetadata(size_t i) {
  Metadata m;
  m["pct"] = static_cast<double>(i % 100);
  m["parity"] = std::string(i % 2 == 0 ? "even" : "odd");
  m["flag"] = (i % 3 == 0);
  m["tags"] = std::vector<std::string>{"t" + std::to_string(i % 5), "all"};
  m["name"] = "doc-" + std::to_string((i / 10) % 10) + "-" + std::to_string(i);
  return m;
}

// The score k3 documents for each metric (k3/vectors.h).
inline float ReferenceScore(VectorMetric metric, const std::vector<float>& q,
                            const std::vector<float>& v) {
  double dot = 0, qq = 0, vv = 0, l2 = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    dot += static_cast<double>(q[i]) * v[i];
    qq += static_cast<double>(q[i]) * q[i];
    vv += static_cast<double>(v[i]) * v[i];
    double d = static_cast<double>(q[i]) - v[i];
    l2 += d * d;
  }
  switch (metric) {
    case VectorMetric::kL2:
      return static_cast<float>(1.0 / (1.0 + l2));
    case VectorMetric::kIp:
      return static_cast<float>(dot);
    default:
      return static_cast<float>(dot / std::sqrt(qq * vv));
  }
}

// The exact top-k (score, index) over `data`, restricted to `filter` when given.
inline std::vector<std::pair<float, size_t>> BruteForce(VectorMetric metric,
                                                        const std::vector<std::vector<float>>& data,
                                                        const std::vector<float>& q, int k,
                                                        const VectorFilter* filter = nullptr) {
  std::vector<std::pair<float, size_t>> all;
  for (size_t i = 0; i < data.size(); ++i) {
    if (filter && !vectors::MatchFilter(*filter, TestMetadata(i))) continue;
    all.push_back({ReferenceScore(metric, q, data[i]), i});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (all.size() > static_cast<size_t>(k)) all.resize(k);
  return all;
}

class VectorsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    Options options;
    options.log_sink = [this](LogLevel, std::string_view message) {
      std::lock_guard lock(log_mu_);
      logs_.emplace_back(message);
    };
    auto opened = Db::open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::make_unique<Db>(std::move(opened).value());
    if (!db_->storage().get_bucket("kbase").ok()) {
      ASSERT_TRUE(db_->storage().create_bucket({.name = "kbase"}).ok());
      ASSERT_TRUE(db_->vectors().configure_engine({.bucket = "kbase"}).ok());
    }
  }
  void Reopen() {
    db_.reset();
    Open();
  }
  VectorService& vec() { return db_->vectors(); }

  Collection MakeCollection(const std::string& name, int dims, VectorMetric metric,
                            VectorIndexType index) {
    CreateCollectionRequest r;
    r.bucket = "kbase";
    r.name = name;
    r.dimensions = dims;
    r.metric = metric;
    r.index = index;
    auto c = vec().create_collection(r);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Collection{};
  }

  // Upserts data[i] as VecId(i) with TestMetadata(i) and text "text i", in batches.
  void Fill(const std::string& collection, const std::vector<std::vector<float>>& data,
            size_t batch = 1000) {
    for (size_t start = 0; start < data.size(); start += batch) {
      WriteVectorsRequest r{.bucket = "kbase", .collection = collection};
      for (size_t i = start; i < std::min(data.size(), start + batch); ++i) {
        r.vectors.push_back({VecId(i), data[i], TestMetadata(i), "text " + std::to_string(i)});
      }
      auto w = vec().upsert_vectors(r);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
    }
  }

  std::vector<SearchHit> Search(const std::string& collection, const std::vector<float>& q, int k,
                                std::optional<VectorFilter> filter = std::nullopt) {
    SearchRequest r{.bucket = "kbase", .collection = collection, .vectors = {q}, .top_k = k};
    r.filter = std::move(filter);
    auto s = vec().search(r);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->results.at(0) : std::vector<SearchHit>{};
  }

  // Mean recall@k of `collection` against brute force over `queries`.
  double Recall(const std::string& collection, VectorMetric metric,
                const std::vector<std::vector<float>>& data,
                const std::vector<std::vector<float>>& queries, int k,
                const VectorFilter* filter = nullptr) {
    double total = 0;
    for (const auto& q : queries) {
      auto exact = BruteForce(metric, data, q, k, filter);
      std::set<std::string> want;
      for (const auto& [score, i] : exact) want.insert(VecId(i));
      auto hits =
          Search(collection, q, k, filter ? std::optional<VectorFilter>(*filter) : std::nullopt);
      size_t found = 0;
      for (const auto& h : hits) found += want.count(h.id);
      total += want.empty() ? 1.0 : static_cast<double>(found) / want.size();
    }
    return total / queries.size();
  }

  void ClearLogs() {
    std::lock_guard lock(log_mu_);
    logs_.clear();
  }
  bool Logged(std::string_view needle) {
    std::lock_guard lock(log_mu_);
    for (const auto& l : logs_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::mutex log_mu_;
  std::vector<std::string> logs_;
  TempDir dir_;
  std::unique_ptr<Db> db_;
};

}  // namespace k3::test

#endif  // K3_TESTS_SUPPORT_VECTORS_FIXTURE_H_
