// PipelineService: pipelines and their destinations, the catalog, runs of every template on
// real objects, idempotence, text search through pipelines and host embedders, bad input.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Data(const std::string& relative) {
  return ReadFile(std::string(K3_TEST_DATA_DIR) + "/" + relative);
}

class PipelinesTest : public ::testing::Test {
 protected:
  void Open() {
    auto opened = Db::open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
  }
  void SetUp() override {
    Open();
    ASSERT_TRUE(db_->storage().create_bucket({.name = "kbase"}).ok());
  }

  PipelineService& pipes() { return db_->pipelines(); }

  void Put(const std::string& key, const std::string& body, const std::string& type = "",
           std::map<std::string, std::string> metadata = {}) {
    auto put = db_->storage().put_object("kbase", key, body,
                                         {.content_type = type, .metadata = std::move(metadata)});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }

  Pipeline Create(const std::string& name, const std::string& template_id,
                  std::map<std::string, std::string> options = {}, const std::string& dest = "") {
    auto p = pipes().create_pipeline({.bucket = "kbase",
                                      .name = name,
                                      .template_id = template_id,
                                      .options = std::move(options),
                                      .store_entity_id = dest});
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Pipeline{};
  }

  Result<PipelineRunResult> Run(const Pipeline& p, const std::string& key,
                                std::map<std::string, std::string> overlay = {}) {
    return pipes().run({.bucket = "kbase",
                        .pipeline_id = p.pipeline_id,
                        .key = key,
                        .options = std::move(overlay)});
  }

  uint64_t VectorCount(const std::string& collection) {
    auto c = db_->vectors().get_collection("kbase", collection);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->vector_count : 0;
  }

  int64_t Scalar(const std::string& sql) {
    auto q = db_->tables().query({.bucket = "kbase", .sql = sql});
    EXPECT_TRUE(q.ok()) << q.status().ToString() << " in " << sql;
    if (!q.ok() || q->rows.empty()) return -1;
    return std::get<int64_t>(q->rows[0][0]);
  }

  std::vector<SearchHit> SearchText(const std::string& collection, const std::string& text,
                                    int top_k = 3) {
    auto s = db_->vectors().search(
        {.bucket = "kbase", .collection = collection, .text = text, .top_k = top_k});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->results[0] : std::vector<SearchHit>{};
  }

  TempDir dir_;
  std::optional<Db> db_;
};

TEST_F(PipelinesTest, CatalogListsEveryTemplateWithDocumentedOptions) {
  std::vector<Template> all = pipes().list_templates();
  std::set<std::string> ids;
  for (const Template& t : all) {
    ids.insert(t.template_id);
    EXPECT_FALSE(t.description.empty()) << t.template_id;
    EXPECT_FALSE(t.content_types.empty()) << t.template_id;
    EXPECT_NE(t.kind, PipelineKind::kUnspecified) << t.template_id;
    for (const TemplateOption& o : t.options) EXPECT_FALSE(o.doc.empty()) << o.name;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"text_embedding_index", "code_embedding_index", "csv_table",
                                        "jsonl_table", "object_catalog"}));
  auto text = pipes().get_template("text_embedding_index");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->kind, PipelineKind::kVector);
  auto size = std::find_if(text->options.begin(), text->options.end(),
                           [](const TemplateOption& o) { return o.name == "chunk_size"; });
  ASSERT_NE(size, text->options.end());
  EXPECT_EQ(size->default_value, "1000");
  EXPECT_EQ(size->type, OptionType::kInt);
  EXPECT_EQ(pipes().get_template("summarize").status().code(), StatusCode::kNotFound);
}

TEST_F(PipelinesTest, VectorPipelineCreatesItsPipelineModeCollection) {
  Pipeline p = Create("embed-docs", "text_embedding_index", {}, "docs");
  EXPECT_EQ(p.store_entity_kind, PipelineKind::kVector);
  EXPECT_EQ(p.store_entity_id, "docs");
  auto c = db_->vectors().get_collection("kbase", "docs");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mode, CollectionMode::kPipeline);
  EXPECT_EQ(c->dimensions, 384);
  EXPECT_EQ(c->embed_pipeline_id, p.pipeline_id);
  EXPECT_EQ(c->embed_pipeline_name, "embed-docs");
  // External writes to it are refused.
  auto write = db_->vectors().upsert_vectors(
      {.bucket = "kbase", .collection = "docs", .vectors = {{"x", std::vector<float>(384, 0.1f)}}});
  EXPECT_EQ(write.status().code(), StatusCode::kFailedPrecondition);
  // The dimensions option sizes the hash embedder, and so the collection.
  Create("small", "text_embedding_index", {{"dimensions", "64"}});
  EXPECT_EQ(db_->vectors().get_collection("kbase", "small")->dimensions, 64);
}

