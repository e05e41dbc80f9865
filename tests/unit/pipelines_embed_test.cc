// Tests of the built-in embedders: "hash" (determinism, normalization, retrieval sanity on
// tests/data/retrieval) and "http" (against a local cpp-httplib server speaking the
// OpenAI /v1/embeddings shape: round trips, retries, timeouts, bad answers, batching).
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipelines/embed/hash_embedder.h"
#include "pipelines/embed/http_embedder.h"
#include "pipelines/embed/text_features.h"
#include "support/loopback_server.h"

namespace k3::pipelines {
namespace {

using Json = nlohmann::json;
using Vectors = std::vector<std::vector<float>>;

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

std::shared_ptr<Embedder> Hash(int dims = kDefaultHashDimensions) {
  auto e = MakeHashEmbedder(dims);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e).value();
}

std::vector<float> EmbedOne(Embedder& e, const std::string& text) {
  auto r = e.embed({text});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value()[0] : std::vector<float>();
}

// ---------------------------------------------------------------------------------------------
// hash

TEST(EmbedHashTest, SplitWordsNormalizes) {
  using embed_internal::SplitWords;
  EXPECT_EQ(SplitWords("Hello, WORLD!  it's 2024-05"),
            (std::vector<std::string>{"hello", "world", "it", "s", "2024", "05"}));
  // Latin-1/Greek/Cyrillic upper case folded; em dash, no-break space, CJK full stop and
  // emoji are separators; CJK text is kept as a word.
  EXPECT_EQ(SplitWords("ÉCOLE—Straße\xC2\xA0ΣΟΦΙΑ МОСКВА。東京🙂x"),
            (std::vector<std::string>{"école", "straße", "σοφια", "москва", "東京", "x"}));
  // Invalid UTF-8 (a lone continuation byte, a truncated sequence) separates words.
  EXPECT_EQ(SplitWords("ab\x80"
                       "cd\xE2\x82"),
            (std::vector<std::string>{"ab", "cd"}));
  EXPECT_TRUE(SplitWords("  ...!? \t\n").empty());
}

TEST(EmbedHashTest, StemMergesInflections) {
  using embed_internal::Stem;
  EXPECT_EQ(Stem("running"), "run");
  EXPECT_EQ(Stem("runs"), "run");
  EXPECT_EQ(Stem("refunds"), Stem("refund"));
  EXPECT_EQ(Stem("refunded"), Stem("refund"));
  EXPECT_EQ(Stem("preparation"), Stem("prepare"));
  EXPECT_EQ(Stem("batteries"), Stem("battery"));
  EXPECT_EQ(Stem("glass"), "glass");
  EXPECT_EQ(Stem("bus"), "bus");      // too short
  EXPECT_EQ(Stem("école"), "école");  // not ASCII: unchanged
}

TEST(EmbedHashTest, GoldenValues) {
  // Fixed values: a change here changes every stored hash embedding, which breaks existing
  // indexes. Only update them deliberately (and say so in the change log).
  auto e = Hash(384);
  const std::vector<float> v = EmbedOne(*e, "The quick brown fox jumps over the lazy dog.");
  ASSERT_EQ(v.size(), 384u);
  const std::vector<std::pair<int, float>> golden = {
      {0, 0.05896735f},   {1, 0.0f},          {2, -0.06686269f},  {15, -0.05896735f},
      {60, -0.07911300f}, {115, 0.05896735f}, {175, 0.35380408f}, {185, 0.05896735f}};
  for (const auto& [index, value] : golden) {
    EXPECT_NEAR(v[index], value, 1e-6) << "component " << index;
  }
}

TEST(EmbedHashTest, DeterministicAcrossInstances) {
  const std::string text = "Refunds are credited within 5 to 10 business days.";
  EXPECT_EQ(EmbedOne(*Hash(), text), EmbedOne(*Hash(), text));
  // Case and punctuation do not matter; word order within pairs does.
  EXPECT_EQ(EmbedOne(*Hash(), "Hello, World!"), EmbedOne(*Hash(), "hello world"));
  EXPECT_NE(EmbedOne(*Hash(), "dog bites man"), EmbedOne(*Hash(), "man bites dog"));
}

TEST(EmbedHashTest, DimensionsAndUnitNorm) {
  for (int dims : {8, 100, 384, 8192}) {
    auto e = Hash(dims);
    EXPECT_EQ(e->name(), "hash");
    EXPECT_EQ(e->dimensions(), dims);
    auto r = e->embed({"short", "a somewhat longer sentence about tax forms and refunds",
                       std::string(20000, 'x') + " Ünïcödé 東京 data", "", "?!"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 5u);
    for (const auto& v : r.value()) {
      ASSERT_EQ(v.size(), static_cast<size_t>(dims));
      EXPECT_NEAR(Dot(v, v), 1.0, 1e-5);
      for (float x : v) EXPECT_TRUE(std::isfinite(x));
    }
  }
}

TEST(EmbedHashTest, EmptyTextsGetTheFixedUnitVector) {
  auto e = Hash(64);
  auto r = e->embed({"", "   \n\t", "...!?", "\xFF\xFE"});
  ASSERT_TRUE(r.ok());
  for (const auto& v : r.value()) {
    for (float x : v) EXPECT_FLOAT_EQ(x, 1.0f / 8.0f);
  }
  auto empty = e->embed({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(EmbedHashTest, SimilarTextsAreCloserThanUnrelatedOnes) {
  auto e = Hash();
  const auto a = EmbedOne(*e, "How do I reset my password?");
  const auto b = EmbedOne(*e, "I forgot my password and need to reset it");
  const auto c = EmbedOne(*e, "Bake the bread at 230 degrees for 35 minutes");
  EXPECT_GT(Dot(a, b), Dot(a, c) + 0.2);
  const auto d = EmbedOne(*e, "shipping times for international parcels");
  const auto f = EmbedOne(*e, "how long does international shipping take");
  EXPECT_GT(Dot(d, f), Dot(d, c) + 0.2);
}

TEST(EmbedHashTest, ConcurrentCallsMatchSerialCalls) {
  auto e = Hash();
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    texts.push_back("document number " + std::to_string(i) + " about topic " +
                    std::to_string(i % 7) + (i % 3 == 0 ? " with Ünïcode" : ""));
  }
  auto serial = e->embed(texts);
  ASSERT_TRUE(serial.ok());
  std::vector<Result<Vectors>> results(4, Result<Vectors>(Vectors{}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { results[t] = e->embed(texts); });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), serial.value());  // bit-identical
  }
}

TEST(EmbedHashTest, RefusesBadDimensions) {
  for (int dims : {-1, 0, 7, 8193, 1 << 20}) {
    auto e = MakeHashEmbedder(dims);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(e.status().message(), "dimensions must be 8..8192, got " + std::to_string(dims));
  }
}

// Ranks a fixture corpus by cosine for natural-language queries (see tests/data/retrieval).
TEST(EmbedHashTest, RetrievalSanity) {
  const std::filesystem::path dir = std::filesystem::path(K3_TEST_DATA_DIR) / "retrieval";
  std::vector<std::string> names;
  std::vector<std::string> docs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    names.push_back(entry.path().filename().string());
    docs.push_back(ss.str());
  }
  ASSERT_GE(docs.size(), 30u);
  std::vector<std::pair<std::string, std::string>> queries;  // (query, expected file)
  std::ifstream in(dir / "queries.tsv");
  ASSERT_TRUE(in) << "missing " << (dir / "queries.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    queries.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    ASSERT_NE(std::find(names.begin(), names.end(), queries.back().second), names.end())
        << "unknown document " << queries.back().second;
  }
  ASSERT_GE(queries.size(), 30u);

  auto e = Hash(384);
  auto doc_vectors = e->embed(docs);
  ASSERT_TRUE(doc_vectors.ok());
  int top1 = 0;
  int top3 = 0;
  for (const auto& [query, expected] : queries) {
    const auto q = EmbedOne(*e, query);
    std::vector<std::pair<double, std::string>> ranked;
    for (size_t i = 0; i < docs.size(); ++i) {
      ranked.emplace_back(-Dot(q, doc_vectors.value()[i]), names[i]);
    }
    std::sort(ranked.begin(), ranked.end());
    int rank = 0;
    while (ranked[rank].second != expected) ++rank;
    top1 += rank == 0;
    top3 += rank < 3;
    if (rank >= 3) {
      std::printf("  miss: \"%s\" -> %s ranked %d (top: %s)\n", query.c_str(), expected.c_str(),
                  rank + 1, ranked[0].second.c_str());
    }
  }
  const int n = static_cast<int>(queries.size());
  std::printf("hash embedder retrieval: top-1 %d/%d (%.0f%%), top-3 %d/%d (%.0f%%)\n", top1, n,
              100.0 * top1 / n, top3, n, 100.0 * top3 / n);
  EXPECT_GE(top3 * 10, n * 9) << "top-3 hit rate below 90%";
}

// ---------------------------------------------------------------------------------------------
// http

constexpr int kServerDims = 16;

// The fake model: a deterministic vector from the text.
std::vector<float> FakeEmbedding(const std::string& text, int dims) {
  uint64_t h = embed_internal::FnvUpdate(embed_internal::kFnvOffset, text);
  std::vector<float> v(dims);
  for (int i = 0; i < dims; ++i) {
    h = embed_internal::Mix64(h + i);
    v[i] = static_cast<float>(h % 2001) / 1000.0f - 1.0f;  // exact in JSON round trips? near
  }
  return v;
}

// Answers in reverse order with "index", so the client must reorder.
std::string FakeAnswer(const Json& request, int dims) {
  Json data = Json::array();
  const Json& input = request.at("input");
  for (size_t i = input.size(); i-- > 0;) {
    data.push_back({{"object", "embedding"},
                    {"index", i},
                    {"embedding", FakeEmbedding(input[i].get<std::string>(), dims)}});
  }
  return Json{{"object", "list"}, {"data", data}, {"model", request.at("model")}}.dump();
}

class EmbedHttpTest : public ::testing::Test {
 protected:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, int attempt)>;

