// SourceService across a process crash: a child process (k3_crash_child sources,
// tests/crash/sources_workload.cc) syncs a LOCAL_DIR source of kSourceFiles files into a bucket
// whose rule fires a vector pipeline on each imported object, and is killed with SIGKILL in the
// middle of the sync (after a random number of "OBJECTS" progress lines). The parent reopens the
// directory and checks that:
//   - the source is marked ERROR, saying the sync was interrupted (it was SYNCING);
//   - every object already imported holds exactly its file's bytes (no torn import);
//   - the next sync resumes: it re-imports at most the one item whose record the crash lost
//     (unchanged >= objects reported before the kill - 1) and brings the status back to ACTIVE;
//   - after ingest is idle, the bucket equals the directory, no job FAILED, every object's
//     newest job COMPLETED, and the collection holds exactly the ids "<key>#<i>" of every
//     file's chunks;
//   - one more sync imports nothing and creates no job.
// Set K3_CRASH_SEED to replay a run (the seed in use is printed).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crash/child_process.h"
#include "crash/sources_workload.h"
#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

using crash::kSourceFiles;
using crash::kSourcesBucket;
using crash::SourceFile;
using crash::SourceFileAt;

std::vector<IngestJob> AllJobs(Db& db) {
  std::vector<IngestJob> jobs;
  std::string token;
  for (;;) {
    auto page =
        db.ingest().list_jobs({.bucket = kSourcesBucket, .page_size = 1000, .page_token = token});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return jobs;
    jobs.insert(jobs.end(), page->jobs.begin(), page->jobs.end());
    token = page->pagination.next_page_token;
    if (token.empty()) return jobs;
  }
}

std::string ObjectBody(Db& db, const std::string& key) {
  auto got = db.storage().get_object(kSourcesBucket, key);
  return got.ok() ? got->body : "<" + got.status().ToString() + ">";
}

