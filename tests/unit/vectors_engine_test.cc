// VectorService engines and collections: configure is idempotent for auto, other modes are
// UNIMPLEMENTED, delete keeps or removes the data as asked, collections list and delete, and
// deleting the bucket removes everything.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/vectors_fixture.h"

namespace k3::test {
namespace {

class VectorsEngineTest : public VectorsTest {};

TEST_F(VectorsEngineTest, ConfigureIsIdempotentForAuto) {
  auto first = vec().get_engine("kbase");
  ASSERT_TRUE(first.ok());
  auto again = vec().configure_engine({.bucket = "kbase", .mode = EngineMode::kAuto});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->engine_id, first->engine_id);
  EXPECT_EQ(again->status, EngineStatus::kActive);
  EXPECT_EQ(again->mode, EngineMode::kAuto);
}

TEST_F(VectorsEngineTest, ExternalAndPickAreUnimplemented) {
  for (EngineMode mode : {EngineMode::kExternal, EngineMode::kPick}) {
    auto e = vec().configure_engine({.bucket = "kbase", .mode = mode});
    EXPECT_EQ(e.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(e.status().message().find("not supported"), std::string::npos);
  }
  EXPECT_EQ(vec().configure_engine({.bucket = "nope"}).status().code(), StatusCode::kNotFound);
}

TEST_F(VectorsEngineTest, CollectionsNeedAnEngine) {
  ASSERT_TRUE(db_->storage().create_bucket({.name = "bare"}).ok());
  auto c = vec().create_collection({.bucket = "bare", .name = "c", .dimensions = 4});
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(vec().get_engine("bare").status().code(), StatusCode::kNotFound);
}

TEST_F(VectorsEngineTest, CreateGetListDeleteCollections) {
  auto c = MakeCollection("docs", 4, VectorMetric::kIp, VectorIndexType::kHnsw);
  EXPECT_EQ(c.collection_id.rfind("vcol_", 0), 0u);
  EXPECT_EQ(c.dimensions, 4);
  EXPECT_EQ(c.metric, VectorMetric::kIp);
  EXPECT_EQ(c.hnsw.m, 32);
  MakeCollection("alpha", 8, VectorMetric::kL2, VectorIndexType::kFlat);
  auto by_id = vec().get_collection("kbase", c.collection_id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "docs");
  auto list = vec().list_collections("kbase");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alpha");
  auto engine = vec().get_engine("kbase");
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(engine->collections.size(), 2u);
  ASSERT_TRUE(vec()
                  .upsert_vectors({.bucket = "kbase",
                                   .collection = "docs",
                                   .vectors = {{"a", {1, 2, 3, 4}, {}, std::nullopt}}})
                  .ok());
  EXPECT_EQ(vec().get_collection("kbase", "docs")->vector_count, 1u);
  ASSERT_TRUE(vec().delete_collection("kbase", "docs").ok());
  EXPECT_EQ(vec().get_collection("kbase", "docs").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vec().delete_collection("kbase", "docs").code(), StatusCode::kNotFound);
  // The name can be used again, with nothing of the old collection in it.
  MakeCollection("docs", 4, VectorMetric::kIp, VectorIndexType::kHnsw);
  auto got = vec().get_vectors({.bucket = "kbase", .collection = "docs", .ids = {"a"}});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->vectors.empty());
}

TEST_F(VectorsEngineTest, PipelineModeCollectionsRefuseExternalWrites) {
  CreateCollectionRequest r{.bucket = "kbase", .name = "piped", .dimensions = 2};
  r.mode = CollectionMode::kPipeline;
  ASSERT_TRUE(vec().create_collection(r).ok());
  auto w = vec().upsert_vectors(
      {.bucket = "kbase", .collection = "piped", .vectors = {{"a", {1, 0}, {}, std::nullopt}}});
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition);
  auto d = vec().delete_vectors({.bucket = "kbase", .collection = "piped", .ids = {"a"}});
  EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(VectorsEngineTest, DeleteEngineKeepsVectorsUnlessAsked) {
  MakeCollection("keep", 2, VectorMetric::kL2, VectorIndexType::kFlat);
  ASSERT_TRUE(vec()
                  .upsert_vectors({.bucket = "kbase",
                                   .collection = "keep",
                                   .vectors = {{"a", {1, 0}, {}, std::nullopt}}})
                  .ok());
  ASSERT_TRUE(vec().delete_engine({.bucket = "kbase"}).ok());
  EXPECT_EQ(vec().get_engine("kbase").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vec().list_collections("kbase").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(vec().configure_engine({.bucket = "kbase"}).ok());
  auto got = vec().get_vectors({.bucket = "kbase", .collection = "keep", .ids = {"a"}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->vectors.size(), 1u);

  ASSERT_TRUE(vec().delete_engine({.bucket = "kbase", .delete_database = true}).ok());
  ASSERT_TRUE(vec().configure_engine({.bucket = "kbase"}).ok());
  EXPECT_TRUE(vec().list_collections("kbase")->empty());
  EXPECT_EQ(vec().delete_engine({.bucket = "nope"}).code(), StatusCode::kNotFound);
}

TEST_F(VectorsEngineTest, DeletingTheBucketRemovesVectorsAndCheckpoints) {
  MakeCollection("gone", 2, VectorMetric::kL2, VectorIndexType::kHnsw);
  ASSERT_TRUE(vec()
                  .upsert_vectors({.bucket = "kbase",
                                   .collection = "gone",
                                   .vectors = {{"a", {1, 0}, {}, std::nullopt}}})
                  .ok());
  Reopen();  // closing writes the checkpoint
  const auto bucket_dir = std::filesystem::path(dir_.path()) / "vectors" / "kbase";
  EXPECT_FALSE(std::filesystem::is_empty(bucket_dir));
  ASSERT_TRUE(db_->storage().delete_bucket({.name = "kbase"}).ok());
  EXPECT_FALSE(std::filesystem::exists(bucket_dir));
  ASSERT_TRUE(db_->storage().create_bucket({.name = "kbase"}).ok());
  EXPECT_EQ(vec().get_engine("kbase").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(vec().configure_engine({.bucket = "kbase"}).ok());
  EXPECT_TRUE(vec().list_collections("kbase")->empty());
}

TEST_F(VectorsEngineTest, ListInstancesNamesTheEmbeddedEngine) {
  auto instances = vec().list_instances();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].instance_id, "embedded");
  EXPECT_EQ(instances[0].kind, "faiss");
  EXPECT_EQ(instances[0].version, "1.7.3");
}

}  // namespace
}  // namespace k3::test