  void SetUp() override {
    server_.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      const int attempt = ++attempts_;
      Handler handler;
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
        auth_headers_.push_back(req.get_header_value("Authorization"));
        handler = handler_;
      }
      if (handler) {
        handler(req, res, attempt);
      } else {
        Normal(req, res);
      }
    });
    port_ = test::StartOnLoopback(server_, thread_);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  static void Normal(const httplib::Request& req, httplib::Response& res) {
    res.set_content(FakeAnswer(Json::parse(req.body), kServerDims), "application/json");
  }

  void SetHandler(Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(h);
  }

  // Blocks a handler until TearDown (bounded, so a broken test cannot hang forever).
  void BlockUntilTearDown() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [this] { return released_; });
  }

  HttpEmbedderConfig Config() const {
    HttpEmbedderConfig c;
    c.url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/embeddings";
    c.model = "fake-model";
    c.dimensions = kServerDims;
    c.timeout_ms = 10000;
    c.initial_backoff_ms = 1;
    return c;
  }

  std::shared_ptr<Embedder> Make(const HttpEmbedderConfig& c) {
    auto e = MakeHttpEmbedder(c);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(e).value() : nullptr;
  }

  std::vector<std::string> Bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> AuthHeaders() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_headers_;
  }

  static void ExpectFakeEmbeddings(const Vectors& got, const std::vector<std::string>& texts) {
    ASSERT_EQ(got.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto want = FakeEmbedding(texts[i], kServerDims);
      ASSERT_EQ(got[i].size(), want.size());
      for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(got[i][k], want[k]) << i;
    }
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> attempts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  Handler handler_;
  std::vector<std::string> bodies_;
  std::vector<std::string> auth_headers_;
};

