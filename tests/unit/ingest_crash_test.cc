// IngestService across a process crash: a child process (k3_crash_child ingest,
// tests/crash/ingest_workload.cc) puts 2,000 objects into a bucket whose two rules fire a
// vector and a table pipeline on them, and is killed with SIGKILL while ingestion runs: once
// after a random number of acknowledged puts, once right after the last put (before ingest is
// idle). Each round uses a fresh data directory. After each kill the parent reopens the
// directory, puts the objects the child had not acknowledged (and whose put did not land),
// waits until ingest is idle and checks that:
//   - every acknowledged object exists;
//   - every object has exactly one job, of the rule that matches it, and it is COMPLETED with
//     the counters of its object (no job lost, none doubled, none FAILED, none left running);
//   - the collection holds exactly the ids "<key>#<i>" of every document's chunks, and the
//     table exactly each CSV file's rows, without a duplicate (_k3_source_key, r) pair.
// Set K3_CRASH_SEED to replay a run (the seed in use is printed); K3_INGEST_CRASH_ROUNDS sets
// the number of random-kill rounds (default 1; the kill after the last put always runs).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crash/child_process.h"
#include "crash/ingest_workload.h"
#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

using crash::IngestObject;
using crash::IngestObjectAt;
using crash::kIngestBucket;
using crash::kIngestObjects;

int RandomRounds() {
  if (const char* env = std::getenv("K3_INGEST_CRASH_ROUNDS")) return std::atoi(env);
  return 1;
}

std::string Key(const std::string& job_rule, const std::string& key) {
  return job_rule + " " + key;
}