TEST_F(PipelinesTest, RunIndexesATextObjectWithItsMetadata) {
  Pipeline p =
      Create("embed", "text_embedding_index", {{"chunk_size", "200"}, {"chunk_overlap", "20"}});
  const std::string body = Data("retrieval/refund_policy.txt");
  Put("policies/refunds.txt", body, "text/plain", {{"team", "support"}, {"key", "spoofed"}});
  auto run = Run(p, "policies/refunds.txt");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_GT(run->chunks_created, 1u);
  EXPECT_EQ(run->embeddings_created, run->chunks_created);
  EXPECT_EQ(run->embeddings_written, run->chunks_created);
  EXPECT_GE(run->batches_received, 1u);
  EXPECT_EQ(run->content_type, "text/plain");
  EXPECT_EQ(VectorCount("embed"), run->chunks_created);

  auto got =
      db_->vectors().get_vectors({.bucket = "kbase",
                                  .collection = "embed",
                                  .ids = {"policies/refunds.txt#0", "policies/refunds.txt#1"}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->vectors.size(), 2u);
  const Metadata& m = got->vectors[1].metadata;
  EXPECT_EQ(std::get<std::string>(m.at("key")), "policies/refunds.txt");  // reserved wins
  EXPECT_EQ(std::get<double>(m.at("chunk_index")), 1.0);
  EXPECT_EQ(std::get<std::string>(m.at("content_type")), "text/plain");
  EXPECT_EQ(std::get<std::string>(m.at("team")), "support");
  EXPECT_FALSE(std::get<std::string>(m.at("etag")).empty());
  EXPECT_LT(std::get<double>(m.at("start")), std::get<double>(m.at("end")));
  ASSERT_TRUE(got->vectors[1].text.has_value());
  EXPECT_NE(body.find(got->vectors[1].text->substr(0, 20)), std::string::npos);

  auto hits = SearchText("embed", "can I get my money back", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].object_key, "policies/refunds.txt");
}

TEST_F(PipelinesTest, ReIngestingTheSameObjectThreeTimesKeepsOneCopy) {
  Pipeline vec = Create("embed", "text_embedding_index", {{"chunk_size", "120"}});
  Pipeline csv = Create("load", "csv_table", {}, "people");
  Pipeline cat = Create("inventory", "object_catalog", {}, "objects");
  Put("doc.md", Data("parsers/guide.md"), "text/markdown");
  Put("people.csv", Data("rows/quoted.csv"), "text/csv");
  uint64_t chunks = 0;
  for (int i = 0; i < 3; ++i) {
    auto v = Run(vec, "doc.md");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    chunks = v->chunks_created;
    ASSERT_TRUE(Run(csv, "people.csv").ok());
    ASSERT_TRUE(Run(cat, "doc.md").ok());
    ASSERT_TRUE(Run(cat, "people.csv").ok());
  }
  EXPECT_EQ(VectorCount("embed"), chunks);
  EXPECT_EQ(Scalar("SELECT count(*) FROM people"), 4);
  EXPECT_EQ(Scalar("SELECT count(*) FROM objects"), 2);
  // Identical re-runs change no row, so they make no table version; a changed object does.
  auto history = db_->tables().history("kbase", "people");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 2u);  // CREATE, INSERT
  Put("people.csv", "id,name,note,amount\n9,Zoe,new,1\n", "text/csv");
  ASSERT_TRUE(Run(csv, "people.csv").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM people"), 1);
  history = db_->tables().history("kbase", "people");
  ASSERT_TRUE(history.ok());
  const bool replaced = std::any_of(history->begin(), history->end(),
                                    [](const HistoryEntry& e) { return e.operation == "REPLACE"; });
  EXPECT_TRUE(replaced);
}

TEST_F(PipelinesTest, AShorterVersionOfAnObjectDropsItsStaleChunks) {
  Pipeline p =
      Create("embed", "text_embedding_index", {{"chunk_size", "50"}, {"chunk_overlap", "0"}});
  std::string longer;
  for (int i = 0; i < 40; ++i) longer += "Sentence number " + std::to_string(i) + " is here. ";
  Put("a.txt", longer, "text/plain");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  const uint64_t before = VectorCount("embed");
  ASSERT_GT(before, 10u);
  Put("a.txt", "Just one short line now.", "text/plain");
  auto run = Run(p, "a.txt");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->chunks_created, 1u);
  EXPECT_EQ(VectorCount("embed"), 1u);
  // Another object whose key starts like this one's keeps its chunks.
  Put("a.txt#b", longer, "text/plain");
  ASSERT_TRUE(Run(p, "a.txt#b").ok());
  ASSERT_TRUE(pipes().remove_output("kbase", p.pipeline_id, "a.txt").ok());
  EXPECT_EQ(VectorCount("embed"), before);
  ASSERT_TRUE(pipes().remove_output("kbase", p.pipeline_id, "a.txt").ok());  // idempotent
}

