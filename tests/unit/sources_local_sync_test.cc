// SourceService, SOURCE_PROVIDER_LOCAL_DIR, end to end: a directory synced through several
// rounds of adding, changing (content and size, content at the same size, mtime only) and
// deleting files in nested directories; after every sync the bucket's objects under the
// source's prefix equal the directory byte for byte, each imported version fired exactly one
// COMPLETED job per matching rule, and the vector collections hold exactly the current files'
// chunks at their current ETags. Also: delete_missing=false, dry runs (sync_source and
// IngestService's discovery), ingestion through IngestService, scheduled sync, and bad input
// (root paths, symlinks out of the root, ".." object ids, the internal source, prefixes).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "k3/k3.hpp"
#include "support/sources_fixtures.h"

namespace k3::test {
namespace {

namespace fs = std::filesystem;

constexpr char kBucket[] = "kbk";
constexpr char kPrefix[] = "docs";  // the source's name, hence its default key prefix

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

struct Counts {
  uint64_t discovered = 0;
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t unchanged = 0;
  uint64_t deleted = 0;
};

void ExpectCounts(const SourceSyncReport& r, const Counts& c) {
  EXPECT_EQ(r.discovered, c.discovered);
  EXPECT_EQ(r.added, c.added);
  EXPECT_EQ(r.changed, c.changed);
  EXPECT_EQ(r.unchanged, c.unchanged);
  EXPECT_EQ(r.deleted, c.deleted);
  EXPECT_EQ(r.failed, 0u) << Joined(r.problems);
  EXPECT_EQ(r.skipped, 0u) << Joined(r.problems);
}

class LocalSyncTest : public SourcesFixture {
 protected:
  void SetUp() override {
    Open();
    CreateBucket(kBucket);
    root_ = root_dir_.path() + "/tree";
    fs::create_directories(root_);
  }

  std::string At(const std::string& rel) const { return root_ + "/" + rel; }

  CreateSourceRequest LocalRequest(const std::string& name, const std::string& root) const {
    CreateSourceRequest r;
    r.bucket = kBucket;
    r.provider = SourceProvider::kLocalDir;
    r.name = name;
    r.root_path = root;
    return r;
  }

  // The objects the directory implies under `prefix`.
  std::map<std::string, std::string> Implied(const std::string& prefix) const {
    std::map<std::string, std::string> out;
    for (auto& [rel, bytes] : DirFiles(root_)) out[prefix + "/" + rel] = bytes;
    return out;
  }

  // One job per imported version per matching rule: records the current version of each
  // `rels` (relative paths) for the rules whose pattern it matches.
  void ExpectImported(const std::vector<std::string>& rels) {
    for (const std::string& rel : rels) {
      const std::string key = std::string(kPrefix) + "/" + rel;
      const std::string etag = Md5Hex(ReadFileBytes(At(rel)));
      if (EndsWith(rel, ".txt")) expected_jobs_[{txt_rule_, key}].push_back(etag);
      expected_jobs_[{all_rule_, key}].push_back(etag);
      seen_keys_.insert(key);
    }
  }

