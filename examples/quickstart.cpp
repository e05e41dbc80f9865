// The k3 quickstart: opens a data directory, creates a bucket, two pipelines and the rules
// that fire them, puts the files of examples/data/ into it (each matching put creates an
// ingest job: documents into a collection, events.csv into a table), waits for the jobs and
// lists them and the objects, loads examples/data/events.jsonl into a table and runs K3's
// DuckDB cheat-sheet queries on it, fills a vector collection and runs a filtered search,
// then searches the pipelines' collection by text under a metadata filter and queries their
// table with SQL. examples/quickstart.c and examples/python/quickstart.py make the same tour
// through the C ABI.
// Run: ./build.sh demo
//
//   k3_quickstart [DATA_DIR] [CORPUS_DIR]     (defaults: ./k3-data, ./examples/data)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "k3/k3.hpp"

namespace fs = std::filesystem;

namespace {

std::string ContentTypeFor(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".md") return "text/markdown";
  if (ext == ".html" || ext == ".htm") return "text/html";
  if (ext == ".csv") return "text/csv";
  if (ext == ".jsonl") return "application/x-ndjson";
  if (ext == ".json") return "application/json";
  if (ext == ".txt") return "text/plain";
  return "application/octet-stream";
}

int Fail(const k3::Status& s, const char* what) {
  std::fprintf(stderr, "quickstart: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string Show(const k3::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6g", *d);
    return buf;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "<" + std::to_string(std::get<std::vector<uint8_t>>(v).size()) + " bytes>";
}

// (Re)creates the table `events` in kb-demo from events.jsonl. The JSON lines go in as they
// are, as the rows of a TableService.InsertRows call in K3's wire form.
k3::Status LoadEvents(k3::Db& db, const fs::path& jsonl) {
  auto& tables = db.tables();
  if (auto e = tables.configure_engine("kb-demo"); !e.ok()) return e.status();
  if (tables.get_table("kb-demo", "events").ok()) {
    if (k3::Status s = tables.drop_table("kb-demo", "events"); !s.ok()) return s;
  }
  auto created = tables.create_table({.bucket = "kb-demo",
                                      .name = "events",
                                      .columns = {{"id", k3::ColumnType::kString, false},
                                                  {"kind", k3::ColumnType::kString, false},
                                                  {"created_at", k3::ColumnType::kTimestamp, false},
                                                  {"duration_ms", k3::ColumnType::kLong, true},
                                                  {"payload", k3::ColumnType::kJson, true}},
                                      .merge_keys = {"id"}});
  if (!created.ok()) return created.status();
  std::string request = R"({"bucket": "kb-demo", "tableName": "events", "rows": [)";
  std::istringstream lines(ReadFile(jsonl));
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    request += first ? "" : ",";
    request += line;
    first = false;
  }
  request += "]}";
  auto written = db.call("TableService.InsertRows", request);
  return written.ok() ? k3::Status::Ok() : written.status();
}

// K3's "DuckDB SQL Cheat Sheet" queries, unchanged.
constexpr const char* kCheatSheet[] = {
    "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;",
    "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 "
    "ORDER BY 1;",
    "SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn FROM "
    "{table};",
    "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} "
    "GROUP BY tier;",
    "SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};",
};

// Runs each cheat-sheet query on `events` and prints its first rows.
k3::Status PrintCheatSheet(k3::Db& db) {
  constexpr size_t kShown = 6;
  for (const char* sql : kCheatSheet) {
    auto result = db.tables().query({.bucket = "kb-demo", .table_name = "events", .sql = sql});
    if (!result.ok()) return result.status();
    std::printf("\n%s\n  ", sql);
    for (const auto& c : result->columns) std::printf("%-26s", c.name.c_str());
    std::printf("\n");
    for (size_t r = 0; r < result->rows.size() && r < kShown; ++r) {
      std::printf("  ");
      for (const auto& v : result->rows[r]) std::printf("%-26s", Show(v).c_str());
      std::printf("\n");
    }
    if (result->rows.size() > kShown) {
      std::printf("  ... %zu rows in all\n", result->rows.size());
    }
  }
  return k3::Status::Ok();
}