TEST_F(PipelinesTest, CsvTableInfersTheSchemaAndKeepsQuotedNewlines) {
  Pipeline p = Create("load", "csv_table", {}, "people");
  Put("people.csv", Data("rows/quoted.csv"), "text/csv");
  auto run = Run(p, "people.csv");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->rows_written, 4u);
  auto table = db_->tables().get_table("kbase", "people");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->source, TableSource::kPipeline);
  EXPECT_EQ(table->pipeline_id, p.pipeline_id);
  std::vector<std::string> names;
  for (const Column& c : table->columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"id", "name", "note", "amount"}));
  EXPECT_EQ(table->columns[0].type, ColumnType::kLong);
  EXPECT_EQ(table->columns[3].type, ColumnType::kDouble);
  auto q = db_->tables().query({.bucket = "kbase", .sql = "SELECT * FROM people ORDER BY id"});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->columns.size(), 4u);  // the hidden source key stays hidden
  EXPECT_EQ(std::get<std::string>(q->rows[1][1]), "multi\r\nline");  // the fixture's CRLF
  EXPECT_EQ(std::get<std::string>(q->rows[0][2]), "He said \"hi\"");
  EXPECT_EQ(Scalar("SELECT count(*) FROM people WHERE _k3_source_key = 'people.csv'"), 4);
}

TEST_F(PipelinesTest, BadCsvRowsFailOrAreSkippedAndCounted) {
  Put("ragged.csv", Data("rows/ragged.csv"), "text/csv");
  Pipeline strict = Create("strict", "csv_table", {}, "strict_rows");
  auto failed = Run(strict, "ragged.csv");
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("line 3"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(Scalar("SELECT count(*) FROM strict_rows"), 0);  // nothing half-written

  Pipeline lenient = Create("lenient", "csv_table", {{"on_error", "skip"}}, "lenient_rows");
  auto run = Run(lenient, "ragged.csv");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->rows_written, 2u);
  EXPECT_EQ(run->rows_skipped, 2u);
  EXPECT_NE(run->skipped_sample.find("line 3"), std::string::npos) << run->skipped_sample;
  EXPECT_EQ(Scalar("SELECT count(*) FROM lenient_rows"), 2);
}

TEST_F(PipelinesTest, JsonLinesWithNestedValuesAndABadLine) {
  Put("rows.jsonl", Data("rows/rows.jsonl"), "application/x-ndjson");
  Pipeline strict = Create("strict", "jsonl_table", {}, "j_strict");
  auto failed = Run(strict, "rows.jsonl");
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  Pipeline lenient = Create("lenient", "jsonl_table", {{"on_error", "skip"}}, "j_rows");
  auto run = Run(lenient, "rows.jsonl");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_GT(run->rows_written, 0u);
  EXPECT_GT(run->rows_skipped, 0u);
  auto table = db_->tables().get_table("kbase", "j_rows");
  ASSERT_TRUE(table.ok());
  const bool has_json = std::any_of(table->columns.begin(), table->columns.end(),
                                    [](const Column& c) { return c.type == ColumnType::kJson; });
  EXPECT_TRUE(has_json);
}

