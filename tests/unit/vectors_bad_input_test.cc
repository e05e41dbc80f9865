// VectorService refuses bad input with a clear status and writes nothing: wrong dimensions,
// NaN/Inf components, zero vectors under COSINE, unknown metric or index, bad index
// parameters, top_k out of range, malformed filters, non-flat metadata (wire form), ids empty
// or too long, duplicate ids in a batch, invalid or taken collection names.
#include <gtest/gtest.h>

#include <limits>

#include "support/vectors_fixture.h"
#include "wire/json_util.h"

namespace k3::test {
namespace {

using Op = VectorFilter::Op;

class VectorsBadInputTest : public VectorsTest {
 protected:
  void SetUp() override {
    VectorsTest::SetUp();
    MakeCollection("cos", 3, VectorMetric::kCosine, VectorIndexType::kHnsw);
    ASSERT_TRUE(vec()
                    .upsert_vectors({.bucket = "kbase",
                                     .collection = "cos",
                                     .vectors = {{"keep", {1, 2, 3}, {}, std::nullopt}}})
                    .ok());
  }

  // Writes a batch holding one good vector ("good") and `bad`; expects `code` and that
  // neither vector was written.
  void ExpectRefusedWrite(VectorRecord bad, StatusCode code, std::string_view needle) {
    WriteVectorsRequest w{.bucket = "kbase", .collection = "cos"};
    w.vectors.push_back({"good", {1, 1, 1}, {}, std::nullopt});
    w.vectors.push_back(bad);
    for (bool upsert : {false, true}) {
      auto r = upsert ? vec().upsert_vectors(w) : vec().insert_vectors(w);
      EXPECT_EQ(r.status().code(), code) << r.status().ToString();
      EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
    }
    auto got = vec().get_vectors({.bucket = "kbase", .collection = "cos", .ids = {"good"}});
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->vectors.empty()) << "a refused batch was partly written";
    EXPECT_EQ(vec().get_collection("kbase", "cos")->vector_count, 1u);
  }

