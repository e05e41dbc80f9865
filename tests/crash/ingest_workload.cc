// k3_crash_child ingest <data_dir>: objects put while IngestService turns them into vectors
// and table rows in the background, for the parent (tests/unit/ingest_crash_test.cc) to kill
// with SIGKILL at any point. Creates, when missing, bucket "icrash" with its vector engine, a
// text_embedding_index pipeline "docs" (hash embedder, fixed chunks of kIngestChunkSize), a
// csv_table pipeline "csvrows" and the rules "docs/**" -> docs and "rows/**/*.csv" -> csvrows;
// prints "READY"; puts the kIngestObjects objects of crash/ingest_workload.h in index order,
// printing "PUT <key>" after each acknowledged put (flushed before the next starts); prints
// "DONE"; waits until the bucket's ingest is idle and prints "IDLE", then exits 0.
#include <cstdio>
#include <string>

#include "ingest_workload.h"
#include "k3/k3.hpp"

namespace {

using k3::crash::kIngestBucket;

// The pipeline named `name`, created with `request` when the bucket has none by that name.
k3::Result<k3::Pipeline> EnsurePipeline(k3::Db& db, const k3::CreatePipelineRequest& request) {
  auto all = db.pipelines().list_pipelines({.bucket = kIngestBucket, .page_size = 1000});
  if (!all.ok()) return all.status();
  for (const k3::Pipeline& p : all->pipelines) {
    if (p.name == request.name) return p;
  }
  return db.pipelines().create_pipeline(request);
}

// A rule for `pipeline_id` with the one include pattern, created when none exists.
k3::Status EnsureRule(k3::Db& db, const std::string& pipeline_id, const std::string& pattern) {
  auto rules = db.ingest().list_rules(
      {.bucket = kIngestBucket, .pipeline_id = pipeline_id, .page_size = 1000});
  if (!rules.ok()) return rules.status();
  if (!rules->rules.empty()) return k3::Status::Ok();
  return db.ingest()
      .create_rule({.bucket = kIngestBucket,
                    .pipeline_id = pipeline_id,
                    .name = pattern,
                    .include_patterns = {pattern}})
      .status();
}

int Fail(const char* what, const k3::Status& status, int code) {
  std::fprintf(stderr, "ingest workload: %s: %s\n", what, status.ToString().c_str());
  return code;
}

}  // namespace

int RunIngestCrash(const std::string& dir) {
  auto db = k3::Db::open(dir);
  if (!db.ok()) return Fail("open", db.status(), 2);
  if (!db->storage().get_bucket(kIngestBucket).ok()) {
    auto b = db->storage().create_bucket({.name = kIngestBucket});
    if (!b.ok()) return Fail("create_bucket", b.status(), 3);
  }
  if (auto e = db->vectors().configure_engine({.bucket = kIngestBucket}); !e.ok()) {
    return Fail("configure_engine", e.status(), 3);
  }
  auto docs =
      EnsurePipeline(*db, {.bucket = kIngestBucket,
                           .name = k3::crash::kIngestCollection,
                           .template_id = "text_embedding_index",
                           .options = {{"embedder", "hash"},
                                       {"dimensions", "32"},
                                       {"chunker", "fixed"},
                                       {"chunk_size", std::to_string(k3::crash::kIngestChunkSize)},
                                       {"chunk_overlap", "0"}}});
  if (!docs.ok()) return Fail("docs pipeline", docs.status(), 3);
  auto rows = EnsurePipeline(
      *db, {.bucket = kIngestBucket, .name = k3::crash::kIngestTable, .template_id = "csv_table"});
  if (!rows.ok()) return Fail("csvrows pipeline", rows.status(), 3);
  if (auto s = EnsureRule(*db, docs->pipeline_id, k3::crash::kIngestDocsPattern); !s.ok()) {
    return Fail("docs rule", s, 3);
  }
  if (auto s = EnsureRule(*db, rows->pipeline_id, k3::crash::kIngestRowsPattern); !s.ok()) {
    return Fail("rows rule", s, 3);
  }
  std::printf("READY\n");
  std::fflush(stdout);
  for (int i = 0; i < k3::crash::kIngestObjects; ++i) {
    const k3::crash::IngestObject o = k3::crash::IngestObjectAt(i);
    auto put =
        db->storage().put_object(kIngestBucket, o.key, o.body, {.content_type = o.content_type});
    if (!put.ok()) return Fail("put_object", put.status(), 4);
    std::printf("PUT %s\n", o.key.c_str());
    std::fflush(stdout);
  }
  std::printf("DONE\n");
  std::fflush(stdout);
  if (auto idle = db->ingest().wait_idle(kIngestBucket); !idle.ok()) {
    return Fail("wait_idle", idle, 5);
  }
  std::printf("IDLE\n");
  std::fflush(stdout);
  return 0;
}