TEST_F(PipelinesTest, ObjectCatalogIsSqlOverTheInventory) {
  Pipeline p = Create("inventory", "object_catalog", {}, "objects");
  Put("a.txt", "alpha", "text/plain", {{"owner", "ana"}});
  Put("b/c.bin", std::string(1000, 'x'), "application/octet-stream");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  ASSERT_TRUE(Run(p, "b/c.bin").ok());
  EXPECT_EQ(Scalar("SELECT sum(size) FROM objects"), 1005);
  auto q =
      db_->tables().query({.bucket = "kbase",
                           .sql = "SELECT json_extract_string(metadata, '$.owner') FROM objects "
                                  "WHERE key = 'a.txt'"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(std::get<std::string>(q->rows[0][0]), "ana");
  ASSERT_TRUE(pipes().remove_output("kbase", p.pipeline_id, "a.txt").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM objects"), 1);
}

TEST_F(PipelinesTest, PdfAndHtmlObjectsBecomeChunksWithPagesAndHeadings) {
  Pipeline p = Create("embed", "text_embedding_index", {{"chunker", "sentence"}});
  Put("doc.pdf", Data("parsers/three_pages.pdf"), "");  // sniffed from the extension
  Put("page.html", Data("parsers/page.html"), "text/html");
  auto pdf = Run(p, "doc.pdf");
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->content_type, "application/pdf");
  auto html = Run(p, "page.html");
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  auto last_page = db_->vectors().search({.bucket = "kbase",
                                          .collection = "embed",
                                          .text = "page",
                                          .top_k = 50,
                                          .filter = VectorFilter::Eq("page", 3.0)});
  ASSERT_TRUE(last_page.ok()) << last_page.status().ToString();
  EXPECT_FALSE(last_page->results[0].empty());
  for (const SearchHit& h : last_page->results[0]) EXPECT_EQ(h.object_key, "doc.pdf");
  auto headed =
      db_->vectors().search({.bucket = "kbase",
                             .collection = "embed",
                             .text = "birds",
                             .top_k = 50,
                             .filter = VectorFilter::Eq("key", std::string("page.html"))});
  ASSERT_TRUE(headed.ok());
  const bool any_heading =
      std::any_of(headed->results[0].begin(), headed->results[0].end(),
                  [](const SearchHit& h) { return h.metadata.count("heading") > 0; });
  EXPECT_TRUE(any_heading);
}

TEST_F(PipelinesTest, CodePipelineRecordsTheLanguage) {
  Pipeline p = Create("code", "code_embedding_index", {{"chunk_size", "120"}});
  Put("src/sample.py", Data("chunkers/sample_py.txt"), "");
  auto run = Run(p, "src/sample.py");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_GT(run->chunks_created, 1u);
  auto got = db_->vectors().get_vectors(
      {.bucket = "kbase", .collection = "code", .ids = {"src/sample.py#0"}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->vectors.size(), 1u);
  EXPECT_EQ(std::get<std::string>(got->vectors[0].metadata.at("language")), "python");
}

TEST_F(PipelinesTest, RetrievalThroughPipelineAndTextSearch) {
  Pipeline p = Create("embed", "text_embedding_index");
  const std::string dir = std::string(K3_TEST_DATA_DIR) + "/retrieval/";
  std::istringstream queries(Data("retrieval/queries.tsv"));
  std::vector<std::pair<std::string, std::string>> cases;
  std::set<std::string> docs;
  for (std::string line; std::getline(queries, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    cases.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    docs.insert(line.substr(tab + 1));
  }
  for (const std::string& doc : docs) {
    Put(doc, ReadFile(dir + doc), "text/plain");
    ASSERT_TRUE(Run(p, doc).ok()) << doc;
  }
  int found = 0;
  for (const auto& [query, expected] : cases) {
    std::vector<SearchHit> hits = SearchText("embed", query, 10);
    std::vector<std::string> keys;  // distinct documents, best first
    for (const SearchHit& h : hits) {
      if (std::find(keys.begin(), keys.end(), h.object_key) == keys.end()) {
        keys.push_back(h.object_key);
      }
    }
    if (keys.size() > 3) keys.resize(3);
    if (std::find(keys.begin(), keys.end(), expected) != keys.end()) ++found;
  }
  const double rate = static_cast<double>(found) / cases.size();
  std::printf("retrieval through the pipeline: %d of %zu in the top 3 (%.0f%%)\n", found,
              cases.size(), rate * 100);
  EXPECT_GE(rate, 0.9);
}

// A host embedder that counts its calls: bag of letters, so "abc" and "cab" are equal.
class LetterEmbedder : public Embedder {
 public:
  std::string name() const override { return "letters"; }
  int dimensions() const override { return 26; }
  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
    calls_.fetch_add(1);
    std::vector<std::vector<float>> out;
    for (const std::string& t : texts) {
      std::vector<float> v(26, 0.01f);
      for (char c : t) {
        if (c >= 'a' && c <= 'z') v[c - 'a'] += 1;
      }
      out.push_back(std::move(v));
    }
    return out;
  }
  std::atomic<int> calls_{0};
};

TEST_F(PipelinesTest, HostEmbedderServesPipelinesAndExternalCollections) {
  auto letters = std::make_shared<LetterEmbedder>();
  ASSERT_TRUE(db_->register_embedder("letters", letters).ok());
  EXPECT_EQ(db_->register_embedder("hash", letters).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->register_embedder("none", nullptr).code(), StatusCode::kInvalidArgument);
  Pipeline p = Create("lettered", "text_embedding_index", {{"embedder", "letters"}});
  EXPECT_EQ(db_->vectors().get_collection("kbase", "lettered")->dimensions, 26);
  Put("z.txt", "zzzz zzz zz", "text/plain");
  Put("a.txt", "aaaa aaa aa", "text/plain");
  ASSERT_TRUE(Run(p, "z.txt").ok());
  ASSERT_TRUE(Run(p, "a.txt").ok());
  auto hits = SearchText("lettered", "zz", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].object_key, "z.txt");
  EXPECT_GE(letters->calls_.load(), 3);

  // An external collection names its embedder with embed_model.
  ASSERT_TRUE(db_->vectors()
                  .create_collection({.bucket = "kbase",
                                      .name = "ext",
                                      .dimensions = 26,
                                      .index = VectorIndexType::kFlat,
                                      .embed_model = "letters"})
                  .ok());
  ASSERT_TRUE(db_->vectors()
                  .upsert_vectors({.bucket = "kbase",
                                   .collection = "ext",
                                   .vectors = {{"a", *letters->embed({"aaa"})->begin()},
                                               {"b", *letters->embed({"bbb"})->begin()}}})
                  .ok());
  auto ext = SearchText("ext", "bb", 1);
  ASSERT_EQ(ext.size(), 1u);
  EXPECT_EQ(ext[0].id, "b");
}

// An OpenAI-shaped /v1/embeddings endpoint in this process: 8-d bag-of-letter-groups vectors,
// requiring the bearer key.
class EmbeddingServer {
 public:
  EmbeddingServer() {
    server_.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.get_header_value("Authorization") != "Bearer sekret") {
        res.status = 401;
        res.set_content(R"({"error": {"message": "bad key"}})", "application/json");
        return;
      }
      const auto body = nlohmann::json::parse(req.body);
      nlohmann::json data = nlohmann::json::array();
      int index = 0;
      for (const auto& text : body["input"]) {
        std::vector<float> v(8, 0.01f);
        for (char c : text.get<std::string>()) {
          if (c >= 'a' && c <= 'z') v[(c - 'a') % 8] += 1;
        }
        data.push_back({{"embedding", v}, {"index", index++}});
      }
      res.set_content(nlohmann::json{{"data", data}}.dump(), "application/json");
    });
    // One request per connection: stop() then need not wait out an idle keep-alive.
    server_.set_keep_alive_max_count(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  ~EmbeddingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

TEST_F(PipelinesTest, HttpEmbedderThroughAPipeline) {
  EmbeddingServer server;
  ::setenv("K3_TEST_EMBED_KEY", "sekret", 1);
  std::map<std::string, std::string> options = {{"embedder", "http"},
                                                {"http_url", server.url()},
                                                {"http_model", "tiny"},
                                                {"http_api_key_env", "K3_TEST_EMBED_KEY"},
                                                {"embed_batch_size", "2"}};
  Pipeline p = Create("remote", "text_embedding_index", options);
  EXPECT_EQ(db_->vectors().get_collection("kbase", "remote")->dimensions, 8);  // probed
  Put("a.txt", "aaaa iiii", "text/plain");
  Put("b.txt", "bbbb jjjj", "text/plain");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  ASSERT_TRUE(Run(p, "b.txt").ok());
  auto hits = SearchText("remote", "bbb", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].object_key, "b.txt");
  EXPECT_GE(server.requests(), 4);  // probe, two runs, the query

  // A missing key variable and a wrong key are clear failures, the key never in a message.
  options["http_api_key_env"] = "K3_TEST_NO_SUCH_VARIABLE";
  auto unset = pipes().create_pipeline({.bucket = "kbase",
                                        .name = "unset",
                                        .template_id = "text_embedding_index",
                                        .options = options});
  EXPECT_EQ(unset.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unset.status().message().find("K3_TEST_NO_SUCH_VARIABLE"), std::string::npos);
  ::setenv("K3_TEST_WRONG_KEY", "wrong-key-value", 1);
  options["http_api_key_env"] = "K3_TEST_WRONG_KEY";
  auto wrong = pipes().create_pipeline({.bucket = "kbase",
                                        .name = "wrong",
                                        .template_id = "text_embedding_index",
                                        .options = options});
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated) << wrong.status().ToString();
  EXPECT_EQ(wrong.status().message().find("wrong-key-value"), std::string::npos);
}