// A made-up 8-d embedding: each topic points in its own direction, each item is nudged.
std::vector<float> DemoEmbedding(int topic, int item) {
  std::vector<float> v(8, 0.05f);
  v[topic] = 1.0f;
  v[(topic + 1 + item % 3) % 8] += 0.1f * static_cast<float>(item % 7);
  return v;
}

// The vector engine of the demo bucket: a collection of 200 vectors with metadata, and a
// search restricted by a metadata filter.
int VectorDemo(k3::Db& db) {
  const char* kTopics[] = {"billing", "refunds", "shipping", "accounts"};
  auto& vectors = db.vectors();
  if (auto e = vectors.configure_engine({.bucket = "kb-demo"}); !e.ok()) {
    return Fail(e.status(), "configure vector engine");
  }
  if (!vectors.get_collection("kb-demo", "faq").ok()) {
    auto c = vectors.create_collection({.bucket = "kb-demo",
                                        .name = "faq",
                                        .dimensions = 8,
                                        .metric = k3::VectorMetric::kCosine,
                                        .index = k3::VectorIndexType::kHnsw});
    if (!c.ok()) return Fail(c.status(), "create collection");
  }
  k3::WriteVectorsRequest write{.bucket = "kb-demo", .collection = "faq"};
  for (int i = 0; i < 200; ++i) {
    const int topic = i % 4;
    write.vectors.push_back(
        {"faq-" + std::to_string(i),
         DemoEmbedding(topic, i),
         {{"topic", std::string(kTopics[topic])}, {"year", static_cast<double>(2020 + i % 5)}},
         "answer " + std::to_string(i) + " about " + kTopics[topic]});
  }
  auto written = vectors.upsert_vectors(write);
  if (!written.ok()) return Fail(written.status(), "upsert vectors");
  std::printf("\nupserted %llu vectors into collection faq\n",
              static_cast<unsigned long long>(written->written));

  k3::SearchRequest search{.bucket = "kb-demo",
                           .collection = "faq",
                           .vectors = {DemoEmbedding(1, 3)},
                           .top_k = 3,
                           .include_content = true};
  search.filter = k3::VectorFilter::And(
      {k3::VectorFilter::Eq("topic", std::string("refunds")),
       k3::VectorFilter::Compare(k3::VectorFilter::Op::kGte, "year", 2023.0)});
  auto hits = vectors.search(search);
  if (!hits.ok()) return Fail(hits.status(), "search");
  std::printf("search near \"refunds\", filter topic = refunds AND year >= 2023:\n");
  for (const auto& h : hits->results[0]) {
    std::printf("  %-8s score %.4f  year %.0f  %s\n", h.id.c_str(), h.score,
                std::get<double>(h.metadata.at("year")), h.text.value_or("").c_str());
  }
  return 0;
}

// Finds or creates the pipeline `name` of the demo bucket.
k3::Result<k3::Pipeline> EnsurePipeline(k3::Db& db, const std::string& name,
                                        const std::string& template_id,
                                        std::map<std::string, std::string> options,
                                        const std::string& destination) {
  auto existing = db.pipelines().list_pipelines({.bucket = "kb-demo"});
  if (!existing.ok()) return existing.status();
  for (const k3::Pipeline& p : existing->pipelines) {
    if (p.name == name) return p;
  }
  return db.pipelines().create_pipeline({.bucket = "kb-demo",
                                         .name = name,
                                         .template_id = template_id,
                                         .options = std::move(options),
                                         .store_entity_id = destination});
}

// Finds the rule named `rule.name` of the demo bucket, or creates `rule`.
k3::Result<k3::IngestRule> EnsureRule(k3::Db& db, const k3::IngestRule& rule) {
  auto existing = db.ingest().list_rules({.bucket = "kb-demo", .pipeline_id = rule.pipeline_id});
  if (!existing.ok()) return existing.status();
  for (const k3::IngestRule& r : existing->rules) {
    if (r.name == rule.name) return r;
  }
  return db.ingest().create_rule(rule);
}

