// Shared pieces of the IngestService tests (see ingest_fixtures.h).
#include "support/ingest_fixtures.h"

#include <algorithm>
#include <cctype>
#include <thread>

namespace k3::test {

ScriptedEmbedder::ScriptedEmbedder(std::string name, int dimensions)
    : name_(std::move(name)), dimensions_(dimensions) {}

namespace {

bool Mentions(const std::vector<std::string>& texts, const std::string& marker) {
  if (marker.empty()) return false;
  return std::any_of(texts.begin(), texts.end(),
                     [&](const std::string& t) { return t.find(marker) != std::string::npos; });
}

}  // namespace

Result<std::vector<std::vector<float>>> ScriptedEmbedder::embed(
    const std::vector<std::string>& texts) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    log_.push_back(texts);
    if (blocking_ && Mentions(texts, block_marker_)) {
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !blocking_; });
    }
    if (fail_times_ != 0 && Mentions(texts, fail_marker_)) {
      if (fail_times_ > 0) --fail_times_;
      return fail_error_;
    }
  }
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) {
    std::vector<float> v(dimensions_, 0.01f);
    for (unsigned char c : t) {
      if (std::isalnum(c)) v[std::tolower(c) % dimensions_] += 1.0f;
    }
    out.push_back(std::move(v));
  }
  return out;
}

void ScriptedEmbedder::BlockOn(std::string marker) {
  std::lock_guard<std::mutex> lock(mu_);
  block_marker_ = std::move(marker);
  blocking_ = true;
}

void ScriptedEmbedder::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  blocking_ = false;
  cv_.notify_all();
}

bool ScriptedEmbedder::WaitEntered(int n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return entered_ >= n; });
}

void ScriptedEmbedder::FailOn(std::string marker, int times, Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_marker_ = std::move(marker);
  fail_times_ = times;
  fail_error_ = std::move(error);
}

std::vector<std::vector<std::string>> ScriptedEmbedder::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

int ScriptedEmbedder::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(log_.size());
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval, not a delay
  }
  return true;
}

void IngestFixture::Open(Options options) {
  db_.reset();
  auto opened = Db::open(dir_.path(), std::move(options));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  db_.emplace(std::move(opened).value());
}

void IngestFixture::CreateBucket(const std::string& bucket) {
  auto b = db_.value().storage().create_bucket({.name = bucket});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
}

ObjectInfo IngestFixture::Put(const std::string& bucket, const std::string& key,
                              const std::string& body, const std::string& type) {
  auto put = db_.value().storage().put_object(bucket, key, body, {.content_type = type});
  EXPECT_TRUE(put.ok()) << key << ": " << put.status().ToString();
  return put.ok() ? *put : ObjectInfo{};
}

Pipeline IngestFixture::CreatePipeline(const std::string& bucket, const std::string& name,
                                       const std::string& template_id,
                                       std::map<std::string, std::string> options,
                                       const std::string& dest) {
  auto p = db_.value().pipelines().create_pipeline({.bucket = bucket,
                                                    .name = name,
                                                    .template_id = template_id,
                                                    .options = std::move(options),
                                                    .store_entity_id = dest});
  EXPECT_TRUE(p.ok()) << name << ": " << p.status().ToString();
  return p.ok() ? *p : Pipeline{};
}

Pipeline IngestFixture::VectorPipeline(const std::string& bucket, const std::string& name,
                                       int chunk_size, const std::string& embedder) {
  std::map<std::string, std::string> options = {{"embedder", embedder},
                                                {"chunker", "fixed"},
                                                {"chunk_size", std::to_string(chunk_size)},
                                                {"chunk_overlap", "0"}};
  if (embedder == "hash") options["dimensions"] = "64";
  return CreatePipeline(bucket, name, "text_embedding_index", std::move(options));
}

IngestRule IngestFixture::CreateRule(IngestRule rule) {
  auto r = ingest().create_rule(rule);
  EXPECT_TRUE(r.ok()) << rule.name << ": " << r.status().ToString();
  return r.ok() ? *r : IngestRule{};
}

std::vector<IngestJob> IngestFixture::AllJobs(const std::string& bucket,
                                              std::optional<IngestStatus> status,
                                              const std::string& rule_id) {
  std::vector<IngestJob> all;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    auto r = ingest().list_jobs({.bucket = bucket,
                                 .status_filter = status,
                                 .rule_id = rule_id,
                                 .page_size = 7,
                                 .page_token = token});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) break;
    all.insert(all.end(), r->jobs.begin(), r->jobs.end());
    token = r->pagination.next_page_token;
    if (token.empty()) break;
  }
  return all;
}

void IngestFixture::WaitIdle(const std::string& bucket) {
  Status idle = ingest().wait_idle(bucket, kIdleTimeoutMs);
  ASSERT_TRUE(idle.ok()) << idle.ToString();
}

uint64_t IngestFixture::VectorCount(const std::string& bucket, const std::string& collection) {
  auto c = db_.value().vectors().get_collection(bucket, collection);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? c->vector_count : 0;
}

std::vector<std::string> IngestFixture::MissingVectors(const std::string& bucket,
                                                       const std::string& collection,
                                                       const std::vector<std::string>& ids) {
  std::vector<std::string> missing;
  for (size_t i = 0; i < ids.size(); i += 500) {
    GetVectorsRequest request{.bucket = bucket, .collection = collection};
    request.ids.assign(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 500));
    auto got = db_.value().vectors().get_vectors(request);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok()) return ids;
    missing.insert(missing.end(), got->missing_ids.begin(), got->missing_ids.end());
  }
  return missing;
}

int64_t IngestFixture::Scalar(const std::string& bucket, const std::string& sql) {
  auto q = db_.value().tables().query({.bucket = bucket, .sql = sql});
  EXPECT_TRUE(q.ok()) << q.status().ToString() << " in " << sql;
  if (!q.ok() || q->rows.empty() || q->rows[0].empty()) return -1;
  if (const auto* v = std::get_if<int64_t>(&q->rows[0][0])) return *v;
  return -1;
}

std::vector<std::string> ChunkIds(const std::string& key, uint64_t n) {
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < n; ++i) ids.push_back(key + "#" + std::to_string(i));
  return ids;
}

}  // namespace k3::test