  // The whole state after a sync (and wait_idle): objects, jobs, vectors, source counters.
  void ExpectMirrors(const Source& source) {
    const std::map<std::string, std::string> files = DirFiles(root_);
    const std::map<std::string, std::string> implied = Implied(kPrefix);
    // 1. The bucket under the prefix is the directory, keys and bytes.
    EXPECT_EQ(Objects(kBucket, std::string(kPrefix) + "/"), implied);
    for (const auto& [key, bytes] : implied) {
      std::optional<ObjectInfo> info = Head(kBucket, key);
      ASSERT_TRUE(info.has_value()) << key;
      EXPECT_EQ(info->etag, Md5Hex(bytes)) << key;
      EXPECT_EQ(info->size, bytes.size()) << key;
    }
    // The object put directly, outside the prefix, is none of the source's business.
    EXPECT_EQ(Objects(kBucket, "elsewhere/"),
              (std::map<std::string, std::string>{{"elsewhere/z.txt", "put by hand"}}));

    // 2. Jobs: one COMPLETED job per imported version per matching rule, nothing else.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> actual;
    for (const auto& [key, jobs] : JobsByKey(kBucket)) {
      for (const IngestJob& j : jobs) {
        EXPECT_EQ(j.status, IngestStatus::kCompleted) << key << ": " << j.error_message;
        EXPECT_EQ(j.chunks_created, 1u) << key;
        EXPECT_EQ(j.embeddings_written, 1u) << key;
        actual[{j.rule_id, key}].push_back(j.etag);
      }
    }
    EXPECT_EQ(actual, expected_jobs_);

    // 3. Destinations: each file is one chunk, "<key>#0", at the file's current ETag; the
    // chunks of keys that are gone are gone.
    uint64_t txt = 0;
    for (const auto& [key, bytes] : implied) {
      const bool is_txt = EndsWith(key, ".txt");
      txt += is_txt ? 1 : 0;
      for (const char* collection : {"vec", "all"}) {
        if (std::string(collection) == "vec" && !is_txt) {
          EXPECT_FALSE(FirstChunk(kBucket, collection, key).has_value()) << key;
          continue;
        }
        std::optional<VectorRecord> v = FirstChunk(kBucket, collection, key);
        ASSERT_TRUE(v.has_value()) << collection << " lacks " << key;
        auto etag = v->metadata.find("etag");
        ASSERT_NE(etag, v->metadata.end()) << key;
        EXPECT_EQ(std::get<std::string>(etag->second), Md5Hex(bytes)) << collection << " " << key;
      }
    }
    EXPECT_EQ(VectorCount(kBucket, "vec"), txt);
    EXPECT_EQ(VectorCount(kBucket, "all"), implied.size());
    for (const std::string& key : seen_keys_) {
      if (implied.count(key)) continue;
      EXPECT_FALSE(FirstChunk(kBucket, "vec", key).has_value()) << "stale chunk of " << key;
      EXPECT_FALSE(FirstChunk(kBucket, "all", key).has_value()) << "stale chunk of " << key;
    }

    // 4. The source's counters.
    const Source s = GetSource(kBucket, source.source_id);
    uint64_t bytes = 0;
    for (const auto& [rel, content] : files) bytes += content.size();
    EXPECT_EQ(s.total_objects, files.size());
    EXPECT_EQ(s.total_bytes, bytes);
    EXPECT_EQ(s.status, SourceStatus::kActive);
    EXPECT_EQ(s.last_error, "");
    EXPECT_GT(s.last_sync_at, 0);
    EXPECT_GT(s.last_success_at, 0);
  }

  // Syncs, checks the report's common fields and timestamps, waits for the jobs.
  SourceSyncReport SyncAndWait(const Source& source, bool full = false) {
    const TimestampMs before = NowMs();
    SourceSyncReport r = Sync(kBucket, source.source_id, full);
    const TimestampMs after = NowMs();
    EXPECT_EQ(r.source_id, source.source_id);
    EXPECT_FALSE(r.dry_run);
    EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
    EXPECT_GE(r.started_at, before - 1000);
    EXPECT_GE(r.finished_at, r.started_at);
    EXPECT_LE(r.finished_at, after + 1000);
    const Source s = GetSource(kBucket, source.source_id);
    EXPECT_GE(s.last_sync_at, r.started_at);
    EXPECT_GE(s.last_success_at, r.started_at);
    WaitIdle(kBucket);
    return r;
  }

  uint64_t Size(const std::vector<std::string>& rels) const {
    uint64_t n = 0;
    for (const std::string& rel : rels) n += ReadFileBytes(At(rel)).size();
    return n;
  }