// The pipelines of the demo and the rules that fire them, created before the corpus is put
// (reused when they exist, so a rerun on the same data directory works): every document
// under docs/ into collection `docs` (hash embeddings, no model needed), every CSV under docs/
// into table `events_csv`. Each put of a matching object then creates an ingest job.
int SetUpIngest(k3::Db& db) {
  auto docs = EnsurePipeline(db, "embed-docs", "text_embedding_index",
                             {{"chunker", "markdown"}, {"chunk_size", "600"}}, "docs");
  if (!docs.ok()) return Fail(docs.status(), "create pipeline embed-docs");
  auto csv = EnsurePipeline(db, "load-events", "csv_table", {}, "events_csv");
  if (!csv.ok()) return Fail(csv.status(), "create pipeline load-events");
  auto docs_rule = EnsureRule(db, {.bucket = "kb-demo",
                                   .pipeline_id = docs->pipeline_id,
                                   .name = "docs-to-vectors",
                                   .include_patterns = {"docs/**"},
                                   .include_mime_types = {"text/*"},
                                   .exclude_mime_types = {"text/csv"}});
  if (!docs_rule.ok()) return Fail(docs_rule.status(), "create rule docs-to-vectors");
  auto csv_rule = EnsureRule(db, {.bucket = "kb-demo",
                                  .pipeline_id = csv->pipeline_id,
                                  .name = "csv-to-table",
                                  .include_patterns = {"docs/**/*.csv"},
                                  .include_mime_types = {"text/csv"}});
  if (!csv_rule.ok()) return Fail(csv_rule.status(), "create rule csv-to-table");
  for (const k3::IngestRule* r : {&*docs_rule, &*csv_rule}) {
    std::string patterns;
    for (const std::string& p : r->include_patterns) patterns += (patterns.empty() ? "" : ", ") + p;
    std::printf("rule %s: %s -> pipeline %s (%s)\n", r->name.c_str(), patterns.c_str(),
                r->binding.pipeline_name.c_str(), r->binding.destination.c_str());
  }
  return 0;
}

// What this run's ingest jobs wrote.
struct IngestSummary {
  uint64_t documents = 0;  // objects embed-docs processed
  uint64_t chunks = 0;
  uint64_t rows = 0;  // rows load-events wrote
};