TEST_F(PipelinesTest, HttpEmbedderWithAStoredCredential) {
  EmbeddingServer server;
  auto cred = db_->sources().store_credential({.provider = SourceProvider::kHttp,
                                               .credential_type = CredentialType::kApiKey,
                                               .display_name = "embeddings",
                                               .endpoint = server.url(),
                                               .api_key = ApiKeyPayload{"sekret"}});
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  std::map<std::string, std::string> options = {{"embedder", "http"},
                                                {"http_url", server.url()},
                                                {"http_model", "tiny"},
                                                {"http_credential_id", cred->credential_id}};
  Pipeline p = Create("remote", "text_embedding_index", options);
  Put("a.txt", "aaaa iiii", "text/plain");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  auto hits = SearchText("remote", "aaa", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].object_key, "a.txt");

  // A credential with the wrong key is refused by the server; an unknown one is NOT_FOUND;
  // both name the option, and neither exposes the key.
  auto wrong_cred = db_->sources().store_credential({.provider = SourceProvider::kHttp,
                                                     .credential_type = CredentialType::kPat,
                                                     .pat = PatPayload{"wrong-key-value", ""}});
  ASSERT_TRUE(wrong_cred.ok());
  options["http_credential_id"] = wrong_cred->credential_id;
  auto wrong = pipes().create_pipeline({.bucket = "kbase",
                                        .name = "wrong",
                                        .template_id = "text_embedding_index",
                                        .options = options});
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated) << wrong.status().ToString();
  EXPECT_EQ(wrong.status().message().find("wrong-key-value"), std::string::npos);
  options["http_credential_id"] = "cred_nope";
  auto unknown = pipes().create_pipeline({.bucket = "kbase",
                                          .name = "unknown",
                                          .template_id = "text_embedding_index",
                                          .options = options});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("http_credential_id"), std::string::npos);
  // The key environment variable and a credential exclude each other.
  options["http_credential_id"] = cred->credential_id;
  options["http_api_key_env"] = "K3_TEST_EMBED_KEY";
  auto both = pipes().create_pipeline({.bucket = "kbase",
                                       .name = "both",
                                       .template_id = "text_embedding_index",
                                       .options = options});
  EXPECT_EQ(both.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PipelinesTest, ListFiltersPagesAndRefusesForeignTokens) {
  Create("v1", "text_embedding_index");
  Create("v2", "text_embedding_index");
  Create("t1", "csv_table", {}, "t_one");
  auto vectors =
      pipes().list_pipelines({.bucket = "kbase", .store_entity_kind = PipelineKind::kVector});
  ASSERT_TRUE(vectors.ok());
  EXPECT_EQ(vectors->pipelines.size(), 2u);
  EXPECT_EQ(vectors->pagination.total_count, 2);
  auto by_dest = pipes().list_pipelines({.bucket = "kbase", .store_entity_id = "t_one"});
  ASSERT_TRUE(by_dest.ok());
  ASSERT_EQ(by_dest->pipelines.size(), 1u);
  EXPECT_EQ(by_dest->pipelines[0].name, "t1");
  auto page1 = pipes().list_pipelines({.bucket = "kbase", .page_size = 2});
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->pipelines.size(), 2u);
  ASSERT_FALSE(page1->pagination.next_page_token.empty());
  auto page2 = pipes().list_pipelines(
      {.bucket = "kbase", .page_size = 2, .page_token = page1->pagination.next_page_token});
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->pipelines.size(), 1u);
  EXPECT_TRUE(page2->pagination.next_page_token.empty());
  EXPECT_EQ(pipes()
                .list_pipelines({.bucket = "kbase",
                                 .store_entity_kind = PipelineKind::kVector,
                                 .page_token = page1->pagination.next_page_token})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(pipes().list_pipelines({.bucket = "kbase", .page_token = "garbage"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(pipes().list_pipelines({.bucket = "nope"}).status().code(), StatusCode::kNotFound);
}

TEST_F(PipelinesTest, UpdateIsAPatchAndDeleteUnbindsTheCollection) {
  Pipeline p = Create("embed", "text_embedding_index", {{"chunk_size", "300"}});
  auto renamed = pipes().update_pipeline(
      {.bucket = "kbase", .pipeline_id = p.pipeline_id, .name = "embed-v2"});
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->options.at("chunk_size"), "300");  // untouched
  EXPECT_EQ(db_->vectors().get_collection("kbase", "embed")->embed_pipeline_name, "embed-v2");
  auto bad =
      pipes().update_pipeline({.bucket = "kbase",
                               .pipeline_id = p.pipeline_id,
                               .options = std::map<std::string, std::string>{{"chunk_size", "0"}}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pipes().get_pipeline("kbase", p.pipeline_id)->options.at("chunk_size"), "300");
  auto cleared = pipes().update_pipeline({.bucket = "kbase",
                                          .pipeline_id = p.pipeline_id,
                                          .options = std::map<std::string, std::string>{}});
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(cleared->options.empty());

  Put("a.txt", "some words to index", "text/plain");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  ASSERT_TRUE(pipes().delete_pipeline("kbase", p.pipeline_id).ok());
  EXPECT_EQ(pipes().get_pipeline("kbase", p.pipeline_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pipes().delete_pipeline("kbase", p.pipeline_id).code(), StatusCode::kNotFound);
  auto c = db_->vectors().get_collection("kbase", "embed");
  ASSERT_TRUE(c.ok());  // the data stays
  EXPECT_EQ(c->vector_count, 1u);
  EXPECT_TRUE(c->embed_pipeline_id.empty());
  auto search = db_->vectors().search({.bucket = "kbase", .collection = "embed", .text = "words"});
  EXPECT_EQ(search.status().code(), StatusCode::kFailedPrecondition);
  // A new pipeline may take the orphaned collection over.
  Pipeline again = Create("embed-again", "text_embedding_index", {}, "embed");
  EXPECT_EQ(db_->vectors().get_collection("kbase", "embed")->embed_pipeline_id, again.pipeline_id);
}

TEST_F(PipelinesTest, PipelinesPersistAcrossReopen) {
  Pipeline p = Create("embed", "text_embedding_index", {{"chunk_size", "300"}});
  Put("a.txt", "persistent words", "text/plain");
  ASSERT_TRUE(Run(p, "a.txt").ok());
  db_.reset();
  Open();
  auto back = pipes().get_pipeline("kbase", p.pipeline_id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->options, p.options);
  EXPECT_EQ(back->created_at, p.created_at);
  auto hits = SearchText("embed", "persistent", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].object_key, "a.txt");
}

struct BadCreate {
  std::string label;
  CreatePipelineRequest request;
  StatusCode code;
  std::string mentions;
};

TEST_F(PipelinesTest, BadPipelinesAreRefusedNamingTheProblem) {
  ASSERT_TRUE(db_->vectors().configure_engine({.bucket = "kbase"}).ok());
  ASSERT_TRUE(db_->vectors()
                  .create_collection({.bucket = "kbase", .name = "mine", .dimensions = 384})
                  .ok());
  ASSERT_TRUE(db_->tables().configure_engine("kbase").ok());
  ASSERT_TRUE(
      db_->tables().create_table({.bucket = "kbase", .name = "manual", .columns = {{"a"}}}).ok());
  Create("taken", "text_embedding_index");
  const std::vector<BadCreate> cases = {
      {"unknown template",
       {.bucket = "kbase", .name = "p", .template_id = "summarize"},
       StatusCode::kInvalidArgument,
       "summarize"},
      {"no template", {.bucket = "kbase", .name = "p"}, StatusCode::kInvalidArgument, "template"},
      {"unknown option",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"chunksize", "10"}}},
       StatusCode::kInvalidArgument,
       "chunksize"},
      {"ill-typed option",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"chunk_size", "big"}}},
       StatusCode::kInvalidArgument,
       "chunk_size"},
      {"out of range",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"chunk_size", "0"}}},
       StatusCode::kInvalidArgument,
       "chunk_size"},
      {"overlap not below size",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"chunk_size", "100"}, {"chunk_overlap", "100"}}},
       StatusCode::kInvalidArgument,
       "chunk_overlap"},
      {"bad enum",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "csv_table",
        .options = {{"on_error", "ignore"}}},
       StatusCode::kInvalidArgument,
       "on_error"},
      {"option of another template",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "object_catalog",
        .options = {{"chunk_size", "10"}}},
       StatusCode::kInvalidArgument,
       "chunk_size"},
      {"unknown embedder",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"embedder", "gpt"}}},
       StatusCode::kInvalidArgument,
       "gpt"},
      {"external collection as destination",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .store_entity_id = "mine"},
       StatusCode::kFailedPrecondition,
       "mine"},
      {"collection of another pipeline",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .store_entity_id = "taken"},
       StatusCode::kFailedPrecondition,
       "taken"},
      {"wrong dimensions",
       {.bucket = "kbase",
        .name = "p",
        .template_id = "text_embedding_index",
        .options = {{"dimensions", "64"}},
        .store_entity_id = "taken"},
       StatusCode::kFailedPrecondition,
       "dimensions"},
      {"manual table as destination",
       {.bucket = "kbase", .name = "p", .template_id = "csv_table", .store_entity_id = "manual"},
       StatusCode::kFailedPrecondition,
       "manual"},
      {"invalid table name",
       {.bucket = "kbase", .name = "p", .template_id = "csv_table", .store_entity_id = "my-table"},
       StatusCode::kInvalidArgument,
       ""},
      {"duplicate name",
       {.bucket = "kbase", .name = "taken", .template_id = "csv_table", .store_entity_id = "t"},
       StatusCode::kAlreadyExists,
       "taken"},
      {"empty name",
       {.bucket = "kbase", .name = "", .template_id = "csv_table"},
       StatusCode::kInvalidArgument,
       "name"},
      {"missing bucket",
       {.bucket = "nope", .name = "p", .template_id = "csv_table"},
       StatusCode::kNotFound,
       ""},
  };
  for (const BadCreate& c : cases) {
    auto p = pipes().create_pipeline(c.request);
    EXPECT_EQ(p.status().code(), c.code) << c.label << ": " << p.status().ToString();
    EXPECT_NE(p.status().message().find(c.mentions), std::string::npos)
        << c.label << ": " << p.status().message();
  }
  auto all = pipes().list_pipelines({.bucket = "kbase"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->pipelines.size(), 1u);  // only "taken"
  EXPECT_EQ(db_->tables().get_table("kbase", "t").status().code(), StatusCode::kNotFound);
}