TEST_F(EmbedHttpTest, RoundTripSendsModelInputAndKey) {
  auto c = Config();
  c.api_key = "sk-test-123";
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name(), "http");
  EXPECT_EQ(e->dimensions(), kServerDims);
  const std::vector<std::string> texts = {"hello world", "Ünïcode 東京", ""};
  auto r = e->embed(texts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectFakeEmbeddings(r.value(), texts);
  ASSERT_EQ(Bodies().size(), 1u);
  const Json body = Json::parse(Bodies()[0]);
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["input"], Json(texts));
  EXPECT_EQ(body["encoding_format"], "float");
  EXPECT_EQ(AuthHeaders()[0], "Bearer sk-test-123");

  auto empty = e->embed({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(attempts_.load(), 1);  // an empty batch makes no request
}

TEST_F(EmbedHttpTest, NoKeyNoAuthorizationHeader) {
  auto e = Make(Config());
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->embed({"x"}).ok());
  EXPECT_EQ(AuthHeaders()[0], "");
}

TEST_F(EmbedHttpTest, BaseUrlEndingInV1GetsEmbeddingsAppended) {
  auto c = Config();
  c.url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/";
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"a"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(EmbedHttpTest, ProbeLearnsDimensions) {
  auto c = Config();
  c.dimensions = 0;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dimensions(), kServerDims);
  EXPECT_EQ(attempts_.load(), 1);
  auto r = e->embed({"after the probe"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectFakeEmbeddings(r.value(), {"after the probe"});
}

TEST_F(EmbedHttpTest, ProbeFailureFailsCreation) {
  SetHandler([](const httplib::Request&, httplib::Response& res, int) {
    res.status = 404;
    res.set_content(R"({"error":{"message":"model \"nope\" not found"}})", "application/json");
  });
  auto c = Config();
  c.dimensions = 0;
  auto e = MakeHttpEmbedder(c);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("model \"nope\" not found"), std::string::npos)
      << e.status().message();
}

