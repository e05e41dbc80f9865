// k3_crash_child sources <data_dir> <root>: a LOCAL_DIR source synced into a bucket while its
// rule turns the imported objects into vectors, for the parent (tests/unit/
// sources_crash_test.cc) to kill with SIGKILL in the middle of the sync. Creates, when missing,
// bucket "scrash" with its vector engine, the text_embedding_index pipeline "mirror" (hash
// embedder, fixed chunks of kSourceChunkSize), the source "mirror" on <root> and a rule of that
// source; prints "READY"; syncs the source in a second thread while the main thread prints
// "OBJECTS <n>" whenever the bucket's object count grows; then prints "SYNCED <added>
// <changed> <unchanged>", waits until ingest is idle, prints "IDLE" and exits 0.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "k3/k3.hpp"
#include "sources_workload.h"

namespace {

using k3::crash::kSourcesBucket;
using k3::crash::kSourcesName;

int Fail(const char* what, const k3::Status& status, int code) {
  std::fprintf(stderr, "sources workload: %s: %s\n", what, status.ToString().c_str());
  return code;
}

// The pipeline, source and rule, created when missing.
k3::Status Setup(k3::Db& db, const std::string& root) {
  if (!db.storage().get_bucket(kSourcesBucket).ok()) {
    K3_RETURN_IF_ERROR(db.storage().create_bucket({.name = kSourcesBucket}).status());
  }
  K3_RETURN_IF_ERROR(db.vectors().configure_engine({.bucket = kSourcesBucket}).status());
  auto pipelines = db.pipelines().list_pipelines({.bucket = kSourcesBucket});
  K3_RETURN_IF_ERROR(pipelines.status());
  std::string pipeline_id;
  for (const k3::Pipeline& p : pipelines->pipelines) pipeline_id = p.pipeline_id;
  if (pipeline_id.empty()) {
    auto p = db.pipelines().create_pipeline(
        {.bucket = kSourcesBucket,
         .name = kSourcesName,
         .template_id = "text_embedding_index",
         .options = {{"embedder", "hash"},
                     {"dimensions", "32"},
                     {"chunker", "fixed"},
                     {"chunk_size", std::to_string(k3::crash::kSourceChunkSize)},
                     {"chunk_overlap", "0"}}});
    K3_RETURN_IF_ERROR(p.status());
    pipeline_id = p->pipeline_id;
  }
  auto sources = db.sources().list_sources({.bucket = kSourcesBucket});
  K3_RETURN_IF_ERROR(sources.status());
  std::string source_id;
  for (const k3::Source& s : sources->sources) {
    if (s.name == kSourcesName) source_id = s.source_id;
  }
  if (source_id.empty()) {
    auto s = db.sources().create_source({.bucket = kSourcesBucket,
                                         .provider = k3::SourceProvider::kLocalDir,
                                         .name = kSourcesName,
                                         .root_path = root});
    K3_RETURN_IF_ERROR(s.status());
    source_id = s->source_id;
  }
  auto rules = db.ingest().list_rules({.bucket = kSourcesBucket});
  K3_RETURN_IF_ERROR(rules.status());
  if (rules->rules.empty()) {
    K3_RETURN_IF_ERROR(db.ingest()
                           .create_rule({.bucket = kSourcesBucket,
                                         .source_id = source_id,
                                         .pipeline_id = pipeline_id,
                                         .name = "mirror-all"})
                           .status());
  }
  return k3::Status::Ok();
}

}  // namespace

int RunSourcesCrash(const std::string& dir, const std::string& root) {
  k3::Options options;
  options.master_key = k3::crash::kSourcesMasterKey;
  auto db = k3::Db::open(dir, options);
  if (!db.ok()) return Fail("open", db.status(), 2);
  if (auto s = Setup(*db, root); !s.ok()) return Fail("setup", s, 3);
  auto sources = db->sources().list_sources({.bucket = kSourcesBucket});
  if (!sources.ok()) return Fail("list_sources", sources.status(), 3);
  std::string source_id;
  for (const k3::Source& s : sources->sources) {
    if (s.name == kSourcesName) source_id = s.source_id;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  std::atomic<bool> finished{false};
  k3::Result<k3::SourceSyncReport> report = k3::Internal("not run");
  std::thread sync([&] {
    report = db->sources().sync_source({.bucket = kSourcesBucket, .source_id = source_id});
    finished = true;
  });
  uint64_t printed = 0;
  while (!finished) {
    auto bucket = db->storage().get_bucket(kSourcesBucket);
    if (bucket.ok() && bucket->object_count > printed) {
      printed = bucket->object_count;
      std::printf("OBJECTS %llu\n", static_cast<unsigned long long>(printed));
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a workload's pace, not a test
  }
  sync.join();
  if (!report.ok()) return Fail("sync_source", report.status(), 4);
  std::printf("SYNCED %llu %llu %llu\n", static_cast<unsigned long long>(report->added),
              static_cast<unsigned long long>(report->changed),
              static_cast<unsigned long long>(report->unchanged));
  std::fflush(stdout);
  if (auto idle = db->ingest().wait_idle(kSourcesBucket); !idle.ok()) {
    return Fail("wait_idle", idle, 5);
  }
  std::printf("IDLE\n");
  std::fflush(stdout);
  return 0;
}