TEST_F(PipelinesTest, BadObjectsFailTheRunClearly) {
  Pipeline text = Create("embed", "text_embedding_index");
  Pipeline csv = Create("load", "csv_table", {}, "loaded");
  Put("empty.txt", "", "text/plain");
  Put("blank.txt", "   \n\n  ", "text/plain");
  Put("image.png", "\x89PNG....", "image/png");
  Put("empty.csv", "", "text/csv");
  Put("broken.json", "{\"a\": [1, 2", "application/json");
  Put("locked.pdf", "%PDF-1.4 garbage", "application/pdf");
  Put("unterminated.csv", Data("rows/unterminated.csv"), "text/csv");
  struct Case {
    const Pipeline& p;
    std::string key;
    StatusCode code;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {text, "empty.txt", StatusCode::kFailedPrecondition, "no text"},
      {text, "blank.txt", StatusCode::kFailedPrecondition, "no text"},
      {text, "image.png", StatusCode::kInvalidArgument, "image/png"},
      {text, "broken.json", StatusCode::kInvalidArgument, ""},
      {text, "locked.pdf", StatusCode::kInvalidArgument, "PDF"},
      {text, "missing.txt", StatusCode::kNotFound, ""},
      {csv, "empty.csv", StatusCode::kFailedPrecondition, "empty"},
      {csv, "unterminated.csv", StatusCode::kInvalidArgument, "line"},
      {csv, "image.png", StatusCode::kInvalidArgument, "image/png"},
  };
  for (const Case& c : cases) {
    auto run = Run(c.p, c.key);
    EXPECT_EQ(run.status().code(), c.code) << c.key << ": " << run.status().ToString();
    EXPECT_NE(run.status().message().find(c.mentions), std::string::npos)
        << c.key << ": " << run.status().message();
  }
  EXPECT_EQ(VectorCount("embed"), 0u);
  EXPECT_EQ(Run(text, "empty.txt", {{"chunk_size", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  auto missing = pipes().run({.bucket = "kbase", .pipeline_id = "pipe_nope", .key = "empty.txt"});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(PipelinesTest, ConcurrentRunsLeaveExactlyOneCopyPerObject) {
  Pipeline vec =
      Create("embed", "text_embedding_index", {{"chunk_size", "60"}, {"chunk_overlap", "0"}});
  Pipeline csv = Create("load", "csv_table", {}, "rows");
  std::string text, table = "n,word\n";
  for (int i = 0; i < 200; ++i) {
    text += "line " + std::to_string(i) + " of the shared text.\n";
    table += std::to_string(i) + ",w" + std::to_string(i) + "\n";
  }
  for (int o = 0; o < 4; ++o) {
    Put("doc" + std::to_string(o) + ".txt", text, "text/plain");
    Put("t" + std::to_string(o) + ".csv", table, "text/csv");
  }
  // Every thread runs every object several times: same-object runs overlap on purpose.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int o = 0; o < 4; ++o) {
          const int object = (o + t) % 4;
          if (!Run(vec, "doc" + std::to_string(object) + ".txt").ok()) ++failures;
          if (!Run(csv, "t" + std::to_string(object) + ".csv").ok()) ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto one = Run(vec, "doc0.txt");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(VectorCount("embed"), 4 * one->chunks_created);
  EXPECT_EQ(Scalar("SELECT count(*) FROM rows"), 4 * 200);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT _k3_source_key) FROM rows"), 4);
}

TEST_F(PipelinesTest, OverlayOptionsApplyToOneRun) {
  Pipeline p = Create("embed", "text_embedding_index", {{"chunk_size", "1000"}});
  std::string body;
  for (int i = 0; i < 50; ++i) body += "word" + std::to_string(i) + " ";
  Put("a.txt", body, "text/plain");
  auto whole = Run(p, "a.txt");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->chunks_created, 1u);
  auto small = Run(p, "a.txt", {{"chunk_size", "40"}, {"chunk_overlap", "0"}});
  ASSERT_TRUE(small.ok());
  EXPECT_GT(small->chunks_created, 5u);
  EXPECT_EQ(VectorCount("embed"), small->chunks_created);
  EXPECT_EQ(pipes().get_pipeline("kbase", p.pipeline_id)->options.at("chunk_size"), "1000");
}

TEST_F(PipelinesTest, DeletingTheBucketRemovesItsPipelines) {
  Create("embed", "text_embedding_index");
  ASSERT_TRUE(db_->storage().delete_bucket({.name = "kbase"}).ok());
  ASSERT_TRUE(db_->storage().create_bucket({.name = "kbase"}).ok());
  auto all = pipes().list_pipelines({.bucket = "kbase"});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->pipelines.empty());
}

}  // namespace
}  // namespace k3::test