TEST_F(EmbedHttpTest, SplitsBatchesAndKeepsOrder) {
  auto c = Config();
  c.batch_size = 2;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  const std::vector<std::string> texts = {"one", "two", "three", "four", "five"};
  auto r = e->embed(texts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectFakeEmbeddings(r.value(), texts);
  const auto bodies = Bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(Json::parse(bodies[0])["input"], Json({"one", "two"}));
  EXPECT_EQ(Json::parse(bodies[1])["input"], Json({"three", "four"}));
  EXPECT_EQ(Json::parse(bodies[2])["input"], Json({"five"}));
}

TEST_F(EmbedHttpTest, AnswerWithoutIndexIsTakenInOrder) {
  SetHandler([](const httplib::Request& req, httplib::Response& res, int) {
    const Json request = Json::parse(req.body);
    Json data = Json::array();
    for (const auto& t : request["input"]) {
      data.push_back({{"embedding", FakeEmbedding(t.get<std::string>(), kServerDims)}});
    }
    res.set_content(Json{{"data", data}}.dump(), "application/json");
  });
  auto e = Make(Config());
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x", "y", "z"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectFakeEmbeddings(r.value(), {"x", "y", "z"});
}

TEST_F(EmbedHttpTest, RetriesA429ThenSucceeds) {
  SetHandler([](const httplib::Request& req, httplib::Response& res, int attempt) {
    if (attempt == 1) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content(R"({"error":{"message":"rate limited"}})", "application/json");
      return;
    }
    Normal(req, res);
  });
  auto e = Make(Config());
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"retry me"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectFakeEmbeddings(r.value(), {"retry me"});
  EXPECT_EQ(attempts_.load(), 2);
}

TEST_F(EmbedHttpTest, Repeated500BecomesUnavailableAfterRetries) {
  SetHandler([](const httplib::Request&, httplib::Response& res, int) {
    res.status = 500;
    res.set_content(R"({"error":{"message":"GPU fell off the bus"}})", "application/json");
  });
  auto c = Config();
  c.max_retries = 2;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(attempts_.load(), 3);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("HTTP 500"), std::string::npos) << m;
  EXPECT_NE(m.find("GPU fell off the bus"), std::string::npos) << m;
  EXPECT_NE(m.find("3 attempts"), std::string::npos) << m;
}

TEST_F(EmbedHttpTest, TimeoutIsDeadlineExceeded) {
  SetHandler([this](const httplib::Request&, httplib::Response& res, int) {
    BlockUntilTearDown();
    res.status = 503;
  });
  auto c = Config();
  c.timeout_ms = 200;
  c.max_retries = 1;
  c.api_key = "sk-secret-timeout";
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"slow"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  const std::string m = r.status().message();
  EXPECT_NE(m.find("timed out after 200 ms"), std::string::npos) << m;
  EXPECT_NE(m.find("2 attempts"), std::string::npos) << m;
  EXPECT_EQ(m.find("sk-secret-timeout"), std::string::npos) << m;
  EXPECT_EQ(attempts_.load(), 2);
}

