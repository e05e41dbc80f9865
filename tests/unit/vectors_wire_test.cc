// VectorService through the RPC table (Db::call): every method in K3's JSON wire form.
#include <gtest/gtest.h>

#include "support/vectors_fixture.h"
#include "wire/json_util.h"

namespace k3::test {
namespace {

using wire::Json;

class VectorsWireTest : public VectorsTest {
 protected:
  Json Ok(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    if (!r.ok()) return Json::object();
    return Json::parse(*r);
  }
};

TEST_F(VectorsWireTest, EveryMethod) {
  Json engine = Ok("VectorService.ConfigureEngine", {{"bucket", "kbase"}, {"mode", "auto"}});
  EXPECT_EQ(engine["mode"], "ENGINE_MODE_AUTO");
  EXPECT_EQ(engine["status"], "ENGINE_STATUS_ACTIVE");
  Json c = Ok("VectorService.CreateCollection", {{"bucket", "kbase"},
                                                 {"name", "docs"},
                                                 {"dimensions", 2},
                                                 {"metric", "L2"},
                                                 {"indexType", "HNSW"},
                                                 {"hnsw", {{"m", 16}, {"efSearch", 64}}}});
  EXPECT_EQ(c["hnsw"]["m"], 16);
  EXPECT_EQ(c["indexType"], "HNSW");
  Json w = Ok("VectorService.InsertVectors",
              {{"bucket", "kbase"},
               {"collectionName", "docs"},
               {"vectors",
                {{{"id", "a"},
                  {"denseFloat", {{"values", {0.0, 1.0}}}},
                  {"metadata", {{"lang", "en"}, {"n", 3}, {"tags", {"x", "y"}}, {"ok", true}}},
                  {"text", "hello"}},
                 {{"id", "b"}, {"values", {1.0, 0.0}}, {"metadata", {{"lang", "fr"}}}}}}});
  EXPECT_EQ(w["written"], "2");
  Ok("VectorService.UpsertVectors", {{"bucket", "kbase"},
                                     {"collectionId", c["collectionId"]},
                                     {"vectors", {{{"id", "c"}, {"values", {1.0, 1.0}}}}}});

  Json hits =
      Ok("VectorService.Search", {{"bucket", "kbase"},
                                  {"collectionName", "docs"},
                                  {"vector", {{"values", {0.0, 1.0}}}},
                                  {"topK", 2},
                                  {"includeContent", true},
                                  {"filter", {{"field", "lang"}, {"op", "eq"}, {"value", "en"}}}});
  ASSERT_EQ(hits["hits"].size(), 1u);
  EXPECT_EQ(hits["hits"][0]["id"], "a");
  EXPECT_EQ(hits["hits"][0]["content"], "hello");
  EXPECT_EQ(hits["hits"][0]["metadata"]["n"], 3);
  EXPECT_EQ(hits["hits"][0]["score"], 1.0);
  // The filter as a JSON string, several queries, and every collection (no name).
  Json many = Ok("VectorService.Search",
                 {{"bucket", "kbase"},
                  {"vectors", {{{"values", {1.0, 0.0}}}, {0.0, 1.0}}},
                  {"filter", R"({"not": {"field": "lang", "op": "in", "values": ["en"]}})"}});
  ASSERT_EQ(many["results"].size(), 2u);
  EXPECT_EQ(many["results"][0]["hits"][0]["id"], "b");
  EXPECT_EQ(many["results"][0]["hits"][0]["collectionName"], "docs");
  EXPECT_EQ(many["results"][0]["hits"].size(), 2u);  // b and c; a is filtered out

  Json got = Ok("VectorService.GetVectors",
                {{"bucket", "kbase"}, {"collectionName", "docs"}, {"ids", {"a", "zz"}}});
  ASSERT_EQ(got["vectors"].size(), 1u);
  EXPECT_EQ(got["vectors"][0]["denseFloat"]["values"], Json({0.0, 1.0}));
  EXPECT_EQ(got["missingIds"], Json({"zz"}));
  Json del = Ok("VectorService.DeleteVectors",
                {{"bucket", "kbase"}, {"collectionName", "docs"}, {"ids", {"a"}}});
  EXPECT_EQ(del["deleted"], "1");
  Json got_c = Ok("VectorService.GetCollection", {{"bucket", "kbase"}, {"collectionName", "docs"}});
  EXPECT_EQ(got_c["vectorCount"], "2");
  Json list = Ok("VectorService.ListCollections", {{"bucket", "kbase"}});
  EXPECT_EQ(list["collections"].size(), 1u);
  Json e = Ok("VectorService.GetEngine", {{"bucket", "kbase"}});
  EXPECT_EQ(e["collections"].size(), 1u);
  Json instances = Ok("VectorService.ListInstances", Json::object());
  EXPECT_EQ(instances["instances"][0]["kind"], "faiss");
  Ok("VectorService.DeleteCollection", {{"bucket", "kbase"}, {"collectionName", "docs"}});
  Ok("VectorService.DeleteEngine", {{"bucket", "kbase"}, {"deleteDatabase", true}});
  auto gone = db_->call("VectorService.GetEngine", R"({"bucket": "kbase"})");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  auto external =
      db_->call("VectorService.ConfigureEngine", R"({"bucket": "kbase", "mode": "external"})");
  EXPECT_EQ(external.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace k3::test