// Waits until the jobs fired by the puts are done, printing progress, then lists this run's
// jobs (those created since `since_ms`) with their pipeline, object and output, and the
// counts by status; adds what the completed jobs wrote to `summary`. Fails when a job did
// not complete.
int WaitForIngest(k3::Db& db, k3::TimestampMs since_ms, IngestSummary& summary) {
  constexpr int64_t kGiveUpMs = 120000;
  const auto start = std::chrono::steady_clock::now();
  std::string last_line;
  while (true) {
    const k3::Status idle = db.ingest().wait_idle("kb-demo", 200);
    if (!idle.ok() && idle.code() != k3::StatusCode::kDeadlineExceeded) {
      return Fail(idle, "wait for ingest");
    }
    // The metrics count since this Db opened, so only this run's jobs.
    const k3::IngestMetrics m = db.ingest().metrics();
    auto activity = db.ingest().activity("kb-demo");
    if (!activity.ok()) return Fail(activity.status(), "ingest activity");
    char line[160];
    std::snprintf(
        line, sizeof(line), "ingest: %llu/%llu jobs done, %llu processing, %llu pending",
        static_cast<unsigned long long>(m.jobs_completed + m.jobs_failed + m.jobs_cancelled),
        static_cast<unsigned long long>(m.jobs_created),
        static_cast<unsigned long long>(activity->processing),
        static_cast<unsigned long long>(activity->pending));
    std::string text = line;
    if (activity->undispatched_events > 0) {
      text += ", " + std::to_string(activity->undispatched_events) + " events to dispatch";
    }
    if (text != last_line) std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    last_line = text;
    if (idle.ok()) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(kGiveUpMs)) {
      return Fail(idle, "ingest did not finish in 120 s");
    }
  }

  std::map<k3::IngestStatus, int> by_status;
  std::vector<k3::IngestJob> jobs;
  k3::ListIngestJobsRequest request{.bucket = "kb-demo", .page_size = 1000};
  bool older = false;
  while (!older) {
    auto page = db.ingest().list_jobs(request);
    if (!page.ok()) return Fail(page.status(), "list jobs");
    for (const k3::IngestJob& j : page->jobs) {  // newest first
      if (j.created_at < since_ms) {
        older = true;
        break;
      }
      jobs.push_back(j);
      ++by_status[j.status];
      if (j.status != k3::IngestStatus::kCompleted) continue;
      if (j.pipeline_name == "embed-docs") {
        ++summary.documents;
        summary.chunks += j.chunks_created;
      } else if (j.pipeline_name == "load-events") {
        summary.rows += j.rows_written;
      }
    }
    if (page->pagination.next_page_token.empty()) break;
    request.page_token = page->pagination.next_page_token;
  }
  std::printf("\njobs of this run, oldest first:\n");
  for (auto j = jobs.rbegin(); j != jobs.rend(); ++j) {
    const std::string output = j->pipeline_kind == k3::PipelineKind::kWarehouse
                                   ? std::to_string(j->rows_written) + " rows"
                                   : std::to_string(j->chunks_created) + " chunks";
    std::string status = k3::IngestStatusName(j->status);  // "INGEST_STATUS_COMPLETED"
    status = status.substr(status.rfind('_') + 1);
    std::printf("  %-10s %-12s %-34s %s%s%s\n", status.c_str(), j->pipeline_name.c_str(),
                j->object.key.c_str(), output.c_str(), j->error_message.empty() ? "" : "  ",
                j->error_message.c_str());
  }
  std::printf("jobs of this run: %zu in all, %d completed, %d failed, %d cancelled\n", jobs.size(),
              by_status[k3::IngestStatus::kCompleted], by_status[k3::IngestStatus::kFailed],
              by_status[k3::IngestStatus::kCancelled]);
  if (by_status[k3::IngestStatus::kCompleted] != static_cast<int>(jobs.size())) {
    return Fail(k3::FailedPrecondition("not every job of this run completed"), "ingest");
  }
  return 0;
}

