// k3_crash_child: the workloads that crash tests run in a child process and kill with SIGKILL.
// Each workload reports every acknowledged operation on stdout, one line each, flushed before
// the next operation starts, so the parent knows exactly what was acknowledged. The operation
// sequences and object bytes come from crash/workload.h, which the parent shares.
//
//   k3_crash_child storage <data_dir> <seed>
//     puts (sizes from 0 bytes to 3 MiB, some streamed) and deletes objects in bucket "crash"
//     forever, in the order of StorageWorkload(seed); prints "READY" once the bucket exists,
//     then "PUT <key> <etag> <size> <version>" and "DEL <key>" after each acknowledged call.
//
//   k3_crash_child vectors <data_dir> <seed> <round>
//     upserts and deletes batches of vectors in collection "c" (HNSW, 8-d) of bucket
//     "vcrash" forever, in the order of VectorWorkload(seed, round); prints "READY" once the
//     collection exists, then "ACK <version>" after each acknowledged batch.
//
//   k3_crash_child large-object <data_dir>
//     streams a 1 GiB object into bucket "large" with an 8 MiB block cache, streams it back
//     comparing every byte on the fly, reads a range in its middle, and reports (never
//     holding the object in memory):
//       PUT <etag> <size> <seconds>
//       GET <bytes> <first mismatching offset or -1> <etag> <seconds>
//       RANGE <range_first> <range_last> <body size> <1 if the body matches else 0>
//       PEAK_RSS_KB <VmHWM of this process>
//       OK
//
//   k3_crash_child large-pipeline <data_dir>
//     a 200 MiB text object through a pipeline and a 200 MiB HTML object refused
//     (large_pipeline_workload.cc).
//
//   k3_crash_child ingest <data_dir>
//     puts the objects of crash/ingest_workload.h into bucket "icrash", whose rules fire a
//     vector and a table pipeline on them in the background; prints "READY", "PUT <key>"
//     after each acknowledged put, "DONE" after the last, "IDLE" once ingest is idle
//     (ingest_workload.cc).
//   k3_crash_child sources <data_dir> <root>
//     syncs a LOCAL_DIR source on <root> into bucket "scrash" (a rule of the source fires a
//     vector pipeline), printing "OBJECTS <n>" as objects arrive, "SYNCED ..." and "IDLE"
//     (sources_workload.cc).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "k3/k3.hpp"
#include "vector_workload.h"
#include "workload.h"