TEST_F(EmbedHttpTest, WrongDimensionsIsFailedPrecondition) {
  auto c = Config();
  c.dimensions = 8;  // the server answers 16
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x", "y"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("embedding endpoint returned 16 dimensions, expected 8"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(attempts_.load(), 1);  // not retried
}

TEST_F(EmbedHttpTest, WrongCountIsInternal) {
  SetHandler([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content(Json{{"data", {{{"embedding", FakeEmbedding("a", kServerDims)}}}}}.dump(),
                    "application/json");
  });
  auto e = Make(Config());
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"a", "b", "c"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("1 embeddings for 3 inputs"), std::string::npos)
      << r.status().message();
}

TEST_F(EmbedHttpTest, InvalidJsonAnswerIsInternal) {
  SetHandler([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content("<html>bad gateway page</html>", "text/html");
  });
  auto e = Make(Config());
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("not JSON"), std::string::npos) << r.status().message();
  EXPECT_EQ(attempts_.load(), 1);
}

TEST_F(EmbedHttpTest, WrongShapeAnswersAreInternal) {
  const std::vector<std::string> answers = {
      R"({"embeddings": [[1,2]]})",                     // no "data"
      R"({"data": [{"vector": [1]}]})",                 // no "embedding"
      R"({"data": [{"embedding": ["a"]}]})",            // not numbers
      R"({"data": [{"embedding": [1], "index": 5}]})",  // index out of range
      R"({"data": [{"embedding": [1e300]}]})",          // not a float
  };
  for (const std::string& answer : answers) {
    SetHandler([answer](const httplib::Request&, httplib::Response& res, int) {
      res.set_content(answer, "application/json");
    });
    auto c = Config();
    c.dimensions = 1;
    auto e = Make(c);
    ASSERT_NE(e, nullptr);
    auto r = e->embed({"x"});
    ASSERT_FALSE(r.ok()) << answer;
    EXPECT_EQ(r.status().code(), StatusCode::kInternal) << answer << " " << r.status().ToString();
  }
}

TEST_F(EmbedHttpTest, ClientErrorsMapToCodesWithTheServerMessage) {
  const std::vector<std::pair<int, StatusCode>> cases = {
      {400, StatusCode::kInvalidArgument},   {401, StatusCode::kUnauthenticated},
      {403, StatusCode::kPermissionDenied},  {404, StatusCode::kNotFound},
      {413, StatusCode::kResourceExhausted}, {409, StatusCode::kFailedPrecondition},
  };
  for (const auto& [http, code] : cases) {
    const int before = attempts_.load();
    SetHandler([http = http](const httplib::Request&, httplib::Response& res, int) {
      res.status = http;
      res.set_content(R"({"error":{"message":"server says no"}})", "application/json");
    });
    auto e = Make(Config());
    ASSERT_NE(e, nullptr);
    auto r = e->embed({"x"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << http;
    EXPECT_NE(r.status().message().find("HTTP " + std::to_string(http) + ": server says no"),
              std::string::npos)
        << r.status().message();
    EXPECT_EQ(attempts_.load(), before + 1) << "HTTP " << http << " must not be retried";
  }
}

TEST_F(EmbedHttpTest, ApiKeyNeverAppearsInErrors) {
  const std::string key = "sk-very-secret-key-42";
  // The server echoes the Authorization header, as a careless proxy might.
  SetHandler([](const httplib::Request& req, httplib::Response& res, int) {
    res.status = 401;
    res.set_content(Json{{"error",
                          {{"message", "Incorrect API key provided: " +
                                           req.get_header_value("Authorization")}}}}
                        .dump(),
                    "application/json");
  });
  auto c = Config();
  c.api_key = key;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message().find(key), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("Incorrect API key provided"), std::string::npos);

  // Nor in the url shown by messages (user info and query are dropped).
  auto c2 = Config();
  c2.url =
      "http://user:" + key + "@127.0.0.1:" + std::to_string(port_) + "/v1/embeddings?key=" + key;
  c2.api_key = key;
  SetHandler([](const httplib::Request&, httplib::Response& res, int) { res.status = 500; });
  c2.max_retries = 0;
  auto e2 = Make(c2);
  ASSERT_NE(e2, nullptr);
  auto r2 = e2->embed({"x"});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().message().find(key), std::string::npos) << r2.status().message();
  EXPECT_NE(r2.status().message().find("127.0.0.1"), std::string::npos) << r2.status().message();
  EXPECT_NE(r2.status().message().find("1 attempt"), std::string::npos) << r2.status().message();
}