  TempDir root_dir_;
  TempDir outside_dir_;
  std::string root_;
  std::string txt_rule_;
  std::string all_rule_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> expected_jobs_;
  std::set<std::string> seen_keys_;
};

TEST_F(LocalSyncTest, RoundsOfAddChangeDeleteMirrorTheDirectoryExactly) {
  const Source src = CreateSource(LocalRequest(kPrefix, root_));
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.source_id.rfind("src_", 0), 0u) << src.source_id;
  EXPECT_EQ(src.bucket, kBucket);
  EXPECT_EQ(src.provider, SourceProvider::kLocalDir);
  EXPECT_EQ(src.name, kPrefix);
  EXPECT_EQ(src.root_path, root_);
  EXPECT_EQ(src.key_prefix, kPrefix) << "the default key prefix is the source's name";
  EXPECT_TRUE(src.delete_missing);
  EXPECT_TRUE(src.enabled);
  EXPECT_EQ(src.status, SourceStatus::kActive);
  EXPECT_EQ(src.total_objects, 0u);
  EXPECT_GT(src.created_at, 0);
  EXPECT_NE(src.source_id, InternalSourceId(kBucket));

  // Two rules: *.txt of this source only (pipeline "vec"), and everything under docs/ from any
  // source (pipeline "all"). Chunks of 1000 characters: every file here is one chunk.
  Pipeline vec = VectorPipeline(kBucket, "vec", 1000);
  Pipeline all = VectorPipeline(kBucket, "all", 1000);
  txt_rule_ = CreateRule({.bucket = kBucket,
                          .source_id = src.source_id,
                          .pipeline_id = vec.pipeline_id,
                          .name = "txt of the local source",
                          .include_patterns = {"**/*.txt"}})
                  .rule_id;
  all_rule_ = CreateRule({.bucket = kBucket,
                          .pipeline_id = all.pipeline_id,
                          .name = "everything under docs",
                          .include_patterns = {"docs/**"}})
                  .rule_id;
  ASSERT_FALSE(HasFailure());
  // An object of the internal source that the source-scoped rule's pattern would match.
  Put(kBucket, "elsewhere/z.txt", "put by hand");
  WaitIdle(kBucket);
  ASSERT_TRUE(AllJobs(kBucket).empty()) << "a source-scoped rule fired for another source";

  // Round 1: a nested tree.
  WriteFile(At("a.txt"), "alpha one\n");
  WriteFile(At("notes.md"), "some markdown notes, no heading\n");
  WriteFile(At("sub/b.txt"), "bravo in sub\n");
  WriteFile(At("sub/deep/c.txt"), "charlie deep down\n");
  {
    SCOPED_TRACE("round 1: four new files");
    SourceSyncReport r = SyncAndWait(src);
    ExpectCounts(r, {.discovered = 4, .added = 4});
    EXPECT_EQ(r.bytes_imported, Size({"a.txt", "notes.md", "sub/b.txt", "sub/deep/c.txt"}));
    ExpectImported({"a.txt", "notes.md", "sub/b.txt", "sub/deep/c.txt"});
    ExpectMirrors(src);
  }

  // Round 2: a.txt grows; sub/b.txt is only touched (new mtime, same bytes); two new files in
  // a new directory and at the top.
  WriteFile(At("a.txt"), "alpha two, longer than before\n");
  SetMtime(At("sub/b.txt"), MtimeSeconds(At("sub/b.txt")) + 1000);
  WriteFile(At("sub/new/d.txt"), "delta new\n");
  WriteFile(At("e.md"), "echo\n");
  {
    SCOPED_TRACE("round 2: change, touch, add");
    SourceSyncReport r = SyncAndWait(src);
    ExpectCounts(r, {.discovered = 6, .added = 2, .changed = 1, .unchanged = 3});
    EXPECT_EQ(r.bytes_imported, Size({"a.txt", "sub/new/d.txt", "e.md"}));
    ExpectImported({"a.txt", "sub/new/d.txt", "e.md"});
    ExpectMirrors(src);
  }

