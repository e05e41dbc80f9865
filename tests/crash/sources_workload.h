// crash/sources_workload.h: the directory of the source-sync crash workload and its expected
// output, shared by the child (k3_crash_child sources, sources_workload.cc) and the parent test
// (tests/unit/sources_crash_test.cc). Pure functions of the file index; thread-safe.
//
// The directory holds kSourceFiles text files; file i is one word without whitespace of
// kSourceChunkSize * chunks - 3 characters, so the fixed chunker (chunk_size kSourceChunkSize,
// no overlap) cuts it into exactly `chunks` chunks. The LOCAL_DIR source "mirror" imports it
// under the key prefix "mirror"; a rule of that source fires the vector pipeline "mirror".
#ifndef K3_TESTS_CRASH_SOURCES_WORKLOAD_H_
#define K3_TESTS_CRASH_SOURCES_WORKLOAD_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace k3::crash {

inline constexpr char kSourcesBucket[] = "scrash";
inline constexpr char kSourcesName[] = "mirror";  // the source, its key prefix, the pipeline
inline constexpr int kSourceFiles = 800;
inline constexpr int kSourceChunkSize = 40;
// The master key of the workload's data directory (credentials are not used; the key only
// avoids creating a key file).
inline constexpr char kSourcesMasterKey[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct SourceFile {
  std::string path;  // relative to the root
  std::string body;
  uint64_t chunks = 0;
};

inline SourceFile SourceFileAt(int index) {
  SourceFile f;
  char path[64];
  std::snprintf(path, sizeof path, "part%d/sub%d/f%04d.txt", index % 5, index % 3, index);
  f.path = path;
  f.chunks = 1 + static_cast<uint64_t>(index) % 3;
  const std::string word = "file" + std::to_string(index) + "y";
  const size_t length = kSourceChunkSize * f.chunks - 3;
  while (f.body.size() < length) f.body += word;
  f.body.resize(length);
  return f;
}

}  // namespace k3::crash

#endif  // K3_TESTS_CRASH_SOURCES_WORKLOAD_H_
