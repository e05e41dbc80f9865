// crash/ingest_workload.h: the objects of the ingest crash workload and their expected output,
// shared by the child (k3_crash_child ingest, ingest_workload.cc) and the parent test
// (tests/unit/ingest_crash_test.cc). Pure functions of the object index; thread-safe.
//
// Objects alternate: even indexes are text documents under "docs/" (fired into the vector
// pipeline "docs" by the rule "docs/**"), odd ones are CSV files under "rows/" (fired into the
// table pipeline "csvrows" by the rule "rows/**/*.csv"). A document is one word without
// whitespace of kChunkSize * chunks - 3 characters, so the fixed chunker (chunk_size
// kChunkSize, no overlap) cuts it into exactly `chunks` chunks; a CSV file has `rows` rows.
#ifndef K3_TESTS_CRASH_INGEST_WORKLOAD_H_
#define K3_TESTS_CRASH_INGEST_WORKLOAD_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace k3::crash {

inline constexpr char kIngestBucket[] = "icrash";
inline constexpr char kIngestCollection[] = "docs";  // the vector pipeline and its collection
inline constexpr char kIngestTable[] = "csvrows";    // the table pipeline and its table
inline constexpr char kIngestDocsPattern[] = "docs/**";
inline constexpr char kIngestRowsPattern[] = "rows/**/*.csv";
inline constexpr int kIngestObjects = 2000;
inline constexpr int kIngestChunkSize = 40;

struct IngestObject {
  std::string key;
  std::string body;
  std::string content_type;
  bool is_doc = false;
  uint64_t chunks = 0;  // documents: vectors "<key>#0".."<key>#<chunks-1>"
  uint64_t rows = 0;    // CSV files: rows (obj, r, word) with r = 0..rows-1
};

inline IngestObject IngestObjectAt(int index) {
  IngestObject o;
  char key[64];
  if (index % 2 == 0) {
    o.is_doc = true;
    o.chunks = 1 + static_cast<uint64_t>(index / 2) % 3;
    std::snprintf(key, sizeof key, "docs/part%d/d%05d.txt", index % 7, index);
    o.key = key;
    o.content_type = "text/plain";
    const std::string word = "doc" + std::to_string(index) + "x";
    const size_t length = kIngestChunkSize * o.chunks - 3;
    while (o.body.size() < length) o.body += word;
    o.body.resize(length);
  } else {
    o.rows = 1 + static_cast<uint64_t>(index / 2) % 4;
    std::snprintf(key, sizeof key, "rows/b%02d/r%05d.csv", index % 11, index);
    o.key = key;
    o.content_type = "text/csv";
    o.body = "obj,r,word\n";
    for (uint64_t r = 0; r < o.rows; ++r) {
      o.body += std::to_string(index) + "," + std::to_string(r) + ",w" + std::to_string(index) +
                "_" + std::to_string(r) + "\n";
    }
  }
  return o;
}

}  // namespace k3::crash

#endif  // K3_TESTS_CRASH_INGEST_WORKLOAD_H_