  // Round 3: a whole directory and a file go; d.txt changes at the same size with a new mtime
  // (only the hash can tell).
  fs::remove_all(At("sub/deep"));
  fs::remove(At("notes.md"));
  const std::string d_before = ReadFileBytes(At("sub/new/d.txt"));
  WriteFile(At("sub/new/d.txt"), "DELTA NEW\n");
  ASSERT_EQ(ReadFileBytes(At("sub/new/d.txt")).size(), d_before.size());
  SetMtime(At("sub/new/d.txt"), MtimeSeconds(At("sub/new/d.txt")) + 2000);
  {
    SCOPED_TRACE("round 3: delete a directory and a file, same-size change");
    SourceSyncReport r = SyncAndWait(src);
    ExpectCounts(r, {.discovered = 4, .changed = 1, .unchanged = 3, .deleted = 2});
    EXPECT_EQ(r.bytes_imported, Size({"sub/new/d.txt"}));
    ExpectImported({"sub/new/d.txt"});
    ExpectMirrors(src);
    EXPECT_FALSE(Head(kBucket, "docs/sub/deep/c.txt").has_value());
    EXPECT_FALSE(Head(kBucket, "docs/notes.md").has_value());
  }

  // Round 4: a rename (delete + add) and a deleted file back with its old bytes; e.md touched.
  fs::rename(At("sub/b.txt"), At("sub/b2.txt"));
  WriteFile(At("sub/deep/c.txt"), "charlie deep down\n");
  SetMtime(At("e.md"), MtimeSeconds(At("e.md")) + 3000);
  {
    SCOPED_TRACE("round 4: rename, re-create");
    SourceSyncReport r = SyncAndWait(src);
    ExpectCounts(r, {.discovered = 5, .added = 2, .unchanged = 3, .deleted = 1});
    EXPECT_EQ(r.bytes_imported, Size({"sub/b2.txt", "sub/deep/c.txt"}));
    ExpectImported({"sub/b2.txt", "sub/deep/c.txt"});
    ExpectMirrors(src);
  }

  // Round 5: nothing changed: nothing imported, no job.
  {
    SCOPED_TRACE("round 5: no change");
    SourceSyncReport r = SyncAndWait(src);
    ExpectCounts(r, {.discovered = 5, .unchanged = 5});
    EXPECT_EQ(r.bytes_imported, 0u);
    ExpectMirrors(src);
  }

  // Round 6: full re-imports every file, changed or not (one more job per file and rule).
  {
    SCOPED_TRACE("round 6: full");
    SourceSyncReport r = SyncAndWait(src, /*full=*/true);
    EXPECT_EQ(r.discovered, 5u);
    EXPECT_EQ(r.added + r.changed, 5u);
    EXPECT_EQ(r.unchanged, 0u);
    EXPECT_EQ(r.deleted, 0u);
    EXPECT_EQ(r.failed, 0u);
    EXPECT_EQ(r.bytes_imported,
              Size({"a.txt", "e.md", "sub/b2.txt", "sub/deep/c.txt", "sub/new/d.txt"}));
    ExpectImported({"a.txt", "e.md", "sub/b2.txt", "sub/deep/c.txt", "sub/new/d.txt"});
    ExpectMirrors(src);
  }
}

TEST_F(LocalSyncTest, WithoutDeleteMissingRemovedFilesKeepTheirObjects) {
  CreateSourceRequest req = LocalRequest("keep", root_);
  req.key_prefix = "kept/files";
  req.delete_missing = false;
  const Source src = CreateSource(req);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.key_prefix, "kept/files");
  EXPECT_FALSE(src.delete_missing);
  Pipeline vec = VectorPipeline(kBucket, "vec", 1000);
  CreateRule({.bucket = kBucket, .source_id = src.source_id, .pipeline_id = vec.pipeline_id});

  WriteFile(At("x.txt"), "x marks\n");
  WriteFile(At("dir/y.txt"), "y not\n");
  SourceSyncReport r = Sync(kBucket, src.source_id);
  ExpectCounts(r, {.discovered = 2, .added = 2});
  WaitIdle(kBucket);
  const std::map<std::string, std::string> first = {{"kept/files/x.txt", "x marks\n"},
                                                    {"kept/files/dir/y.txt", "y not\n"}};
  EXPECT_EQ(Objects(kBucket, "kept/"), first);
  EXPECT_EQ(VectorCount(kBucket, "vec"), 2u);