// What the rules' jobs produced: the documents in collection `docs` (searched by text) and
// events.csv in table `events_csv` (queried with SQL). `run` is this run's jobs: their counts
// must agree with the destinations, which re-ingesting replaces rather than appends to.
int PipelineDemo(k3::Db& db, const IngestSummary& run) {
  auto collection = db.vectors().get_collection("kb-demo", "docs");
  if (!collection.ok()) return Fail(collection.status(), "describe collection docs");
  auto count = db.tables().query({.bucket = "kb-demo", .sql = "SELECT count(*) FROM events_csv"});
  if (!count.ok()) return Fail(count.status(), "count events_csv");
  const uint64_t table_rows = static_cast<uint64_t>(std::get<int64_t>(count->rows[0][0]));
  std::printf(
      "\npipeline embed-docs: %llu documents -> %llu chunks in collection docs (%llu "
      "vectors)\n",
      static_cast<unsigned long long>(run.documents), static_cast<unsigned long long>(run.chunks),
      static_cast<unsigned long long>(collection->vector_count));
  std::printf("pipeline load-events: events.csv -> %llu rows in table events_csv (%llu rows)\n",
              static_cast<unsigned long long>(run.rows),
              static_cast<unsigned long long>(table_rows));
  if (collection->vector_count != run.chunks || table_rows != run.rows) {
    return Fail(k3::Internal("the destinations do not hold what this run's jobs wrote"),
                "pipeline output");
  }

  const std::string question = "how many days do I have to return a kettle?";
  auto hits = db.vectors().search(
      {.bucket = "kb-demo",
       .collection = "docs",
       .text = question,
       .top_k = 3,
       .filter = k3::VectorFilter::Eq("content_type", std::string("text/markdown")),
       .include_content = true});
  if (!hits.ok()) return Fail(hits.status(), "text search");
  std::printf("\ntext search \"%s\" where content_type = text/markdown:\n", question.c_str());
  for (const auto& h : hits->results[0]) {
    std::string snippet = h.text.value_or("").substr(0, 70);
    for (char& c : snippet) c = c == '\n' ? ' ' : c;
    std::printf("  %.4f  %-32s %s...\n", h.score, h.object_key.c_str(), snippet.c_str());
  }

  const char* sql =
      "SELECT kind, count(*) AS events, round(avg(duration_ms), 1) AS avg_ms "
      "FROM events_csv GROUP BY kind ORDER BY events DESC LIMIT 4";
  auto result = db.tables().query({.bucket = "kb-demo", .sql = sql});
  if (!result.ok()) return Fail(result.status(), "query events_csv");
  std::printf("\n%s\n", sql);
  for (const auto& row : result->rows) {
    std::printf("  ");
    for (const auto& v : row) std::printf("%-16s", Show(v).c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : "./k3-data";
  const fs::path corpus = argc > 2 ? argv[2] : "./examples/data";

  auto db = k3::Db::open(data_dir);
  if (!db.ok()) return Fail(db.status(), "open");
  std::printf("k3 %s: opened %s\n", K3_VERSION_STRING, data_dir.c_str());

  auto& storage = db->storage();
  auto bucket = storage.get_bucket("kb-demo");
  if (!bucket.ok()) {
    bucket = storage.create_bucket({.name = "kb-demo", .description = "the quickstart's corpus"});
    if (!bucket.ok()) return Fail(bucket.status(), "create bucket");
    std::printf("created bucket %s (internal source %s)\n", bucket->name.c_str(),
                bucket->internal_source_id.c_str());
  }

  // Rules first: the puts below fire them.
  if (int rc = SetUpIngest(*db); rc != 0) return rc;
  const k3::TimestampMs put_start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
  int put = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), corpus);
    if (*rel.begin() == "tools") continue;  // the corpus generator, not the corpus
    auto info =
        storage.put_object("kb-demo", "docs/" + rel.generic_string(), ReadFile(entry.path()),
                           {.content_type = ContentTypeFor(entry.path())});
    if (!info.ok()) return Fail(info.status(), "put");
    ++put;
  }
  std::printf("put %d objects\n", put);
  IngestSummary ingested;
  if (int rc = WaitForIngest(*db, put_start_ms, ingested); rc != 0) return rc;
  std::printf("\n");

  std::printf("%-40s %10s  %-22s %s\n", "KEY", "SIZE", "CONTENT TYPE", "ETAG");
  k3::ListObjectsRequest list{.bucket = "kb-demo", .prefix = "docs/"};
  while (true) {
    auto page = storage.list_objects(list);
    if (!page.ok()) return Fail(page.status(), "list");
    for (const auto& o : page->objects) {
      std::printf("%-40s %10llu  %-22s %s\n", o.key.c_str(),
                  static_cast<unsigned long long>(o.size), o.content_type.c_str(), o.etag.c_str());
    }
    if (!page->is_truncated) break;
    list.continuation_token = page->next_continuation_token;
  }
  auto stats = storage.get_bucket("kb-demo");
  if (!stats.ok()) return Fail(stats.status(), "get bucket");
  std::printf("\nbucket kb-demo: %llu objects, %llu bytes; events log at offset %llu\n",
              static_cast<unsigned long long>(stats->object_count),
              static_cast<unsigned long long>(stats->storage_used_bytes),
              static_cast<unsigned long long>(db->events().last_offset()));

  if (k3::Status s = LoadEvents(*db, corpus / "events.jsonl"); !s.ok()) {
    return Fail(s, "load events table");
  }
  auto events = db->tables().get_table("kb-demo", "events");
  if (!events.ok()) return Fail(events.status(), "describe events");
  std::printf("\ntable kb-demo/events: %llu rows, version %llu (from events.jsonl)\n",
              static_cast<unsigned long long>(events->row_count),
              static_cast<unsigned long long>(events->version));
  if (k3::Status s = PrintCheatSheet(*db); !s.ok()) return Fail(s, "cheat-sheet query");
  if (int rc = VectorDemo(*db); rc != 0) return rc;
  return PipelineDemo(*db, ingested);
}