TEST_F(EmbedHttpTest, ConnectionRefusedIsUnavailableAfterRetries) {
  // A port that was free a moment ago: bind a socket to port 0, note the port, close it.
  int free_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      free_port = ntohs(addr.sin_port);
    }
    ::close(fd);
  }
  ASSERT_GT(free_port, 0);
  auto c = Config();
  c.url = "http://127.0.0.1:" + std::to_string(free_port) + "/v1/embeddings";
  c.max_retries = 2;
  c.timeout_ms = 2000;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  auto r = e->embed({"x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("3 attempts"), std::string::npos) << r.status().message();
}

TEST_F(EmbedHttpTest, ConcurrentCallsAreCorrect) {
  auto c = Config();
  c.batch_size = 3;
  auto e = Make(c);
  ASSERT_NE(e, nullptr);
  std::vector<std::vector<std::string>> inputs(4);
  std::vector<Result<Vectors>> results(4, Result<Vectors>(Vectors{}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 10; ++i)
      inputs[t].push_back("t" + std::to_string(t) + " #" + std::to_string(i));
    threads.emplace_back([&, t] { results[t] = e->embed(inputs[t]); });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_TRUE(results[t].ok()) << results[t].status().ToString();
    ExpectFakeEmbeddings(results[t].value(), inputs[t]);
  }
  EXPECT_EQ(attempts_.load(), 16);
}

TEST(EmbedHttpConfigTest, RefusesBadConfigNamingTheField) {
  auto base = [] {
    HttpEmbedderConfig c;
    c.url = "http://127.0.0.1:9/v1/embeddings";
    c.model = "m";
    c.dimensions = 4;
    return c;
  };
  struct Case {
    std::function<void(HttpEmbedderConfig&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& c) { c.url = ""; }, "url"},
      {[](auto& c) { c.url = "ftp://host/v1"; }, "url"},
      {[](auto& c) { c.url = "127.0.0.1:80/v1"; }, "url"},
      {[](auto& c) { c.url = "http:///v1"; }, "url"},
      {[](auto& c) { c.url = "http://host/a b"; }, "url"},
      {[](auto& c) { c.model = ""; }, "model"},
      {[](auto& c) { c.api_key = "sk\r\nX-Evil: 1"; }, "api_key"},
      {[](auto& c) { c.dimensions = -1; }, "dimensions"},
      {[](auto& c) { c.batch_size = 0; }, "batch_size"},
      {[](auto& c) { c.batch_size = 2049; }, "batch_size"},
      {[](auto& c) { c.timeout_ms = 99; }, "timeout_ms"},
      {[](auto& c) { c.timeout_ms = 600001; }, "timeout_ms"},
      {[](auto& c) { c.max_retries = -1; }, "max_retries"},
      {[](auto& c) { c.max_retries = 11; }, "max_retries"},
      {[](auto& c) { c.initial_backoff_ms = -5; }, "initial_backoff_ms"},
  };
  for (const auto& test_case : cases) {
    HttpEmbedderConfig c = base();
    test_case.mutate(c);
    auto e = MakeHttpEmbedder(c);
    ASSERT_FALSE(e.ok()) << test_case.field;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find(test_case.field), std::string::npos)
        << e.status().message();
    EXPECT_EQ(e.status().message().find("X-Evil"), std::string::npos);
  }
  // A valid config with known dimensions makes no request.
  auto ok = MakeHttpEmbedder(base());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok.value()->dimensions(), 4);
}

}  // namespace
}  // namespace k3::pipelines