  fs::remove(At("dir/y.txt"));
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.discovered, 1u);
  EXPECT_EQ(r.deleted, 1u) << "gone from the source: forgotten";
  EXPECT_EQ(r.unchanged, 1u);
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "kept/"), first) << "delete_missing=false must keep the object";
  EXPECT_EQ(VectorCount(kBucket, "vec"), 2u);
  EXPECT_TRUE(FirstChunk(kBucket, "vec", "kept/files/dir/y.txt").has_value());

  // Back with other bytes: forgotten, so it is new again.
  WriteFile(At("dir/y.txt"), "y is back, longer\n");
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.changed, 0u);
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "kept/files/dir/"),
            (std::map<std::string, std::string>{{"kept/files/dir/y.txt", "y is back, longer\n"}}));
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted).size(), 3u);

  // The flag is a PATCHable field.
  auto updated = sources().update_source(
      {.bucket = kBucket, .source_id = src.source_id, .delete_missing = true});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->delete_missing);
  EXPECT_TRUE(GetSource(kBucket, src.source_id).delete_missing);
  fs::remove(At("x.txt"));
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.deleted, 1u);
  WaitIdle(kBucket);
  EXPECT_FALSE(Head(kBucket, "kept/files/x.txt").has_value());
}

TEST_F(LocalSyncTest, DryRunsChangeNothingAndIngestionThroughIngestServiceImports) {
  const Source src = CreateSource(LocalRequest(kPrefix, root_));
  Pipeline vec = VectorPipeline(kBucket, "vec", 1000);
  CreateRule({.bucket = kBucket, .source_id = src.source_id, .pipeline_id = vec.pipeline_id});
  ASSERT_FALSE(HasFailure());
  WriteFile(At("a.txt"), "a first\n");
  WriteFile(At("b.txt"), "b first\n");
  WriteFile(At("c/c.txt"), "c first\n");
  ExpectCounts(Sync(kBucket, src.source_id), {.discovered = 3, .added = 3});
  WaitIdle(kBucket);
  const std::map<std::string, std::string> before = Objects(kBucket, "docs/");
  ASSERT_EQ(before.size(), 3u);
  const Source src_before = GetSource(kBucket, src.source_id);
  ASSERT_EQ(AllJobs(kBucket).size(), 3u);

  WriteFile(At("a.txt"), "a second, longer\n");  // changed
  fs::remove(At("b.txt"));                       // deleted
  WriteFile(At("d.txt"), "d new\n");             // added
  auto dry =
      sources().sync_source({.bucket = kBucket, .source_id = src.source_id, .dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->dry_run);
  ExpectCounts(*dry, {.discovered = 3, .added = 1, .changed = 1, .unchanged = 1, .deleted = 1});
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "docs/"), before);
  EXPECT_EQ(AllJobs(kBucket).size(), 3u);
  EXPECT_EQ(GetSource(kBucket, src.source_id).total_objects, src_before.total_objects);
  EXPECT_EQ(GetSource(kBucket, src.source_id).total_bytes, src_before.total_bytes);

  // IngestService's discovery on an external source is a dry run too.
  auto discovered = ingest().trigger_discovery({.bucket = kBucket, .source_id = src.source_id});
  ASSERT_TRUE(discovered.ok()) << discovered.status().ToString();
  EXPECT_TRUE(discovered->accepted);
  EXPECT_FALSE(discovered->message.empty());
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "docs/"), before);
  EXPECT_EQ(AllJobs(kBucket).size(), 3u);
  auto status = ingest().get_sync_status(kBucket, src.source_id);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->bucket, kBucket);
  EXPECT_EQ(status->source_id, src.source_id);

  // A second dry run still sees the same differences: nothing was recorded.
  dry = sources().sync_source({.bucket = kBucket, .source_id = src.source_id, .dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ExpectCounts(*dry, {.discovered = 3, .added = 1, .changed = 1, .unchanged = 1, .deleted = 1});

  // IngestService's ingestion runs the import.
  auto ingested = ingest().trigger_ingestion({.bucket = kBucket, .source_id = src.source_id});
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  EXPECT_TRUE(ingested->accepted);
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, "docs/"),
            (std::map<std::string, std::string>{{"docs/a.txt", "a second, longer\n"},
                                                {"docs/c/c.txt", "c first\n"},
                                                {"docs/d.txt", "d new\n"}}));
  const auto jobs = JobsByKey(kBucket);
  ASSERT_EQ(jobs.count("docs/a.txt"), 1u);
  ASSERT_EQ(jobs.at("docs/a.txt").size(), 2u);
  EXPECT_EQ(jobs.at("docs/a.txt")[1].etag, Md5Hex("a second, longer\n"));
  ASSERT_EQ(jobs.count("docs/d.txt"), 1u);
  EXPECT_EQ(jobs.at("docs/d.txt").size(), 1u);
  EXPECT_EQ(jobs.at("docs/c/c.txt").size(), 1u);
  EXPECT_EQ(AllJobs(kBucket, IngestStatus::kCompleted).size(), 5u);
  EXPECT_EQ(VectorCount(kBucket, "vec"), 3u);
  EXPECT_FALSE(FirstChunk(kBucket, "vec", "docs/b.txt").has_value());
  EXPECT_TRUE(ingest().get_sync_status(kBucket, src.source_id).ok());

  // ... and recorded it: the next sync finds nothing to do.
  SourceSyncReport r = Sync(kBucket, src.source_id);
  ExpectCounts(r, {.discovered = 3, .unchanged = 3});
  WaitIdle(kBucket);
  EXPECT_EQ(AllJobs(kBucket).size(), 5u);
}

