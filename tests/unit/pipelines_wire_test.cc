// PipelineService through the RPC table (Db::call), plus the pipeline routes of the vector and
// table APIs, in K3's JSON wire form.
#include <gtest/gtest.h>

#include <optional>

#include "k3/k3.hpp"
#include "support/temp_dir.h"
#include "wire/json_util.h"

namespace k3::test {
namespace {

using wire::Json;

class PipelinesWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Db::open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
    Ok("StorageService.CreateBucket", {{"name", "kbase"}});
  }

  Json Ok(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    if (!r.ok()) return Json::object();
    return Json::parse(*r);
  }

  Status Fails(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_FALSE(r.ok()) << method << " answered " << (r.ok() ? *r : "");
    return r.status();
  }

  TempDir dir_;
  std::optional<Db> db_;
};

TEST_F(PipelinesWireTest, EveryMethod) {
  Json templates = Ok("PipelineService.ListTemplates", Json::object());
  EXPECT_EQ(templates["templates"].size(), 5u);
  Json vector_only = Ok("PipelineService.ListTemplates", {{"kind", "vector"}});
  EXPECT_EQ(vector_only["templates"].size(), 2u);
  Json t = Ok("PipelineService.GetTemplate", {{"templateId", "csv_table"}});
  EXPECT_EQ(t["kind"], "warehouse");
  ASSERT_TRUE(t["options"].is_array());
  EXPECT_EQ(t["options"][0]["name"], "delimiter");

  // Hosted clients send scriptumTemplate and numbers for options; snake_case keys too.
  Json p = Ok("PipelineService.CreatePipeline", {{"bucket", "kbase"},
                                                 {"name", "embed-docs"},
                                                 {"scriptumTemplate", "text_embedding_index"},
                                                 {"options", {{"chunk_size", 300}}},
                                                 {"store_entity_id", "docs"}});
  EXPECT_EQ(p["storeEntityKind"], "vector");
  EXPECT_EQ(p["storeEntityId"], "docs");
  EXPECT_EQ(p["options"]["chunk_size"], "300");
  EXPECT_TRUE(p["createdAt"].is_string());
  const std::string id = p["pipelineId"];
  EXPECT_EQ(id.rfind("pipe_", 0), 0u);

  Json c = Ok("VectorService.GetCollection", {{"bucket", "kbase"}, {"collectionName", "docs"}});
  EXPECT_EQ(c["mode"], "COLLECTION_MODE_PIPELINE");
  EXPECT_EQ(c["embedPipelineId"], id);
  EXPECT_EQ(c["embedPipelineName"], "embed-docs");

  Json got = Ok("PipelineService.GetPipeline", {{"bucket", "kbase"}, {"pipelineId", id}});
  EXPECT_EQ(got, p);
  Json patched = Ok("PipelineService.UpdatePipeline",
                    {{"bucket", "kbase"}, {"pipelineId", id}, {"description", "the docs"}});
  EXPECT_EQ(patched["description"], "the docs");
  EXPECT_EQ(patched["options"]["chunk_size"], "300");

  Ok("StorageService.PutObject",
     {{"bucket", "kbase"},
      {"key", "a.txt"},
      {"contentType", "text/plain"},
      {"body", "UmVmdW5kcyBhcmUgcG9zc2libGUgd2l0aGluIDMwIGRheXMu"}});  // "Refunds are ..."
  Json run = Ok("PipelineService.RunPipeline",
                {{"bucket", "kbase"}, {"pipelineId", id}, {"object", {{"key", "a.txt"}}}});
  EXPECT_EQ(run["chunksCreated"], "1");
  EXPECT_EQ(run["embeddingsWritten"], "1");
  EXPECT_EQ(run["contentType"], "text/plain");
  Json hits =
      Ok("VectorService.Search",
         {{"bucket", "kbase"}, {"collectionName", "docs"}, {"text", "refunds"}, {"topK", 1}});
  ASSERT_EQ(hits["hits"].size(), 1u);
  EXPECT_EQ(hits["hits"][0]["id"], "a.txt#0");

  Json table_pipe = Ok("TableService.CreateTablePipeline", {{"bucket", "kbase"},
                                                            {"name", "inventory"},
                                                            {"templateId", "object_catalog"},
                                                            {"tableName", "objects"}});
  EXPECT_EQ(table_pipe["storeEntityKind"], "warehouse");
  EXPECT_EQ(table_pipe["storeEntityId"], "objects");
  Json vec_pipe = Ok("VectorService.CreateVectorPipeline",
                     {{"bucket", "kbase"}, {"name", "second"}, {"collectionName", "second_docs"}});
  EXPECT_EQ(vec_pipe["templateId"], "text_embedding_index");
  Json table_templates = Ok("TableService.ListTableTemplates", {{"bucket", "kbase"}});
  EXPECT_EQ(table_templates["templates"].size(), 3u);

  Json list = Ok("PipelineService.ListPipelines",
                 {{"bucket", "kbase"}, {"storeEntityKind", "vector"}, {"pageSize", 1}});
  EXPECT_EQ(list["pipelines"].size(), 1u);
  EXPECT_EQ(list["pagination"]["totalCount"], "2");
  EXPECT_FALSE(list["pagination"]["nextPageToken"].get<std::string>().empty());

  EXPECT_EQ(Ok("PipelineService.DeletePipeline", {{"bucket", "kbase"}, {"pipelineId", id}}),
            Json::object());
  EXPECT_EQ(Fails("PipelineService.GetPipeline", {{"bucket", "kbase"}, {"pipelineId", id}}).code(),
            StatusCode::kNotFound);
}

TEST_F(PipelinesWireTest, BadRequestsNameTheField) {
  Status s = Fails("PipelineService.CreatePipeline", {{"bucket", "kbase"},
                                                      {"name", "p"},
                                                      {"templateId", "csv_table"},
                                                      {"options", {{"on_error", {1, 2}}}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("options.on_error"), std::string::npos) << s.message();
  s = Fails("PipelineService.CreatePipeline",
            {{"bucket", "kbase"}, {"name", "p"}, {"templateId", "csv_table"}, {"options", "x"}});
  EXPECT_NE(s.message().find("options"), std::string::npos) << s.message();
  s = Fails("PipelineService.CreatePipeline", {{"bucket", "kbase"},
                                               {"name", "p"},
                                               {"scriptumTemplate", "csv_table"},
                                               {"templateId", "jsonl_table"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = Fails("PipelineService.ListPipelines", {{"bucket", "kbase"}, {"storeEntityKind", "graph"}});
  EXPECT_NE(s.message().find("storeEntityKind"), std::string::npos) << s.message();
  s = Fails("PipelineService.ListPipelines", {{"bucket", "kbase"}, {"pageToken", "zzz"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = Fails("PipelineService.GetTemplate", {{"templateId", "ocr"}});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  s = Fails("TableService.CreateTablePipeline",
            {{"bucket", "kbase"}, {"name", "p"}, {"templateId", "text_embedding_index"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("vector"), std::string::npos) << s.message();
  s = Fails("TableService.CreateTablePipeline", {{"bucket", "kbase"}, {"name", "p"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = Fails("PipelineService.RunPipeline",
            {{"bucket", "kbase"}, {"pipelineId", "pipe_x"}, {"key", 5}});
  EXPECT_NE(s.message().find("key"), std::string::npos) << s.message();
  Json none = Ok("PipelineService.ListPipelines", {{"bucket", "kbase"}});
  EXPECT_TRUE(none["pipelines"].empty());
}

}  // namespace
}  // namespace k3::test
