// VectorService search: exact search equals brute force for every metric, approximate
// indexes reach the recall the issue asks for on clustered data, filters equal brute-force
// filtering, and searching all collections merges by score.
#include <gtest/gtest.h>

#include <map>

#include "support/vectors_fixture.h"

namespace k3::test {
namespace {

using Op = VectorFilter::Op;

// Exact hits (ids and scores) against the brute-force reference; ties broken either way.
void ExpectSameAsBruteForce(const std::vector<SearchHit>& hits,
                            const std::vector<std::pair<float, size_t>>& exact) {
  ASSERT_EQ(hits.size(), exact.size());
  std::set<std::string> got, want;
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_NEAR(hits[i].score, exact[i].first, 1e-4 * std::max(1.0f, std::fabs(exact[i].first)))
        << "rank " << i;
    got.insert(hits[i].id);
    want.insert(VecId(exact[i].second));
  }
  EXPECT_EQ(got, want);
}

class VectorsSearchTest : public VectorsTest {};

TEST_F(VectorsSearchTest, FlatEqualsBruteForceForEveryMetric) {
  auto data = ClusteredVectors(2050, 32, 16, 7);
  std::vector<std::vector<float>> queries(data.begin() + 2000, data.end());
  data.resize(2000);
  for (VectorMetric metric : {VectorMetric::kL2, VectorMetric::kIp, VectorMetric::kCosine}) {
    std::string name = "flat" + std::to_string(static_cast<int>(metric));
    MakeCollection(name, 32, metric, VectorIndexType::kFlat);
    Fill(name, data, 500);
    for (const auto& q : queries) {
      auto hits = Search(name, q, 10);
      ExpectSameAsBruteForce(hits, BruteForce(metric, data, q, 10));
      for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
    }
  }
}

TEST_F(VectorsSearchTest, FlatFiltersEqualBruteForce) {
  auto data = ClusteredVectors(3020, 16, 8, 11);
  std::vector<std::vector<float>> queries(data.begin() + 3000, data.end());
  data.resize(3000);
  MakeCollection("f", 16, VectorMetric::kL2, VectorIndexType::kFlat);
  Fill("f", data);
  std::vector<VectorFilter> filters = {
      VectorFilter::Eq("parity", std::string("even")),
      VectorFilter::Compare(Op::kNe, "parity", std::string("even")),
      VectorFilter::Compare(Op::kLt, "pct", 10.0),
      VectorFilter::Compare(Op::kLte, "pct", 10.0),
      VectorFilter::Compare(Op::kGt, "pct", 97.0),
      VectorFilter::Compare(Op::kGte, "pct", 97.0),
      VectorFilter::In("pct", {1.0, 2.0, 3.0}),
      VectorFilter{.op = Op::kNin, .field = "pct", .values = {1.0, 2.0, 3.0}},
      VectorFilter::Compare(Op::kPrefix, "name", std::string("doc-3-")),
      VectorFilter::Eq("tags", std::string("t2")),
      VectorFilter::Eq("flag", true),
      VectorFilter::Exists("pct"),
      VectorFilter::Exists("missing"),
      VectorFilter::Compare(Op::kNe, "missing", std::string("x")),
      VectorFilter::And({VectorFilter::Eq("parity", std::string("odd")),
                         VectorFilter::Compare(Op::kLt, "pct", 20.0)}),
      VectorFilter::Or({VectorFilter::Eq("tags", std::string("t1")),
                        VectorFilter::Compare(Op::kGte, "pct", 90.0)}),
      VectorFilter::Not(VectorFilter::Eq("tags", std::string("t0"))),
      VectorFilter::Compare(Op::kLt, "name", std::string("doc-2")),
      VectorFilter::Compare(Op::kLt, "parity", 3.0),  // type mismatch: matches nothing
  };
  for (size_t f = 0; f < filters.size(); ++f) {
    for (const auto& q : queries) {
      auto hits = Search("f", q, 10, filters[f]);
      SCOPED_TRACE("filter " + std::to_string(f));
      ExpectSameAsBruteForce(hits, BruteForce(VectorMetric::kL2, data, q, 10, &filters[f]));
      for (const auto& h : hits) {
        EXPECT_TRUE(vectors::MatchFilter(filters[f], h.metadata));
      }
    }
  }
}

TEST_F(VectorsSearchTest, HnswRecallUnfilteredAndFiltered) {
  auto data = ClusteredVectors(20100, 128, 64, 3);
  std::vector<std::vector<float>> queries(data.begin() + 20000, data.end());
  data.resize(20000);
  MakeCollection("h", 128, VectorMetric::kL2, VectorIndexType::kHnsw);
  Fill("h", data, 2000);
  double recall = Recall("h", VectorMetric::kL2, data, queries, 10);
  EXPECT_GE(recall, 0.95);
  for (double pct : {50.0, 10.0, 1.0}) {
    VectorFilter f = VectorFilter::Compare(Op::kLt, "pct", pct);
    double r = Recall("h", VectorMetric::kL2, data, queries, 10, &f);
    EXPECT_GE(r, 0.95) << pct << "% selectivity";
    RecordProperty("recall_filtered_" + std::to_string(static_cast<int>(pct)), std::to_string(r));
  }
  RecordProperty("recall_unfiltered", std::to_string(recall));
}

TEST_F(VectorsSearchTest, IvfFlatRecallAfterAutomaticTraining) {
  auto data = ClusteredVectors(20100, 128, 64, 5);
  std::vector<std::vector<float>> queries(data.begin() + 20000, data.end());
  data.resize(20000);
  MakeCollection("ivf", 128, VectorMetric::kCosine, VectorIndexType::kIvfFlat);
  // Below the training threshold the collection searches exactly.
  std::vector<std::vector<float>> few(data.begin(), data.begin() + 500);
  Fill("ivf", few);
  vec().wait_idle();
  for (size_t i = 0; i < 5; ++i) {
    ExpectSameAsBruteForce(Search("ivf", queries[i], 10),
                           BruteForce(VectorMetric::kCosine, few, queries[i], 10));
  }
  Fill("ivf", data, 2000);
  vec().wait_idle();  // the background worker trains the index
  double recall = Recall("ivf", VectorMetric::kCosine, data, queries, 10);
  EXPECT_GE(recall, 0.95);
  RecordProperty("recall", std::to_string(recall));
}

TEST_F(VectorsSearchTest, EmptyCollectionNameSearchesEveryCollectionOfTheDimensions) {
  auto data = ClusteredVectors(610, 8, 4, 9);
  std::vector<float> q = data.back();
  MakeCollection("a", 8, VectorMetric::kL2, VectorIndexType::kFlat);
  MakeCollection("b", 8, VectorMetric::kL2, VectorIndexType::kHnsw);
  MakeCollection("other", 4, VectorMetric::kL2, VectorIndexType::kFlat);
  std::vector<std::vector<float>> first(data.begin(), data.begin() + 300);
  std::vector<std::vector<float>> second(data.begin() + 300, data.begin() + 600);
  Fill("a", first);
  WriteVectorsRequest w{.bucket = "kbase", .collection = "b"};
  for (size_t i = 0; i < second.size(); ++i) {
    w.vectors.push_back({VecId(300 + i), second[i], TestMetadata(300 + i), std::nullopt});
  }
  ASSERT_TRUE(vec().upsert_vectors(w).ok());
  auto all = vec().search({.bucket = "kbase", .vectors = {q}, .top_k = 20});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::vector<float>> both(data.begin(), data.begin() + 600);
  auto exact = BruteForce(VectorMetric::kL2, both, q, 20);
  ExpectSameAsBruteForce(all->results[0], exact);
  for (const auto& h : all->results[0]) {
    int i = std::stoi(h.id.substr(1));
    EXPECT_EQ(h.collection, i < 300 ? "a" : "b");
  }
  auto none = vec().search({.bucket = "kbase", .vectors = {std::vector<float>(5, 1.0f)}});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST_F(VectorsSearchTest, ManyQueriesMinScoreAndContent) {
  MakeCollection("c", 2, VectorMetric::kCosine, VectorIndexType::kFlat);
  WriteVectorsRequest w{.bucket = "kbase", .collection = "c"};
  w.vectors.push_back({"east", {1, 0}, {{"object_key", std::string("docs/e.md")}}, "E"});
  w.vectors.push_back({"north", {0, 1}, {}, "N"});
  w.vectors.push_back({"west", {-1, 0}, {}, std::nullopt});
  ASSERT_TRUE(vec().insert_vectors(w).ok());
  SearchRequest r{.bucket = "kbase", .collection = "c", .vectors = {{2, 0}, {0, 3}}, .top_k = 3};
  r.min_score = 0.5f;
  r.include_content = true;
  auto s = vec().search(r);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->results.size(), 2u);
  ASSERT_EQ(s->results[0].size(), 1u);
  EXPECT_EQ(s->results[0][0].id, "east");
  EXPECT_NEAR(s->results[0][0].score, 1.0f, 1e-6);
  EXPECT_EQ(s->results[0][0].text, "E");
  EXPECT_EQ(s->results[0][0].object_key, "docs/e.md");
  ASSERT_EQ(s->results[1].size(), 1u);
  EXPECT_EQ(s->results[1][0].id, "north");
  r.min_score.reset();
  r.include_content = false;
  s = vec().search(r);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->results[0].size(), 3u);
  EXPECT_EQ(s->results[0][2].id, "west");
  EXPECT_NEAR(s->results[0][2].score, -1.0f, 1e-6);
  EXPECT_FALSE(s->results[0][0].text.has_value());
}

TEST_F(VectorsSearchTest, TextQueryOnExternalCollectionNeedsAnEmbedModel) {
  MakeCollection("t", 4, VectorMetric::kCosine, VectorIndexType::kFlat);
  auto s = vec().search({.bucket = "kbase", .collection = "t", .text = "refunds"});
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("embed_model"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace k3::test