TEST_F(LocalSyncTest, ScheduledSyncPicksUpChangesWithoutBeingAsked) {
  WriteFile(At("first.txt"), "first\n");
  CreateSourceRequest req = LocalRequest("sched", root_);
  req.sync_interval_seconds = 1;
  const Source src = CreateSource(req);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.sync_interval_seconds, 1);
  auto has = [&](const std::string& key) {
    auto h = db().storage().head_object(kBucket, key);
    return h.ok();
  };
  ASSERT_TRUE(WaitUntil([&] { return has("sched/first.txt"); }, std::chrono::seconds(8)))
      << "the scheduler never imported the first file";
  WriteFile(At("later/second.txt"), "second\n");
  ASSERT_TRUE(WaitUntil([&] { return has("sched/later/second.txt"); }, std::chrono::seconds(8)))
      << "a file added later was not imported by the scheduler";
  fs::remove(At("first.txt"));
  ASSERT_TRUE(WaitUntil([&] { return !has("sched/first.txt"); }, std::chrono::seconds(8)))
      << "a removed file's object was not deleted by the scheduler";
  EXPECT_EQ(Objects(kBucket, "sched/"),
            (std::map<std::string, std::string>{{"sched/later/second.txt", "second\n"}}));
  const Source s = GetSource(kBucket, src.source_id);
  EXPECT_GT(s.last_sync_at, 0);
  EXPECT_GT(s.last_success_at, 0);
  EXPECT_TRUE(s.status == SourceStatus::kActive || s.status == SourceStatus::kSyncing)
      << static_cast<int>(s.status);
}