TEST(SourcesCrash, KilledMidSyncTheNextSyncResumesAndTheBucketMatchesTheDirectory) {
  const uint64_t seed = crash::CrashTestSeed();
  std::printf("K3_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  test::TempDir dir, root;
  for (int i = 0; i < kSourceFiles; ++i) {
    const SourceFile f = SourceFileAt(i);
    const std::filesystem::path path = std::filesystem::path(root.path()) / f.path;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << f.body;
  }
  // READY, then 2..25 progress lines (the child prints one per 2 ms poll at most, while the
  // import of the 800 files takes far longer): the kill lands while the sync imports.
  const int kill_after = 1 + 2 + static_cast<int>(random() % 24);
  std::string error;
  auto run =
      crash::RunAndKill({K3_CRASH_CHILD, "sources", dir.path(), root.path()}, kill_after, &error);
  ASSERT_TRUE(run.has_value()) << error;
  ASSERT_TRUE(WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGKILL)
      << "the child was not killed by us: " << crash::ChildProcess::Describe(run->status);
  ASSERT_FALSE(run->lines.empty());
  ASSERT_EQ(run->lines[0], "READY");
  uint64_t reported = 0;
  bool synced = false;
  for (size_t i = 1; i < run->lines.size(); ++i) {
    const std::string& line = run->lines[i];
    if (line.rfind("OBJECTS ", 0) == 0) {
      reported = std::stoull(line.substr(8));
    } else if (line.rfind("SYNCED", 0) == 0) {
      synced = true;
    }
  }
  ASSERT_FALSE(synced) << "the sync finished before the kill: this run tested no crash";
  std::printf("killed after %llu objects were reported imported\n",
              static_cast<unsigned long long>(reported));

  Options options;
  options.master_key = crash::kSourcesMasterKey;
  auto db = Db::open(dir.path(), options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto sources = db->sources().list_sources({.bucket = kSourcesBucket});
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  Source source;
  for (const Source& s : sources->sources) {
    if (s.name == crash::kSourcesName) source = s;
  }
  ASSERT_FALSE(source.source_id.empty());
  EXPECT_EQ(source.status, SourceStatus::kError);
  EXPECT_NE(source.last_error.find("interrupted"), std::string::npos) << source.last_error;

  // What the crash left is whole: each object holds exactly its file's bytes.
  std::map<std::string, std::string> expected;  // key -> body
  for (int i = 0; i < kSourceFiles; ++i) {
    const SourceFile f = SourceFileAt(i);
    expected[std::string(crash::kSourcesName) + "/" + f.path] = f.body;
  }
  auto listed = db->storage().list_objects({.bucket = kSourcesBucket, .max_keys = 1000});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_FALSE(listed->is_truncated);
  EXPECT_GE(listed->objects.size(), reported);
  for (const ObjectInfo& o : listed->objects) {
    ASSERT_EQ(expected.count(o.key), 1u) << "an object the directory does not have: " << o.key;
    EXPECT_EQ(ObjectBody(*db, o.key), expected[o.key]) << o.key;
  }

  // The next sync resumes.
  auto report =
      db->sources().sync_source({.bucket = kSourcesBucket, .source_id = source.source_id});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->discovered, static_cast<uint64_t>(kSourceFiles));
  EXPECT_EQ(report->added + report->changed + report->unchanged,
            static_cast<uint64_t>(kSourceFiles));
  EXPECT_EQ(report->failed, 0u) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_GE(report->unchanged + 1, reported) << "the sync redid items the crash had recorded";
  EXPECT_EQ(report->status, SourceStatus::kActive);
  Status idle = db->ingest().wait_idle(kSourcesBucket, 300000);
  ASSERT_TRUE(idle.ok()) << idle.ToString();

  // The bucket equals the directory.
  listed = db->storage().list_objects({.bucket = kSourcesBucket, .max_keys = 1000});
  ASSERT_TRUE(listed.ok());
  std::set<std::string> keys;
  for (const ObjectInfo& o : listed->objects) keys.insert(o.key);
  std::set<std::string> expected_keys;
  for (const auto& [key, body] : expected) expected_keys.insert(key);
  EXPECT_EQ(keys, expected_keys);
  auto got_source = db->sources().get_source(kSourcesBucket, source.source_id);
  ASSERT_TRUE(got_source.ok());
  EXPECT_EQ(got_source->total_objects, static_cast<uint64_t>(kSourceFiles));
  EXPECT_EQ(got_source->indexed_objects, static_cast<uint64_t>(kSourceFiles));
  EXPECT_EQ(got_source->last_error, "");

  // Jobs: none FAILED; each object's newest job COMPLETED (list_jobs is newest first).
  std::vector<IngestJob> jobs = AllJobs(*db);
  std::map<std::string, const IngestJob*> newest;
  int failed = 0;
  for (const IngestJob& j : jobs) {
    if (j.status == IngestStatus::kFailed) ++failed;
    newest.emplace(j.object.key, &j);
  }
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(newest.size(), static_cast<size_t>(kSourceFiles));
  int not_completed = 0;
  for (const auto& [key, job] : newest) {
    if (job->status != IngestStatus::kCompleted) ++not_completed;
  }
  EXPECT_EQ(not_completed, 0);

  // Vectors: the exact count and every expected id, so the id set is exact.
  uint64_t chunks = 0;
  std::vector<std::string> ids;
  for (int i = 0; i < kSourceFiles; ++i) {
    const SourceFile f = SourceFileAt(i);
    chunks += f.chunks;
    for (uint64_t c = 0; c < f.chunks; ++c) {
      ids.push_back(std::string(crash::kSourcesName) + "/" + f.path + "#" + std::to_string(c));
    }
  }
  auto collection = db->vectors().get_collection(kSourcesBucket, crash::kSourcesName);
  ASSERT_TRUE(collection.ok()) << collection.status().ToString();
  EXPECT_EQ(collection->vector_count, chunks);
  size_t found = 0;
  for (size_t i = 0; i < ids.size(); i += 500) {
    GetVectorsRequest request{.bucket = kSourcesBucket, .collection = crash::kSourcesName};
    request.ids.assign(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 500));
    auto got = db->vectors().get_vectors(request);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    found += got->vectors.size();
  }
  EXPECT_EQ(found, ids.size());

  // One more sync: nothing to import, no new job.
  auto again = db->sources().sync_source({.bucket = kSourcesBucket, .source_id = source.source_id});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->unchanged, static_cast<uint64_t>(kSourceFiles));
  ASSERT_TRUE(db->ingest().wait_idle(kSourcesBucket, 300000).ok());
  EXPECT_EQ(AllJobs(*db).size(), jobs.size());
}

}  // namespace
}  // namespace k3
