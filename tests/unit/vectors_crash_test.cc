// Durability of VectorService across a process crash: a child process (k3_crash_child
// vectors) upserts and deletes batches of vectors in an HNSW collection and is killed with
// SIGKILL at a random point, several rounds on the same data directory. After each kill the
// directory is reopened (loading the index checkpoint of the previous reopen, if any, and
// catching it up) and checked against a model of every acknowledged batch:
//   - every live id reads back by id with exactly the values and metadata of its last
//     acknowledged version, and is found by a search for its own vector;
//   - no deleted id is found by id or returned by any search;
//   - no half batch: the batch in flight at the kill landed entirely or not at all (the
//     parent replays the child's deterministic workload, so it knows that batch);
//   - the collection's vector_count equals the live ids.
// Set K3_CRASH_SEED to replay a run; the seed in use is printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

#include "crash/child_process.h"
#include "crash/vector_workload.h"
#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr int kRounds = 5;
constexpr int kMinLines = 3;
constexpr int kMaxLines = 300;

using Model = std::map<std::string, uint64_t>;  // live id -> version

void Apply(const crash::VectorOp& op, Model* model) {
  for (const auto& id : op.ids) {
    if (op.is_delete) {
      model->erase(id);
    } else {
      (*model)[id] = op.version;
    }
  }
}

// Runs one child until it has acknowledged `kill_after` batches, kills it, and applies every
// batch it acknowledged to *model; *in_flight receives the batch after the last one.
void RunRound(const std::string& dir, uint64_t seed, uint64_t round, int kill_after, Model* model,
              crash::VectorOp* in_flight, int* acked) {
  std::string error;
  auto child = crash::ChildProcess::Start(
      {K3_CRASH_CHILD, "vectors", dir, std::to_string(seed), std::to_string(round)}, &error);
  ASSERT_NE(child, nullptr) << error;
  std::string line;
  ASSERT_TRUE(child->ReadLine(&line)) << "child died before READY";
  ASSERT_EQ(line, "READY");
  crash::VectorWorkload workload(seed, round);
  *acked = 0;
  while (*acked < kill_after && child->ReadLine(&line)) {
    crash::VectorOp op = workload.Next();
    ASSERT_EQ(line, "ACK " + std::to_string(op.version));
    Apply(op, model);
    ++*acked;
  }
  child->Kill(SIGKILL);
  int status = child->Wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << crash::ChildProcess::Describe(status);
  // Batches the child acknowledged after the line that decided the kill are still in the pipe.
  while (child->ReadLine(&line)) {
    crash::VectorOp op = workload.Next();
    ASSERT_EQ(line, "ACK " + std::to_string(op.version));
    Apply(op, model);
    ++*acked;
  }
  *in_flight = workload.Next();
}

// The state of the collection as read by id: id -> version.
Result<Model> ReadState(VectorService& vectors) {
  GetVectorsRequest r{.bucket = crash::kVectorBucket, .collection = crash::kVectorCollection};
  for (int i = 0; i < crash::kVectorPool; ++i) r.ids.push_back("id" + std::to_string(i));
  K3_ASSIGN_OR_RETURN(GetVectorsResponse got, vectors.get_vectors(r));
  Model state;
  for (const auto& v : got.vectors) {
    auto it = v.metadata.find("version");
    if (it == v.metadata.end() || !std::holds_alternative<double>(it->second)) {
      return DataLoss(v.id + " has no version");
    }
    auto version = static_cast<uint64_t>(std::get<double>(it->second));
    if (v.values != crash::VectorValues(v.id, version)) {
      return DataLoss(v.id + " has values that are not those of its version");
    }
    state[v.id] = version;
  }
  return state;
}

void VerifyReopened(const std::string& dir, Model* model, const crash::VectorOp& in_flight,
                    bool* landed) {
  auto db = Db::open(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto& vectors = db->vectors();
  auto state = ReadState(vectors);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  Model after = *model;
  Apply(in_flight, &after);
  if (*state == *model) {
    *landed = false;
  } else {
    ASSERT_EQ(*state, after) << "the store is neither before nor after the batch in flight: "
                                "a lost acknowledged write or half a batch";
    *landed = true;
    *model = after;
  }
  auto c = vectors.get_collection(crash::kVectorBucket, crash::kVectorCollection);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vector_count, model->size());
  // Every live vector is found by a search for itself; nothing dead is ever returned.
  for (const auto& [id, version] : *model) {
    SearchRequest r{.bucket = crash::kVectorBucket,
                    .collection = crash::kVectorCollection,
                    .vectors = {crash::VectorValues(id, version)},
                    .top_k = 5};
    auto s = vectors.search(r);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_FALSE(s->results[0].empty());
    EXPECT_EQ(s->results[0][0].id, id);
    for (const auto& hit : s->results[0]) {
      EXPECT_TRUE(model->count(hit.id)) << "deleted id " << hit.id << " returned";
    }
  }
  SearchRequest all{.bucket = crash::kVectorBucket,
                    .collection = crash::kVectorCollection,
                    .vectors = {std::vector<float>(crash::kVectorDims, 0.0f)},
                    .top_k = crash::kVectorPool};
  auto s = vectors.search(all);
  ASSERT_TRUE(s.ok());
  for (const auto& hit : s->results[0]) {
    EXPECT_TRUE(model->count(hit.id)) << "deleted id " << hit.id << " returned";
  }
}

TEST(VectorsCrash, KilledWriterLosesNoAcknowledgedBatchAndLeavesNoHalfBatch) {
  const uint64_t seed = crash::CrashTestSeed();
  std::printf("K3_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("K3_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  Model model;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const uint64_t child_seed = rng() % 1000000000 + 1;
    const int kill_after = kMinLines + static_cast<int>(rng() % (kMaxLines - kMinLines + 1));
    crash::VectorOp in_flight;
    int acked = 0;
    ASSERT_NO_FATAL_FAILURE(
        RunRound(dir.path(), child_seed, round, kill_after, &model, &in_flight, &acked));
    bool landed = false;
    ASSERT_NO_FATAL_FAILURE(VerifyReopened(dir.path(), &model, in_flight, &landed));
    if (HasFailure()) return;
    std::printf("round %d: %d batches acknowledged, in flight %s of %zu ids %s; %zu live\n", round,
                acked, in_flight.is_delete ? "delete" : "upsert", in_flight.ids.size(),
                landed ? "landed" : "not landed", model.size());
  }
  EXPECT_GT(model.size(), 0u);
}

}  // namespace
}  // namespace k3