TEST_F(LocalSyncTest, BadRootPathsAreRefusedNamingRootPathAndCreateNothing) {
  const size_t sources_before = SourceCount(kBucket);
  ASSERT_EQ(sources_before, 1u) << "only the internal source";
  WriteFile(At("plain-file.txt"), "not a directory\n");
  struct Case {
    std::string label;
    std::string root;
  };
  const std::vector<Case> cases = {
      {"missing", root_dir_.path() + "/does-not-exist"},
      {"a file", At("plain-file.txt")},
      {"relative", "relative/dir"},
      {"dot relative", "./tree"},
      {"empty", ""},
  };
  int i = 0;
  for (const Case& c : cases) {
    auto s = sources().create_source(LocalRequest("bad" + std::to_string(i++), c.root));
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument)
        << c.label << ": " << s.status().ToString();
    EXPECT_TRUE(Has(s.status().message(), "rootPath")) << c.label << ": " << s.status().message();
  }
  EXPECT_EQ(SourceCount(kBucket), sources_before);

  // The same checks on update; the root stays.
  const Source good = CreateSource(LocalRequest("good", root_));
  ASSERT_FALSE(HasFailure());
  auto upd = sources().update_source(
      {.bucket = kBucket, .source_id = good.source_id, .root_path = At("plain-file.txt")});
  EXPECT_EQ(upd.status().code(), StatusCode::kInvalidArgument) << upd.status().ToString();
  EXPECT_TRUE(Has(upd.status().message(), "rootPath")) << upd.status().message();
  EXPECT_EQ(GetSource(kBucket, good.source_id).root_path, root_);

  // A negative interval, an unknown bucket.
  CreateSourceRequest neg = LocalRequest("neg", root_);
  neg.key_prefix = "neg";
  neg.sync_interval_seconds = -1;
  EXPECT_EQ(sources().create_source(neg).status().code(), StatusCode::kInvalidArgument);
  CreateSourceRequest nobucket = LocalRequest("nb", root_);
  nobucket.bucket = "no-such-bucket";
  EXPECT_EQ(sources().create_source(nobucket).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SourceCount(kBucket), sources_before + 1);
}

TEST_F(LocalSyncTest, SymlinksOutOfTheRootAndDotDotIdsNeverReachTheBucket) {
  const std::string kSecret = "TOP-SECRET-outside-the-root-7f3a";
  WriteFile(outside_dir_.path() + "/secret.txt", kSecret + "\n");
  WriteFile(outside_dir_.path() + "/dir/also-secret.txt", kSecret + " again\n");
  WriteFile(At("ok.txt"), "fine\n");
  WriteFile(At("inner/real.txt"), "real inside\n");
  fs::create_symlink(outside_dir_.path() + "/secret.txt", At("leak.txt"));
  fs::create_directory_symlink(outside_dir_.path() + "/dir", At("leakdir"));
  const Source src = CreateSource(LocalRequest(kPrefix, root_));
  ASSERT_FALSE(HasFailure());

  SourceSyncReport r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.added, 2u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.skipped, 2u) << Joined(r.problems);
  const std::string problems = Joined(r.problems);
  EXPECT_TRUE(Has(problems, "leak.txt")) << problems;
  EXPECT_TRUE(Has(problems, "leakdir")) << problems;
  EXPECT_FALSE(Has(problems, kSecret)) << "the target's content must not be read: " << problems;
  WaitIdle(kBucket);
  const std::map<std::string, std::string> expected = {{"docs/inner/real.txt", "real inside\n"},
                                                       {"docs/ok.txt", "fine\n"}};
  EXPECT_EQ(Objects(kBucket, ""), expected);

  // Ids escaping the root through "..", or naming the symlink, import nothing.
  auto dotdot = ingest().trigger_ingestion(
      {.bucket = kBucket, .source_id = src.source_id, .source_object_id = "../x"});
  EXPECT_EQ(dotdot.status().code(), StatusCode::kInvalidArgument) << dotdot.status().ToString();
  const std::string outside_name = fs::path(outside_dir_.path()).filename().string();
  const std::vector<std::string> escaping = {"docs/../../" + outside_name + "/secret.txt",
                                             "docs/leak.txt", "docs/leakdir/also-secret.txt"};
  for (const std::string& id : escaping) {
    auto t = ingest().trigger_ingestion(
        {.bucket = kBucket, .source_id = src.source_id, .source_object_id = id});
    EXPECT_FALSE(t.ok() && t->jobs_created > 0) << id;
  }
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, ""), expected);

  // A second sync reports them again and still imports nothing of them.
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(r.unchanged, 2u);
  EXPECT_EQ(r.added + r.changed, 0u);
  WaitIdle(kBucket);
  EXPECT_EQ(Objects(kBucket, ""), expected);
}

