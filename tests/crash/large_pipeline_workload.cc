// k3_crash_child large-pipeline <data_dir>: a 200 MiB text object through the
// text_embedding_index pipeline, and a 200 MiB HTML object (a whole-document format) refused,
// neither ever held in memory by the workload. Reports:
//   TEXT <chunks created> <embeddings written> <vectors in the collection> <seconds>
//   HTML <status code number> <message>
//   PEAK_RSS_KB <VmHWM of this process>
//   OK
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "k3/k3.hpp"

namespace {

constexpr uint64_t kObjectBytes = 200ull << 20;

long PeakRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Byte `pos` of an endless text: lines of words ("w123 w77 ...") and blank lines between
// paragraphs, all ASCII.
char TextByte(uint64_t pos) {
  static const std::string kParagraph = [] {
    std::string p;
    for (int line = 0; line < 10; ++line) {
      for (int w = 0; w < 12; ++w) p += "w" + std::to_string((line * 31 + w * 7) % 997) + " ";
      p += "\n";
    }
    return p + "\n";
  }();
  return kParagraph[pos % kParagraph.size()];
}

k3::ObjectReader Generated(std::string prefix) {
  auto written = std::make_shared<uint64_t>(0);
  return [prefix = std::move(prefix), written](char* buf, size_t cap) -> k3::Result<size_t> {
    size_t n = 0;
    while (n < cap && *written < kObjectBytes) {
      const uint64_t pos = *written;
      buf[n++] = pos < prefix.size() ? prefix[pos] : TextByte(pos);
      ++*written;
    }
    return n;
  };
}

}  // namespace

int RunLargePipeline(const std::string& dir) {
  k3::Options options;
  options.block_cache_bytes = 8ull << 20;
  auto db = k3::Db::open(dir, options);
  if (!db.ok()) return 2;
  if (!db->storage().create_bucket({.name = "large"}).ok()) return 3;
  if (!db->storage()
           .put_object_stream("large", "big.txt", Generated(""), {.content_type = "text/plain"})
           .ok()) {
    return 4;
  }
  if (!db->storage()
           .put_object_stream("large", "big.html", Generated("<html><body><p>"),
                              {.content_type = "text/html"})
           .ok()) {
    return 5;
  }
  auto pipe = db->pipelines().create_pipeline(
      {.bucket = "large",
       .name = "embed",
       .template_id = "text_embedding_index",
       .options = {{"chunk_size", "100000"}, {"chunk_overlap", "0"}, {"index", "flat"}}});
  if (!pipe.ok()) {
    std::fprintf(stderr, "create_pipeline: %s\n", pipe.status().ToString().c_str());
    return 6;
  }
  const auto start = std::chrono::steady_clock::now();
  auto run =
      db->pipelines().run({.bucket = "large", .pipeline_id = pipe->pipeline_id, .key = "big.txt"});
  if (!run.ok()) {
    std::fprintf(stderr, "run: %s\n", run.status().ToString().c_str());
    return 7;
  }
  auto collection = db->vectors().get_collection("large", "embed");
  if (!collection.ok()) return 8;
  std::printf("TEXT %llu %llu %llu %.1f\n", static_cast<unsigned long long>(run->chunks_created),
              static_cast<unsigned long long>(run->embeddings_written),
              static_cast<unsigned long long>(collection->vector_count),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  auto html =
      db->pipelines().run({.bucket = "large", .pipeline_id = pipe->pipeline_id, .key = "big.html"});
  std::printf("HTML %d %s\n", static_cast<int>(html.status().code()),
              html.status().message().c_str());
  std::printf("PEAK_RSS_KB %ld\n", PeakRss());
  std::printf("OK\n");
  std::fflush(stdout);
  return 0;
}