namespace {

int RunStorage(const std::string& dir, uint64_t seed) {
  auto db = k3::Db::open(dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 2;
  }
  auto& storage = db->storage();
  if (!storage.get_bucket("crash").ok()) {
    auto b = storage.create_bucket({.name = "crash"});
    if (!b.ok()) return 3;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  k3::crash::StorageWorkload workload(seed);
  for (;;) {
    const k3::crash::StorageOp op = workload.Next();
    if (op.is_delete) {
      if (!storage.delete_object("crash", op.key).ok()) return 4;
      std::printf("DEL %s\n", op.key.c_str());
    } else {
      const std::string bytes = k3::crash::Bytes(op.key, op.version, op.size);
      k3::Result<k3::ObjectInfo> info = k3::Status();
      if (!op.stream) {
        info = storage.put_object("crash", op.key, bytes);
      } else {
        size_t pos = 0;
        info = storage.put_object_stream("crash", op.key,
                                         [&](char* buf, size_t cap) -> k3::Result<size_t> {
                                           size_t n = std::min(cap, bytes.size() - pos);
                                           std::copy_n(bytes.data() + pos, n, buf);
                                           pos += n;
                                           return n;
                                         });
      }
      if (!info.ok()) {
        std::fprintf(stderr, "put: %s\n", info.status().ToString().c_str());
        return 5;
      }
      std::printf("PUT %s %s %zu %llu\n", op.key.c_str(), info->etag.c_str(), op.size,
                  static_cast<unsigned long long>(op.version));
    }
    std::fflush(stdout);
  }
}

int RunVectors(const std::string& dir, uint64_t seed, uint64_t round) {
  using k3::crash::kVectorBucket;
  using k3::crash::kVectorCollection;
  auto db = k3::Db::open(dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 2;
  }
  if (!db->storage().get_bucket(kVectorBucket).ok()) {
    if (!db->storage().create_bucket({.name = kVectorBucket}).ok()) return 3;
  }
  auto& vectors = db->vectors();
  if (!vectors.configure_engine({.bucket = kVectorBucket}).ok()) return 3;
  if (!vectors.get_collection(kVectorBucket, kVectorCollection).ok()) {
    auto c = vectors.create_collection({.bucket = kVectorBucket,
                                        .name = kVectorCollection,
                                        .dimensions = k3::crash::kVectorDims,
                                        .metric = k3::VectorMetric::kL2,
                                        .index = k3::VectorIndexType::kHnsw});
    if (!c.ok()) return 3;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  k3::crash::VectorWorkload workload(seed, round);
  for (;;) {
    const k3::crash::VectorOp op = workload.Next();
    k3::Status s;
    if (op.is_delete) {
      s = vectors
              .delete_vectors(
                  {.bucket = kVectorBucket, .collection = kVectorCollection, .ids = op.ids})
              .status();
    } else {
      k3::WriteVectorsRequest w{.bucket = kVectorBucket, .collection = kVectorCollection};
      for (const auto& id : op.ids) {
        w.vectors.push_back({id,
                             k3::crash::VectorValues(id, op.version),
                             {{"version", static_cast<double>(op.version)}},
                             std::nullopt});
      }
      s = vectors.upsert_vectors(w).status();
    }
    if (!s.ok()) {
      std::fprintf(stderr, "vectors: %s\n", s.ToString().c_str());
      return 4;
    }
    std::printf("ACK %llu\n", static_cast<unsigned long long>(op.version));
    std::fflush(stdout);
  }
}

// VmHWM (peak resident set size) of this process, in KiB; -1 when unknown.
long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int RunLargeObject(const std::string& dir) {
  using k3::crash::FillStream;
  using k3::crash::kLargeObjectSize;
  using k3::crash::kLargeObjectStream;
  k3::Options options;
  options.block_cache_bytes = 8ull << 20;
  auto db = k3::Db::open(dir, options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 2;
  }
  auto& storage = db->storage();
  if (auto b = storage.create_bucket({.name = "large"}); !b.ok()) {
    std::fprintf(stderr, "create_bucket: %s\n", b.status().ToString().c_str());
    return 3;
  }

  auto start = std::chrono::steady_clock::now();
  uint64_t written = 0;
  auto put = storage.put_object_stream(
      "large", "big.bin", [&](char* buf, size_t cap) -> k3::Result<size_t> {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(cap, kLargeObjectSize - written));
        FillStream(kLargeObjectStream, written, buf, n);
        written += n;
        return n;
      });
  if (!put.ok()) {
    std::fprintf(stderr, "put_object_stream: %s\n", put.status().ToString().c_str());
    return 4;
  }
  std::printf("PUT %s %llu %.1f\n", put->etag.c_str(), static_cast<unsigned long long>(put->size),
              SecondsSince(start));
  std::fflush(stdout);

  start = std::chrono::steady_clock::now();
  uint64_t read = 0;
  long long first_mismatch = -1;
  std::string expected;
  auto get = storage.get_object_stream("large", "big.bin", [&](std::string_view bytes) {
    expected.resize(bytes.size());
    FillStream(kLargeObjectStream, read, expected.data(), bytes.size());
    if (first_mismatch < 0 && std::memcmp(expected.data(), bytes.data(), bytes.size()) != 0) {
      size_t i = 0;
      while (expected[i] == bytes[i]) ++i;
      first_mismatch = static_cast<long long>(read + i);
    }
    read += bytes.size();
    return k3::Status();
  });
  if (!get.ok()) {
    std::fprintf(stderr, "get_object_stream: %s\n", get.status().ToString().c_str());
    return 5;
  }
  std::printf("GET %llu %lld %s %.1f\n", static_cast<unsigned long long>(read), first_mismatch,
              get->info.etag.c_str(), SecondsSince(start));
  std::fflush(stdout);

  const std::string header = "bytes=" + std::to_string(k3::crash::kLargeRangeFirst) + "-" +
                             std::to_string(k3::crash::kLargeRangeLast);
  auto range = k3::ByteRange::Parse(header);
  if (!range.ok()) return 6;
  auto ranged = storage.get_object("large", "big.bin", {.range = *range});
  if (!ranged.ok()) {
    std::fprintf(stderr, "get_object %s: %s\n", header.c_str(), ranged.status().ToString().c_str());
    return 7;
  }
  expected.resize(ranged->body.size());
  FillStream(kLargeObjectStream, ranged->range_first, expected.data(), expected.size());
  std::printf("RANGE %llu %llu %zu %d\n", static_cast<unsigned long long>(ranged->range_first),
              static_cast<unsigned long long>(ranged->range_last), ranged->body.size(),
              expected == ranged->body ? 1 : 0);
  std::printf("PEAK_RSS_KB %ld\n", PeakRssKb());
  std::printf("OK\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace

int RunTablesCrash(const std::string& dir, uint64_t seed);             // tables_workload.cc
int RunLargePipeline(const std::string& dir);                          // large_pipeline_workload.cc
int RunIngestCrash(const std::string& dir);                            // ingest_workload.cc
int RunSourcesCrash(const std::string& dir, const std::string& root);  // sources_workload.cc

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "tables" && argc == 4) {
    return RunTablesCrash(argv[2], std::strtoull(argv[3], nullptr, 10));
  }
  if (mode == "storage" && argc == 4) {
    return RunStorage(argv[2], std::strtoull(argv[3], nullptr, 10));
  }
  if (mode == "large-object" && argc == 3) return RunLargeObject(argv[2]);
  if (mode == "large-pipeline" && argc == 3) return RunLargePipeline(argv[2]);
  if (mode == "ingest" && argc == 3) return RunIngestCrash(argv[2]);
  if (mode == "sources" && argc == 4) return RunSourcesCrash(argv[2], argv[3]);
  if (mode == "vectors" && argc == 5) {
    return RunVectors(argv[2], std::strtoull(argv[3], nullptr, 10),
                      std::strtoull(argv[4], nullptr, 10));
  }
  std::fprintf(stderr,
               "usage: k3_crash_child storage <data_dir> <seed>\n"
               "       k3_crash_child ingest <data_dir>\n"
               "       k3_crash_child sources <data_dir> <root>\n"
               "       k3_crash_child large-object <data_dir>\n"
               "       k3_crash_child large-pipeline <data_dir>\n"
               "       k3_crash_child tables <data_dir> <seed>\n"
               "       k3_crash_child vectors <data_dir> <seed> <round>\n");
  return 1;
}