TEST_F(LocalSyncTest, TheInternalSourceCannotBeDeletedOrSynced) {
  const std::string internal = InternalSourceId(kBucket);
  ASSERT_FALSE(internal.empty());
  const Status del = sources().delete_source(kBucket, internal);
  EXPECT_EQ(del.code(), StatusCode::kFailedPrecondition) << del.ToString();
  auto still = sources().get_source(kBucket, internal);
  ASSERT_TRUE(still.ok()) << still.status().ToString();
  EXPECT_EQ(still->provider, SourceProvider::kInternalS3);
  auto sync = sources().sync_source({.bucket = kBucket, .source_id = internal});
  EXPECT_EQ(sync.status().code(), StatusCode::kFailedPrecondition) << sync.status().ToString();
  auto upd = sources().update_source({.bucket = kBucket, .source_id = internal, .name = "x"});
  EXPECT_EQ(upd.status().code(), StatusCode::kFailedPrecondition) << upd.status().ToString();
  EXPECT_EQ(sources().delete_source(kBucket, "src_nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(SourceCount(kBucket), 1u);

  // An external source named by a rule cannot be deleted until the rule goes; its imported
  // objects stay after it is deleted.
  WriteFile(At("a.txt"), "a\n");
  const Source src = CreateSource(LocalRequest(kPrefix, root_));
  Pipeline vec = VectorPipeline(kBucket, "vec", 1000);
  IngestRule rule =
      CreateRule({.bucket = kBucket, .source_id = src.source_id, .pipeline_id = vec.pipeline_id});
  ASSERT_FALSE(HasFailure());
  Sync(kBucket, src.source_id);
  WaitIdle(kBucket);
  const Status named = sources().delete_source(kBucket, src.source_id);
  EXPECT_EQ(named.code(), StatusCode::kFailedPrecondition) << named.ToString();
  EXPECT_TRUE(Has(named.message(), rule.rule_id)) << named.message();
  ASSERT_TRUE(ingest().delete_rule(kBucket, rule.rule_id).ok());
  const Status gone = sources().delete_source(kBucket, src.source_id);
  EXPECT_TRUE(gone.ok()) << gone.ToString();
  EXPECT_EQ(sources().get_source(kBucket, src.source_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Objects(kBucket, "docs/"), (std::map<std::string, std::string>{{"docs/a.txt", "a\n"}}));
}

TEST_F(LocalSyncTest, OverlappingPrefixesAndTakenNamesAreRefused) {
  CreateSource(LocalRequest(kPrefix, root_));  // prefix "docs"
  ASSERT_FALSE(HasFailure());
  struct Case {
    std::string name;
    std::string prefix;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {"inside", "docs/sub", StatusCode::kAlreadyExists},  // under "docs"
      {"same", "docs", StatusCode::kAlreadyExists},        // equal
      {kPrefix, "other", StatusCode::kAlreadyExists},      // the name is taken
      {"sibling", "docs2", StatusCode::kOk},               // "docs2/..." is not "docs/..."
      {"under-sibling", "docs2/x", StatusCode::kAlreadyExists},
      {"deep", "x/y/z", StatusCode::kOk},
      {"parent-of-deep", "x", StatusCode::kAlreadyExists},  // contains "x/y/z"
      {"parent-of-deep-2", "x/y", StatusCode::kAlreadyExists},
  };
  size_t expected = 2;  // internal + docs
  for (const Case& c : cases) {
    CreateSourceRequest r = LocalRequest(c.name, root_);
    r.key_prefix = c.prefix;
    auto s = sources().create_source(r);
    EXPECT_EQ(s.status().code(), c.code)
        << c.name << " / " << c.prefix << ": " << s.status().ToString();
    if (c.code == StatusCode::kOk) ++expected;
  }
  EXPECT_EQ(SourceCount(kBucket), expected);
}

}  // namespace
}  // namespace k3::test
