// pipelines_bench: ingest throughput of a text corpus through the text_embedding_index
// pipeline (parse + chunk + hash-embed + index, one object at a time as a job would run it)
// against the cost of just reading the same bytes back from the store, and the hash
// embedder's texts/s.
//
//   ratio pipelines.ingest_vs_read <ingest MB/s ÷ read MB/s>
//
// The corpus: documents assembled from the sentences of tests/data/retrieval (each object a
// different mix, ~8 KiB), so the text is real English with a realistic vocabulary.
// Flags: --quick (10x fewer objects, for smoke runs).
#include <fstream>
#include <sstream>

#include "bench_util.h"
#include "k3/k3.hpp"
#include "pipelines/embed/hash_embedder.h"

namespace {

using k3::bench::Check;
using k3::bench::MBps;
using k3::bench::Stopwatch;

// Object `i`: paragraphs of pseudo-randomly chosen sentences, about `bytes` long.
std::string Document(const std::vector<std::string>& sentences, size_t i, size_t bytes) {
  k3::bench::Rng rng(i * 7919 + 17);
  std::string doc;
  while (doc.size() < bytes) {
    for (int s = 0; s < 5; ++s) doc += sentences[rng.Next() % sentences.size()];
    doc += "\n\n";
  }
  return doc;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = k3::bench::HasFlag(argc, argv, "--quick");
  const size_t objects = quick ? 100 : 1000;
  const size_t object_bytes = 8 << 10;
  const std::vector<std::string> sentences = k3::bench::RetrievalSentences(K3_SOURCE_DIR);

  k3::bench::TempDir dir("k3-pipelines-bench");
  auto db = k3::Db::open(dir.path());
  Check(db.ok(), "open");
  Check(db->storage().create_bucket({.name = "corpus"}).ok(), "create_bucket");
  uint64_t total_bytes = 0;
  std::vector<std::string> keys;
  for (size_t i = 0; i < objects; ++i) {
    const std::string key = "docs/" + std::to_string(i) + ".txt";
    const std::string body = Document(sentences, i, object_bytes);
    total_bytes += body.size();
    Check(db->storage().put_object("corpus", key, body, {.content_type = "text/plain"}).ok(),
          "put_object");
    keys.push_back(key);
  }
  std::printf("pipelines_bench: %zu objects, %.1f MB of text%s\n", objects, total_bytes / 1e6,
              quick ? " (--quick)" : "");

  // Reading the same bytes: what any ingestion must pay at least. Median of 3.
  std::vector<double> reads;
  for (int rep = 0; rep < 3; ++rep) {
    Stopwatch watch;
    uint64_t read = 0;
    for (const std::string& key : keys) {
      auto got = db->storage().get_object("corpus", key);
      Check(got.ok(), "get_object");
      read += got->body.size();
    }
    reads.push_back(watch.Seconds());
    Check(read == total_bytes, "read a different number of bytes");
  }
  const double read_seconds = k3::bench::Median(reads);

  // Runs the pipeline `name` (index `index`) on every object; returns the seconds and chunks.
  auto ingest = [&](const std::string& name, const std::string& index) {
    auto pipe = db->pipelines().create_pipeline({.bucket = "corpus",
                                                 .name = name,
                                                 .template_id = "text_embedding_index",
                                                 .options = {{"index", index}}});
    Check(pipe.ok(), "create_pipeline");
    uint64_t chunks = 0;
    Stopwatch watch;
    for (const std::string& key : keys) {
      auto run =
          db->pipelines().run({.bucket = "corpus", .pipeline_id = pipe->pipeline_id, .key = key});
      Check(run.ok(), "run: " + run.status().ToString());
      chunks += run->chunks_created;
    }
    const double seconds = watch.Seconds();
    auto collection = db->vectors().get_collection("corpus", name);
    Check(collection.ok() && collection->vector_count == chunks, "the collection's vector count");
    return std::make_pair(seconds, chunks);
  };
  const auto [ingest_seconds, chunks] = ingest("embed", "hnsw");
  const auto [flat_seconds, flat_chunks] = ingest("embed_flat", "flat");

  k3::bench::PrintRatio("pipelines.ingest_vs_read", MBps(total_bytes, ingest_seconds),
                        MBps(total_bytes, read_seconds));
  std::printf(
      "  ingest %.2f MB/s (%.2f s, %llu chunks of <= 1000 characters, 384-d hash, HNSW "
      "index); read %.1f MB/s (median of 3, %.3f s)\n",
      MBps(total_bytes, ingest_seconds), ingest_seconds, static_cast<unsigned long long>(chunks),
      MBps(total_bytes, read_seconds), read_seconds);
  std::printf("  the same into a FLAT collection: %.2f MB/s (%.2f s, %llu chunks)\n",
              MBps(total_bytes, flat_seconds), flat_seconds,
              static_cast<unsigned long long>(flat_chunks));

  // The hash embedder alone, on chunk-sized texts, in the batches pipelines use.
  auto embedder = k3::pipelines::MakeHashEmbedder(k3::pipelines::kDefaultHashDimensions);
  Check(embedder.ok(), "MakeHashEmbedder");
  std::vector<std::string> texts;
  for (size_t i = 0; texts.size() < (quick ? 2000u : 20000u); ++i) {
    std::string doc = Document(sentences, i + 1'000'000, 1000);
    texts.push_back(doc.substr(0, 1000));
  }
  Stopwatch embed_watch;
  for (size_t first = 0; first < texts.size(); first += 64) {
    std::vector<std::string> batch(texts.begin() + first,
                                   texts.begin() + std::min(texts.size(), first + 64));
    Check((*embedder)->embed(batch).ok(), "embed");
  }
  const double embed_seconds = embed_watch.Seconds();
  std::printf(
      "  hash embedder: %.0f texts/s (%zu texts of 1000 characters, batches of 64, "
      "one thread; %.1f MB/s)\n",
      texts.size() / embed_seconds, texts.size(), MBps(texts.size() * 1000, embed_seconds));
  return 0;
}
