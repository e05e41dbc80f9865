// VectorService writes and durability: insert/upsert/delete/get semantics, atomic batches
// (also as seen by concurrent searches), tombstones and their background rebuild, and the
// index checkpoint: reloaded, caught up, and rebuilt when missing, truncated or garbage.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "support/vectors_fixture.h"

namespace k3::test {
namespace {

namespace fs = std::filesystem;

class VectorsWriteTest : public VectorsTest {
 protected:
  std::string CheckpointFile(const Collection& c) {
    return (fs::path(dir_.path()) / "vectors" / "kbase" / (c.collection_id + ".faiss")).string();
  }
  std::set<std::string> SearchIds(const std::string& collection, const std::vector<float>& q,
                                  int k) {
    std::set<std::string> ids;
    for (const auto& h : Search(collection, q, k)) ids.insert(h.id);
    return ids;
  }
};

TEST_F(VectorsWriteTest, InsertUpsertGetDelete) {
  MakeCollection("c", 3, VectorMetric::kL2, VectorIndexType::kHnsw);
  WriteVectorsRequest w{.bucket = "kbase", .collection = "c"};
  w.vectors.push_back({"a", {1, 0, 0}, {{"k", std::string("v")}, {"n", 2.5}}, "alpha"});
  w.vectors.push_back({"b", {0, 1, 0}, {{"tags", std::vector<std::string>{"x"}}}, std::nullopt});
  auto ins = vec().insert_vectors(w);
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_EQ(ins->written, 2u);

  // Insert of an existing id: ALREADY_EXISTS, and the new id of the same batch is not written.
  WriteVectorsRequest dup{.bucket = "kbase", .collection = "c"};
  dup.vectors.push_back({"new", {0, 0, 1}, {}, std::nullopt});
  dup.vectors.push_back({"a", {5, 5, 5}, {}, std::nullopt});
  EXPECT_EQ(vec().insert_vectors(dup).status().code(), StatusCode::kAlreadyExists);

  auto got = vec().get_vectors({.bucket = "kbase", .collection = "c", .ids = {"b", "new", "a"}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->vectors.size(), 2u);
  EXPECT_EQ(got->vectors[0].id, "b");
  EXPECT_EQ(got->vectors[1].id, "a");
  EXPECT_EQ(got->vectors[1].values, (std::vector<float>{1, 0, 0}));
  EXPECT_EQ(std::get<std::string>(got->vectors[1].metadata.at("k")), "v");
  EXPECT_EQ(std::get<double>(got->vectors[1].metadata.at("n")), 2.5);
  EXPECT_EQ(got->vectors[1].text, "alpha");
  EXPECT_EQ(got->missing_ids, std::vector<std::string>{"new"});

  // Upsert replaces: the old vector is never found again.
  ASSERT_TRUE(vec()
                  .upsert_vectors({.bucket = "kbase",
                                   .collection = "c",
                                   .vectors = {{"a", {0, 0, 1}, {}, std::nullopt}}})
                  .ok());
  auto hits = Search("c", {1, 0, 0}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, "b");  // equidistant with the new "a"; both at distance 2
  EXPECT_EQ(vec().get_collection("kbase", "c")->vector_count, 2u);

  auto del = vec().delete_vectors({.bucket = "kbase", .collection = "c", .ids = {"a", "zz", "a"}});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->deleted, 1u);
  EXPECT_EQ(SearchIds("c", {0, 0, 1}, 10), std::set<std::string>{"b"});
  EXPECT_EQ(vec().get_collection("kbase", "c")->vector_count, 1u);
}

TEST_F(VectorsWriteTest, TombstonesAreNeverReturnedAndRebuildCompacts) {
  auto data = ClusteredVectors(3000, 16, 8, 21);
  MakeCollection("t", 16, VectorMetric::kCosine, VectorIndexType::kHnsw);
  Fill("t", data);
  DeleteVectorsRequest d{.bucket = "kbase", .collection = "t"};
  for (size_t i = 0; i < 3000; i += 2) d.ids.push_back(VecId(i));
  ASSERT_TRUE(vec().delete_vectors(d).ok());
  // Before and after the background rebuild, no deleted id comes back.
  for (int round = 0; round < 2; ++round) {
    for (size_t q = 0; q < 50; ++q) {
      for (const auto& h : Search("t", data[q * 2], 20)) {
        int i = std::stoi(h.id.substr(1));
        EXPECT_EQ(i % 2, 1) << h.id;
      }
    }
    vec().wait_idle();
  }
  EXPECT_EQ(vec().get_collection("kbase", "t")->vector_count, 1500u);
}

TEST_F(VectorsWriteTest, SearchesNeverSeeHalfABatch) {
  MakeCollection("atomic", 2, VectorMetric::kL2, VectorIndexType::kHnsw);
  constexpr int kBatches = 150, kPerBatch = 8;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, searches{0};
  std::thread reader([&] {
    int b = 0;
    while (!done.load() || b < kBatches) {
      SearchRequest r{.bucket = "kbase", .collection = "atomic", .vectors = {{0, 0}}, .top_k = 16};
      r.filter = VectorFilter::Eq("batch", static_cast<double>(b % kBatches));
      auto s = vec().search(r);
      if (!s.ok()) {
        ++bad;
      } else {
        size_t n = s->results[0].size();
        if (n != 0 && n != kPerBatch) ++bad;
      }
      ++searches;
      ++b;
      if (done.load() && b >= kBatches) break;
    }
  });
  for (int b = 0; b < kBatches; ++b) {
    WriteVectorsRequest w{.bucket = "kbase", .collection = "atomic"};
    for (int i = 0; i < kPerBatch; ++i) {
      w.vectors.push_back({std::to_string(b) + "-" + std::to_string(i),
                           {static_cast<float>(b), static_cast<float>(i)},
                           {{"batch", static_cast<double>(b)}},
                           std::nullopt});
    }
    if (!vec().upsert_vectors(w).ok()) {
      ADD_FAILURE() << "upsert of batch " << b << " failed";
      break;
    }
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(searches.load(), kBatches);
}

TEST_F(VectorsWriteTest, ReopenLoadsTheCheckpointAndCatchesUp) {
  auto data = ClusteredVectors(1200, 8, 4, 5);
  auto c = MakeCollection("p", 8, VectorMetric::kL2, VectorIndexType::kHnsw);
  std::vector<std::vector<float>> first(data.begin(), data.begin() + 1000);
  Fill("p", first);
  Reopen();
  ASSERT_TRUE(fs::exists(CheckpointFile(c)));
  std::string old_checkpoint;
  {
    std::ifstream in(CheckpointFile(c), std::ios::binary);
    old_checkpoint.assign(std::istreambuf_iterator<char>(in), {});
  }
  // More writes and deletes, then put the older checkpoint back: open must catch it up.
  Fill("p", data);
  ASSERT_TRUE(
      vec().delete_vectors({.bucket = "kbase", .collection = "p", .ids = {"v0", "v1"}}).ok());
  Reopen();
  {
    std::ofstream out(CheckpointFile(c), std::ios::binary | std::ios::trunc);
    out << old_checkpoint;
  }
  Reopen();
  for (size_t i : {2u, 500u, 1100u, 1199u}) {
    auto hits = Search("p", data[i], 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, VecId(i));
  }
  for (size_t i : {0u, 1u}) {
    for (const auto& h : Search("p", data[i], 50)) EXPECT_NE(h.id, VecId(i));
  }
  EXPECT_EQ(vec().get_collection("kbase", "p")->vector_count, 1198u);
}

TEST_F(VectorsWriteTest, DamagedCheckpointsAreRebuiltNotLoaded) {
  auto data = ClusteredVectors(800, 8, 4, 6);
  auto c = MakeCollection("d", 8, VectorMetric::kL2, VectorIndexType::kHnsw);
  Fill("d", data);
  Reopen();
  const std::string file = CheckpointFile(c);
  const auto size = fs::file_size(file);
  std::vector<std::function<void()>> damages = {
      [&] { fs::resize_file(file, size / 2); },  // truncated
      [&] {                                      // one flipped byte in the middle
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put('\x5a');
      },
      [&] {  // garbage
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << std::string(4096, 'g');
      },
      [&] { fs::remove(file); },  // missing
  };
  for (size_t d = 0; d < damages.size(); ++d) {
    db_.reset();
    damages[d]();
    ClearLogs();
    Open();
    SCOPED_TRACE("damage " + std::to_string(d));
    for (size_t i : {0u, 400u, 799u}) {
      auto hits = Search("d", data[i], 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].id, VecId(i));
    }
    if (d < 3) EXPECT_TRUE(Logged("rebuilding its index")) << "a damaged file was loaded";
    // The rebuilt index was checkpointed again, whole.
    EXPECT_GT(fs::file_size(file), size / 2);
  }
}

}  // namespace
}  // namespace k3::test