// Runs one child on a fresh directory, kills it after `kill_after` report lines and checks
// the recovered state. `after_done`: the kill is meant to come right after "DONE".
void RunRound(int kill_after, bool after_done) {
  test::TempDir dir;
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  auto run = crash::RunAndKill({K3_CRASH_CHILD, "ingest", dir.path()}, kill_after, &error);
  ASSERT_TRUE(run.has_value()) << error;
  const std::vector<std::string>& lines = run->lines;
  ASSERT_TRUE(WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGKILL)
      << "the child was not killed by us: " << crash::ChildProcess::Describe(run->status)
      << " after " << lines.size() << " lines";
  ASSERT_EQ(run->partial, "") << "a torn report line";
  ASSERT_FALSE(lines.empty());
  ASSERT_EQ(lines[0], "READY");
  int acked = 0;
  bool done = false, idle = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i] == "DONE") {
      done = true;
    } else if (lines[i] == "IDLE") {
      idle = true;
    } else {
      ASSERT_FALSE(done) << "a PUT after DONE";
      ASSERT_LT(acked, kIngestObjects);
      ASSERT_EQ(lines[i], "PUT " + IngestObjectAt(acked).key) << "out of order";
      ++acked;
    }
  }
  if (after_done) {
    ASSERT_TRUE(done) << lines.size() << " lines";
    // Only a very fast machine runs 2,000 jobs between the last put and the kill.
    EXPECT_FALSE(idle) << "ingest was idle before the kill: this round tested no crash";
  }

  auto db = Db::open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto activity = db->ingest().activity(kIngestBucket);
  ASSERT_TRUE(activity.ok()) << activity.status().ToString();
  std::printf("killed after %d acknowledged puts%s; on reopen: %" PRIu64
              " undispatched events, %" PRIu64 " pending, %" PRIu64 " processing jobs\n",
              acked, done ? " (all)" : "", activity->undispatched_events, activity->pending,
              activity->processing);

  // Acknowledged objects are there; the rest are put now, except one whose put landed
  // although the child died before acknowledging it (its event fired the rule already).
  int landed_unacked = 0;
  for (int i = 0; i < kIngestObjects; ++i) {
    const IngestObject o = IngestObjectAt(i);
    auto head = db->storage().head_object(kIngestBucket, o.key);
    if (i < acked) {
      ASSERT_TRUE(head.ok()) << "acknowledged object lost: " << o.key << ": "
                             << head.status().ToString();
      continue;
    }
    if (head.ok()) {
      ++landed_unacked;
      continue;
    }
    ASSERT_EQ(head.status().code(), StatusCode::kNotFound) << head.status().ToString();
    auto put =
        db->storage().put_object(kIngestBucket, o.key, o.body, {.content_type = o.content_type});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  EXPECT_LE(landed_unacked, 1) << "only the put in flight may land unacknowledged";
  Status idle_status = db->ingest().wait_idle(kIngestBucket, 300000);
  ASSERT_TRUE(idle_status.ok()) << idle_status.ToString();

  // Rules by pattern.
  auto rules = db->ingest().list_rules({.bucket = kIngestBucket});
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->rules.size(), 2u);
  std::string docs_rule, rows_rule;
  for (const IngestRule& r : rules->rules) {
    ASSERT_EQ(r.include_patterns.size(), 1u);
    (r.include_patterns[0] == crash::kIngestDocsPattern ? docs_rule : rows_rule) = r.rule_id;
  }
  ASSERT_FALSE(docs_rule.empty());
  ASSERT_FALSE(rows_rule.empty());

  // Every job, all pages.
  std::vector<IngestJob> jobs;
  std::string token;
  for (;;) {
    auto page =
        db->ingest().list_jobs({.bucket = kIngestBucket, .page_size = 1000, .page_token = token});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    jobs.insert(jobs.end(), page->jobs.begin(), page->jobs.end());
    token = page->pagination.next_page_token;
    if (token.empty()) break;
  }
  std::map<std::string, std::vector<const IngestJob*>> by_rule_key;
  std::set<std::string> job_ids;
  int failed = 0, not_completed = 0;
  for (const IngestJob& j : jobs) {
    EXPECT_TRUE(job_ids.insert(j.job_id).second) << "job listed twice: " << j.job_id;
    by_rule_key[Key(j.rule_id, j.object.key)].push_back(&j);
    if (j.status == IngestStatus::kFailed) {
      ++failed;
      if (failed <= 5)
        ADD_FAILURE() << "FAILED job " << j.job_id << " " << j.object.key << ": "
                      << j.error_message;
    } else if (j.status != IngestStatus::kCompleted) {
      ++not_completed;
    }
  }
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(not_completed, 0) << "jobs neither COMPLETED nor FAILED after wait_idle";
  EXPECT_EQ(jobs.size(), static_cast<size_t>(kIngestObjects)) << "one job per object and rule";

  uint64_t chunks = 0, rows = 0;
  std::vector<std::string> expected_ids;
  int bad_jobs = 0;
  for (int i = 0; i < kIngestObjects; ++i) {
    const IngestObject o = IngestObjectAt(i);
    const std::string& rule = o.is_doc ? docs_rule : rows_rule;
    const std::string& other = o.is_doc ? rows_rule : docs_rule;
    EXPECT_EQ(by_rule_key.count(Key(other, o.key)), 0u) << o.key << " fired the other rule";
    auto it = by_rule_key.find(Key(rule, o.key));
    const size_t n = it == by_rule_key.end() ? 0 : it->second.size();
    if (n != 1 || it->second[0]->status != IngestStatus::kCompleted) {
      if (++bad_jobs <= 10) {
        ADD_FAILURE() << o.key << ": " << n << " jobs"
                      << (n > 0 ? std::string(", first ") + IngestStatusName(it->second[0]->status)
                                : std::string());
      }
    } else if (o.is_doc) {
      EXPECT_EQ(it->second[0]->chunks_created, o.chunks) << o.key;
    } else {
      EXPECT_EQ(it->second[0]->rows_written, o.rows) << o.key;
    }
    if (o.is_doc) {
      chunks += o.chunks;
      for (uint64_t c = 0; c < o.chunks; ++c)
        expected_ids.push_back(o.key + "#" + std::to_string(c));
    } else {
      rows += o.rows;
    }
  }
  EXPECT_EQ(bad_jobs, 0) << "objects without exactly one COMPLETED job of their rule";

  // Vectors: the exact count, and every expected id present, so the id set is exact.
  auto collection = db->vectors().get_collection(kIngestBucket, crash::kIngestCollection);
  ASSERT_TRUE(collection.ok()) << collection.status().ToString();
  EXPECT_EQ(collection->vector_count, chunks);
  size_t missing = 0;
  for (size_t i = 0; i < expected_ids.size(); i += 500) {
    GetVectorsRequest request{.bucket = kIngestBucket, .collection = crash::kIngestCollection};
    request.ids.assign(expected_ids.begin() + i,
                       expected_ids.begin() + std::min(expected_ids.size(), i + 500));
    auto got = db->vectors().get_vectors(request);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    missing += got->missing_ids.size();
    if (!got->missing_ids.empty()) ADD_FAILURE() << "missing vector " << got->missing_ids[0];
  }
  EXPECT_EQ(missing, 0u);

  // Rows: the exact count, one copy of each (source key, r), every CSV file present.
  auto scalar = [&](const std::string& sql) -> int64_t {
    auto q = db->tables().query({.bucket = kIngestBucket, .sql = sql});
    EXPECT_TRUE(q.ok()) << q.status().ToString() << " in " << sql;
    if (!q.ok() || q->rows.empty()) return -1;
    return std::get<int64_t>(q->rows[0][0]);
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM csvrows"), static_cast<int64_t>(rows));
  EXPECT_EQ(scalar("SELECT count(*) FROM (SELECT _k3_source_key, r, count(*) AS c FROM csvrows "
                   "GROUP BY _k3_source_key, r HAVING c > 1)"),
            0);
  EXPECT_EQ(scalar("SELECT count(DISTINCT _k3_source_key) FROM csvrows"), kIngestObjects / 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM csvrows WHERE _k3_source_key NOT LIKE 'rows/%' OR "
                   "CAST(substr(_k3_source_key, 11, 5) AS INTEGER) <> obj"),
            0)
      << "a row under another object's key";
  std::printf("round: %zu jobs, %" PRIu64 " vectors, %" PRIu64 " rows, %.1f s\n", jobs.size(),
              chunks, rows,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

TEST(IngestCrash, KilledDuringIngestionEveryObjectCompletedOncePerRule) {
  const uint64_t seed = crash::CrashTestSeed();
  std::printf("K3_CRASH_SEED=%" PRIu64 "\n", seed);
  SCOPED_TRACE("K3_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const int rounds = RandomRounds();
  for (int round = 0; round < rounds; ++round) {
    // READY plus 1..kIngestObjects-1 acknowledged puts: the kill lands while putting.
    const int kill_after = 2 + static_cast<int>(rng() % (kIngestObjects - 1));
    SCOPED_TRACE("random round " + std::to_string(round) + ", kill after line " +
                 std::to_string(kill_after));
    RunRound(kill_after, false);
    if (HasFatalFailure()) return;
  }
  SCOPED_TRACE("kill right after DONE");
  RunRound(kIngestObjects + 2, true);  // READY, every PUT, DONE
}

}  // namespace
}  // namespace k3