  Status SearchStatus(SearchRequest r) { return vec().search(r).status(); }
};

TEST_F(VectorsBadInputTest, VectorsThatDoNotFit) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectRefusedWrite({"x", {1, 2}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "expected 3 dimensions, got 2");
  ExpectRefusedWrite({"x", {1, 2, 3, 4}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "expected 3 dimensions");
  ExpectRefusedWrite({"x", {1, nan, 3}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "vectors[1].values[1] is not a finite number");
  ExpectRefusedWrite({"x", {inf, 0, 3}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "not a finite number");
  ExpectRefusedWrite({"x", {0, 0, 0}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "zero vector");
  ExpectRefusedWrite({"", {1, 2, 3}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "must not be empty");
  ExpectRefusedWrite({std::string(513, 'i'), {1, 2, 3}, {}, std::nullopt},
                     StatusCode::kInvalidArgument, "at most 512 bytes");
  ExpectRefusedWrite({"good", {1, 2, 3}, {}, std::nullopt}, StatusCode::kInvalidArgument,
                     "appears twice");
  ExpectRefusedWrite({"x", {1, 2, 3}, {{"", std::string("v")}}, std::nullopt},
                     StatusCode::kInvalidArgument, "keys must be");
  ExpectRefusedWrite(
      {"x", {1, 2, 3}, {{"n", std::numeric_limits<double>::infinity()}}, std::nullopt},
      StatusCode::kInvalidArgument, "not a finite number");
  // 512 bytes is fine.
  ASSERT_TRUE(
      vec()
          .upsert_vectors({.bucket = "kbase",
                           .collection = "cos",
                           .vectors = {{std::string(512, 'i'), {1, 2, 3}, {}, std::nullopt}}})
          .ok());
}

TEST_F(VectorsBadInputTest, MissingTargets) {
  auto w = vec().upsert_vectors(
      {.bucket = "kbase", .collection = "nope", .vectors = {{"a", {1, 2, 3}, {}, std::nullopt}}});
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
  w = vec().upsert_vectors(
      {.bucket = "nobucket", .collection = "cos", .vectors = {{"a", {1, 2, 3}, {}, std::nullopt}}});
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
}

TEST_F(VectorsBadInputTest, CollectionDefinitions) {
  auto create = [&](CreateCollectionRequest r) {
    r.bucket = "kbase";
    if (r.name.empty()) r.name = "fresh";
    if (r.dimensions == 0) r.dimensions = 4;
    return vec().create_collection(r).status();
  };
  struct Case {
    CreateCollectionRequest request;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{.name = "x", .dimensions = -1}, "dimensions must be 1..8192"},
      {{.name = "x", .dimensions = 8193}, "dimensions must be 1..8192"},
      {{.name = "bad name"}, "may hold only"},
      {{.name = "_hidden"}, "must start with a letter or digit"},
      {{.name = std::string(129, 'n')}, "collection name must be 1..128"},
      {{.metric = static_cast<VectorMetric>(9)}, "unknown metric"},
      {{.metric = VectorMetric::kUnspecified}, "unknown metric"},
      {{.index = static_cast<VectorIndexType>(7)}, "unknown index type"},
      {{.index = VectorIndexType::kHnsw, .hnsw = {.m = 2}}, "hnsw.m"},
      {{.index = VectorIndexType::kHnsw, .hnsw = {.ef_search = 0}}, "hnsw.efSearch"},
      {{.index = VectorIndexType::kIvfFlat, .ivf = {.nlist = 0}}, "ivf.nlist"},
      {{.index = VectorIndexType::kIvfFlat, .ivf = {.nlist = 8, .nprobe = 9}}, "ivf.nprobe"},
  };
  for (const auto& c : cases) {
    Status s = create(c.request);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.needle;
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.ToString();
  }
  Status taken = create({.name = "cos"});
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(vec().list_collections("kbase")->size(), 1u) << "a refused collection was created";
}

TEST_F(VectorsBadInputTest, Searches) {
  SearchRequest ok{.bucket = "kbase", .collection = "cos", .vectors = {{1, 0, 0}}};
  ASSERT_TRUE(vec().search(ok).ok());
  auto with = [&](auto change) {
    SearchRequest r = ok;
    change(r);
    return SearchStatus(r);
  };
  EXPECT_EQ(with([](SearchRequest& r) { r.top_k = 0; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](SearchRequest& r) { r.top_k = 1025; }).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(with([](SearchRequest& r) { r.top_k = 1024; }).ok());
  EXPECT_EQ(with([](SearchRequest& r) {
              r.vectors = {{1, 0}};
            }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](SearchRequest& r) {
              r.vectors = {{0, 0, 0}};
            }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](SearchRequest& r) {
              r.vectors = {{std::numeric_limits<float>::quiet_NaN(), 0, 1}};
            }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](SearchRequest& r) { r.vectors.clear(); }).code(), StatusCode::kInvalidArgument);
  std::vector<VectorFilter> bad_filters = {
      VectorFilter::Eq("", std::string("x")),
      VectorFilter::Compare(Op::kLt, "n", true),
      VectorFilter::Compare(Op::kPrefix, "n", 3.0),
      VectorFilter::Eq("n", std::vector<std::string>{"a"}),
      VectorFilter{.op = Op::kIn, .field = "n"},
      VectorFilter{.op = Op::kNot},
      VectorFilter{.op = static_cast<Op>(99), .field = "n"},
  };
  for (const auto& f : bad_filters) {
    Status s = with([&](SearchRequest& r) { r.filter = f; });
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("filter"), std::string::npos) << s.ToString();
  }
  VectorFilter deep = VectorFilter::Exists("x");
  for (int i = 0; i < 40; ++i) deep = VectorFilter::Not(deep);
  EXPECT_EQ(with([&](SearchRequest& r) { r.filter = deep; }).code(), StatusCode::kInvalidArgument);
}

// The wire form: malformed filters and metadata that is not a flat object.
TEST_F(VectorsBadInputTest, WireForms) {
  auto call = [&](std::string_view method, const std::string& body) {
    return db_->call(method, body).status();
  };
  const std::string base = R"("bucket": "kbase", "collectionName": "cos")";
  for (const std::string& metadata : {R"({"nested": {"a": 1}})", R"({"n": null})",
                                      R"({"l": [1, 2]})", R"([1, 2])", R"("text")"}) {
    Status s = call("VectorService.UpsertVectors",
                    "{" + base + R"(, "vectors": [{"id": "w", "values": [1,2,3], "metadata": )" +
                        metadata + "}]}");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << metadata;
  }
  EXPECT_EQ(vec().get_collection("kbase", "cos")->vector_count, 1u);
  for (const std::string& filter :
       {R"({"field": "a", "op": "like", "value": "x"})", R"({"field": "a", "op": "eq"})",
        R"({"op": "eq", "value": 1})", R"({"and": {"field": "a"}})", R"("{not json")", R"(42)",
        R"({"field": "a", "op": "in", "value": "x"})"}) {
    Status s = call("VectorService.Search",
                    "{" + base + R"(, "vector": {"values": [1,0,0]}, "filter": )" + filter + "}");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << filter;
    EXPECT_NE(s.message().find("filter"), std::string::npos) << s.ToString();
  }
  Status metric = call("VectorService.CreateCollection",
                       R"({"bucket": "kbase", "name": "m", "dimensions": 3, "metric": "HAMMING"})");
  EXPECT_EQ(metric.code(), StatusCode::kInvalidArgument);
  Status index = call("VectorService.CreateCollection",
                      R"({"bucket": "kbase", "name": "m", "dimensions": 3, "indexType": "LSH"})");
  EXPECT_EQ(index.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace k3::test
