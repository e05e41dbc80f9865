// ingest_bench: what the ingest machinery (event -> dispatcher -> durable job -> worker) costs
// on top of running the same pipeline directly.
//
//   ratio ingest.jobs_vs_inline <jobs seconds ÷ inline seconds>
//
// Jobs: a bucket with a text_embedding_index pipeline (hash embedder) and a rule matching
// every document; the clock runs from the first put_object until wait_idle returns, so it
// covers the puts, the dispatcher, the job records and the pipeline runs.
// Inline: a fresh data directory with the same pipeline and no rule; the same objects are put
// and PipelineService::run is called on each right after its put, in the calling thread.
// The ratio uses Options::worker_threads = 1, so one thread runs pipelines in both; a raw line
// follows for the default worker count. Both runs must produce the same number of vectors and
// every job must be COMPLETED, or the benchmark fails.
//
// The corpus: documents of a few hundred bytes assembled from the sentences of
// tests/data/retrieval (deterministic). Flags: --quick (1,000 documents instead of 10,000).
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "bench_util.h"
#include "k3/k3.hpp"

namespace {

using k3::bench::Check;
using k3::bench::Stopwatch;

constexpr char kBucket[] = "ingest-bench";
constexpr int64_t kWaitIdleTimeoutMs = 30 * 60 * 1000;

// The pipeline of both runs: small chunks and short vectors, so the per-object cost of the
// pipeline itself is small and the ingest overhead shows.
const std::map<std::string, std::string>& PipelineOptions() {
  static const std::map<std::string, std::string> options = {
      {"embedder", "hash"}, {"dimensions", "64"}, {"chunk_size", "200"}, {"chunk_overlap", "0"}};
  return options;
}

// Document `i`: pseudo-randomly chosen sentences, at least 300 bytes (about 300-500).
std::string Document(const std::vector<std::string>& sentences, size_t i) {
  k3::bench::Rng rng(i * 7919 + 17);
  std::string doc;
  while (doc.size() < 300) doc += sentences[rng.Next() % sentences.size()];
  return doc;
}

struct Corpus {
  std::vector<std::string> keys;
  std::vector<std::string> bodies;
  uint64_t bytes = 0;
};

// Opens a Db in a fresh directory with `worker_threads`, creates the bucket and the pipeline
// (and, when `with_rule`, a rule sending every text/* object under docs/ to it).
struct BenchDb {
  BenchDb(int worker_threads, bool with_rule) : dir("k3-ingest-bench") {
    k3::Options options;
    options.worker_threads = worker_threads;
    auto opened = k3::Db::open(dir.path(), options);
    Check(opened.ok(), "open: " + opened.status().ToString());
    db.emplace(std::move(opened).value());
    Check(db->storage().create_bucket({.name = kBucket}).ok(), "create_bucket");
    auto created = db->pipelines().create_pipeline({.bucket = kBucket,
                                                    .name = "embed",
                                                    .template_id = "text_embedding_index",
                                                    .options = PipelineOptions()});
    Check(created.ok(), "create_pipeline: " + created.status().ToString());
    pipeline = *created;
    if (with_rule) {
      auto rule = db->ingest().create_rule({.bucket = kBucket,
                                            .pipeline_id = pipeline.pipeline_id,
                                            .name = "all-docs",
                                            .include_patterns = {"docs/**"},
                                            .include_mime_types = {"text/*"}});
      Check(rule.ok(), "create_rule: " + rule.status().ToString());
    }
  }

  uint64_t VectorCount() {
    auto collection = db->vectors().get_collection(kBucket, "embed");
    Check(collection.ok(), "get_collection: " + collection.status().ToString());
    return collection->vector_count;
  }

  // Jobs of the bucket with `status`: the listing's total_count, or paging through it when
  // the count is not given.
  uint64_t JobCount(k3::IngestStatus status) {
    uint64_t count = 0;
    k3::ListIngestJobsRequest request{
        .bucket = kBucket, .status_filter = status, .page_size = 1000};
    while (true) {
      auto page = db->ingest().list_jobs(request);
      Check(page.ok(), "list_jobs: " + page.status().ToString());
      if (page->pagination.total_count >= 0) {
        return static_cast<uint64_t>(page->pagination.total_count);
      }
      count += page->jobs.size();
      if (page->pagination.next_page_token.empty()) return count;
      request.page_token = page->pagination.next_page_token;
    }
  }

  k3::bench::TempDir dir;
  std::optional<k3::Db> db;
  k3::Pipeline pipeline;
};

void Put(k3::Db& db, const std::string& key, const std::string& body) {
  auto put = db.storage().put_object(kBucket, key, body, {.content_type = "text/plain"});
  Check(put.ok(), "put_object: " + put.status().ToString());
}

struct JobsRun {
  double seconds = 0;
  uint64_t vectors = 0;
  double mean_latency_ms = 0;  // job creation -> COMPLETED
};

// Puts the corpus into a bucket with a rule and waits for every job; checks they all completed.
JobsRun RunJobs(const Corpus& corpus, int worker_threads) {
  BenchDb b(worker_threads, /*with_rule=*/true);
  Stopwatch watch;
  for (size_t i = 0; i < corpus.keys.size(); ++i) Put(*b.db, corpus.keys[i], corpus.bodies[i]);
  const k3::Status idle = b.db->ingest().wait_idle(kBucket, kWaitIdleTimeoutMs);
  JobsRun run{.seconds = watch.Seconds()};
  Check(idle.ok(), "wait_idle: " + idle.ToString());
  const uint64_t completed = b.JobCount(k3::IngestStatus::kCompleted);
  Check(completed == corpus.keys.size(), "COMPLETED jobs: " + std::to_string(completed) + " of " +
                                             std::to_string(corpus.keys.size()) + " (failed " +
                                             std::to_string(b.JobCount(k3::IngestStatus::kFailed)) +
                                             ")");
  const k3::IngestMetrics metrics = b.db->ingest().metrics();
  Check(metrics.jobs_completed == corpus.keys.size() && metrics.jobs_failed == 0,
        "metrics: jobs_completed " + std::to_string(metrics.jobs_completed) + ", jobs_failed " +
            std::to_string(metrics.jobs_failed));
  run.vectors = b.VectorCount();
  run.mean_latency_ms = metrics.latency_count > 0 ? static_cast<double>(metrics.latency_sum_ms) /
                                                        static_cast<double>(metrics.latency_count)
                                                  : 0;
  return run;
}

// Puts the corpus into a bucket without rules, running the pipeline after each put.
std::pair<double, uint64_t> RunInline(const Corpus& corpus) {
  BenchDb b(/*worker_threads=*/1, /*with_rule=*/false);
  uint64_t chunks = 0;
  Stopwatch watch;
  for (size_t i = 0; i < corpus.keys.size(); ++i) {
    Put(*b.db, corpus.keys[i], corpus.bodies[i]);
    auto run = b.db->pipelines().run(
        {.bucket = kBucket, .pipeline_id = b.pipeline.pipeline_id, .key = corpus.keys[i]});
    Check(run.ok(), "run: " + run.status().ToString());
    chunks += run->chunks_created;
  }
  const double seconds = watch.Seconds();
  const uint64_t vectors = b.VectorCount();
  Check(vectors == chunks, "inline: the collection holds " + std::to_string(vectors) +
                               " vectors, the runs created " + std::to_string(chunks) + " chunks");
  // No rule: no job may have been created.
  Check(b.db->ingest().metrics().jobs_created == 0, "inline: a job was created without a rule");
  return {seconds, vectors};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = k3::bench::HasFlag(argc, argv, "--quick");
  const size_t documents = quick ? 1000 : 10000;
  const std::vector<std::string> sentences = k3::bench::RetrievalSentences(K3_SOURCE_DIR);
  Corpus corpus;
  for (size_t i = 0; i < documents; ++i) {
    corpus.keys.push_back("docs/" + std::to_string(i / 100) + "/" + std::to_string(i) + ".txt");
    corpus.bodies.push_back(Document(sentences, i));
    corpus.bytes += corpus.bodies.back().size();
  }
  std::printf("ingest_bench: %zu documents, %.2f MB of text (avg %llu B)%s\n", documents,
              corpus.bytes / 1e6, static_cast<unsigned long long>(corpus.bytes / documents),
              quick ? " (--quick)" : "");
  std::fflush(stdout);

  const JobsRun jobs = RunJobs(corpus, /*worker_threads=*/1);
  const auto [inline_seconds, inline_vectors] = RunInline(corpus);
  Check(jobs.vectors == inline_vectors, "the jobs wrote " + std::to_string(jobs.vectors) +
                                            " vectors, the inline runs " +
                                            std::to_string(inline_vectors));

  k3::bench::PrintRatio("ingest.jobs_vs_inline", jobs.seconds, inline_seconds);
  std::printf(
      "  jobs (1 worker): %.3f s, %.0f jobs/s, mean job latency %.1f ms; inline (1 thread): "
      "%.3f s, %.0f objects/s; %llu vectors (64-d hash, chunks <= 200 characters, HNSW)\n",
      jobs.seconds, documents / jobs.seconds, jobs.mean_latency_ms, inline_seconds,
      documents / inline_seconds, static_cast<unsigned long long>(jobs.vectors));
  std::fflush(stdout);

  const JobsRun pooled = RunJobs(corpus, /*worker_threads=*/0);
  Check(pooled.vectors == inline_vectors, "the default-worker jobs wrote a different count");
  std::printf(
      "  jobs (default workers = %u cores): %.3f s, %.0f jobs/s, mean job latency %.1f "
      "ms (%.3f x inline)\n",
      std::thread::hardware_concurrency(), pooled.seconds, documents / pooled.seconds,
      pooled.mean_latency_ms, pooled.seconds / inline_seconds);
  return 0;
}
