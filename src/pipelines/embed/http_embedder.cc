// pipelines/embed/http_embedder.cc: the "http" embedder (OpenAI-compatible /v1/embeddings over
// libcurl): request building, retries with backoff, response validation.
#include "pipelines/embed/http_embedder.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace k3::pipelines {
namespace {

using Json = nlohmann::json;
using Vectors = std::vector<std::vector<float>>;

constexpr int kMaxDimensions = 65536;
constexpr int kMaxBackoffMs = 10000;
constexpr size_t kBaseResponseLimit = size_t{64} << 20;
constexpr size_t kMaxErrorBodyChars = 300;
constexpr const char* kProbeText = "k3 embedding dimension probe";

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

bool HasSpaceOrControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

// "https://user:pw@host:1/p?key=x" -> "https://host:1/p": what error messages show.
std::string RedactUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "<url>";
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t authority_end = std::min(rest.find('/'), rest.size());
  const size_t at = rest.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(url.substr(0, scheme_end + 3)) + std::string(rest);
}

Status RangeError(std::string_view field, int value, int lo, int hi) {
  return InvalidArgument("http embedder: " + std::string(field) + " must be " + std::to_string(lo) +
                         ".." + std::to_string(hi) + ", got " + std::to_string(value));
}

Status ValidateAndNormalize(HttpEmbedderConfig& c) {
  if (c.url.empty()) return InvalidArgument("http embedder: url is empty");
  if (HasSpaceOrControl(c.url)) {
    return InvalidArgument("http embedder: url contains whitespace or control characters");
  }
  if (!StartsWithNoCase(c.url, "http://") && !StartsWithNoCase(c.url, "https://")) {
    return InvalidArgument("http embedder: url must start with http:// or https://, got \"" +
                           RedactUrl(c.url) + "\"");
  }
  if (c.url.find("://") + 3 >= c.url.size() || c.url[c.url.find("://") + 3] == '/') {
    return InvalidArgument("http embedder: url has no host: \"" + RedactUrl(c.url) + "\"");
  }
  std::string_view path = c.url;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.size() >= 3 && path.substr(path.size() - 3) == "/v1") {
    c.url = std::string(path) + "/embeddings";
  }
  if (c.model.empty()) return InvalidArgument("http embedder: model is empty");
  if (HasSpaceOrControl(c.api_key)) {
    return InvalidArgument("http embedder: api_key contains whitespace or control characters");
  }
  if (c.dimensions < 0 || c.dimensions > kMaxDimensions) {
    return RangeError("dimensions", c.dimensions, 0, kMaxDimensions);
  }
  if (c.batch_size < 1 || c.batch_size > 2048)
    return RangeError("batch_size", c.batch_size, 1, 2048);
  if (c.timeout_ms < 100 || c.timeout_ms > 600000) {
    return RangeError("timeout_ms", c.timeout_ms, 100, 600000);
  }
  if (c.max_retries < 0 || c.max_retries > 10)
    return RangeError("max_retries", c.max_retries, 0, 10);
  if (c.initial_backoff_ms < 0 || c.initial_backoff_ms > kMaxBackoffMs) {
    return RangeError("initial_backoff_ms", c.initial_backoff_ms, 0, kMaxBackoffMs);
  }
  return Status::Ok();
}

// --- curl plumbing --------------------------------------------------------------------------

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Idle easy handles, reused so that keep-alive connections survive between calls.
class CurlPool {
 public:
  ~CurlPool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    curl_easy_reset(h);  // keeps live connections
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

 private:
  static constexpr size_t kMaxIdle = 16;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

struct Body {
  std::string data;
  size_t limit = 0;
  bool too_large = false;
};

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* body = static_cast<Body*>(user);
  const size_t n = size * nmemb;
  if (body->data.size() + n > body->limit) {
    body->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  try {
    body->data.append(ptr, n);
  } catch (const std::bad_alloc&) {
    body->too_large = true;
    return 0;
  }
  return n;
}

struct Exchange {
  CURLcode curl_code = CURLE_OK;
  std::string curl_error;  // curl's detail message
  long http_status = 0;
  int64_t retry_after_s = -1;
  Body body;
};

// Transport failures worth another attempt: the endpoint may come back.
bool RetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// --- response handling ----------------------------------------------------------------------

std::string Truncate(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (s.size() > n) out += "...";
  return out;
}

// The server's own error text: OpenAI {"error":{"message":..}}, Ollama/TEI {"error":".."},
// FastAPI {"detail":..}, {"message":..}; else the start of the body.
std::string ServerMessage(const std::string& body) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto text_of = [](const Json& v) -> std::string {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_object() && v.contains("message") && v["message"].is_string()) {
        return v["message"].get<std::string>();
      }
      if (!v.is_null()) return v.dump(-1, ' ', false, Json::error_handler_t::replace);
      return "";
    };
    for (const char* key : {"error", "detail", "message"}) {
      if (j.contains(key)) {
        std::string m = text_of(j[key]);
        if (!m.empty()) return Truncate(m, kMaxErrorBodyChars);
      }
    }
  }
  return Truncate(body, kMaxErrorBodyChars);
}

StatusCode CodeForHttpStatus(long status) {
  switch (status) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 413:
      return StatusCode::kResourceExhausted;
    default:
      return StatusCode::kFailedPrecondition;
  }
}

// Parses a 2xx body holding `count` embeddings of `dims` numbers (0: any, but all equal).
Result<Vectors> ParseResponse(const std::string& body, size_t count, int dims,
                              const std::string& where) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Internal(where + ": answer is not JSON (" + std::to_string(body.size()) +
                    " bytes): " + Truncate(body, 100));
  }
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) {
    return Internal(where + ": answer has no \"data\" array: " + Truncate(body, 100));
  }
  const Json& data = j["data"];
  if (data.size() != count) {
    return Internal(where + ": answer has " + std::to_string(data.size()) + " embeddings for " +
                    std::to_string(count) + " inputs");
  }
  Vectors out(count);
  std::vector<bool> filled(count, false);
  size_t with_index = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const Json& item = data[i];
    const std::string at = where + ": data[" + std::to_string(i) + "]";
    if (!item.is_object() || !item.contains("embedding") || !item["embedding"].is_array()) {
      return Internal(at + " has no \"embedding\" array");
    }
    size_t slot = i;
    if (item.contains("index")) {
      ++with_index;
      if (!item["index"].is_number_integer() || item["index"].get<int64_t>() < 0 ||
          item["index"].get<int64_t>() >= static_cast<int64_t>(count)) {
        return Internal(at + " has an invalid \"index\" " + item["index"].dump());
      }
      slot = static_cast<size_t>(item["index"].get<int64_t>());
      if (filled[slot]) return Internal(at + " repeats \"index\" " + std::to_string(slot));
    }
    const Json& embedding = item["embedding"];
    std::vector<float>& v = out[slot];
    v.reserve(embedding.size());
    for (const Json& x : embedding) {
      if (!x.is_number()) return Internal(at + " holds a non-number " + Truncate(x.dump(), 40));
      const auto f = static_cast<float>(x.get<double>());
      if (!std::isfinite(f)) return Internal(at + " holds a non-finite number " + x.dump());
      v.push_back(f);
    }
    filled[slot] = true;
  }
  if (with_index != 0 && with_index != count) {
    return Internal(where + ": answer gives \"index\" for some embeddings but not all");
  }
  const size_t want = dims != 0 ? static_cast<size_t>(dims) : out[0].size();
  for (const auto& v : out) {
    if (v.size() != want || v.empty()) {
      if (dims == 0) {
        return Internal(where + ": answer has embeddings of " + std::to_string(v.size()) + " and " +
                        std::to_string(want) + " dimensions");
      }
      return FailedPrecondition(where + ": embedding endpoint returned " +
                                std::to_string(v.size()) + " dimensions, expected " +
                                std::to_string(dims));
    }
  }
  return out;
}

// --- the embedder ---------------------------------------------------------------------------

class HttpEmbedder final : public Embedder {
 public:
  explicit HttpEmbedder(HttpEmbedderConfig config)
      : config_(std::move(config)), where_("http embedder: POST " + RedactUrl(config_.url)) {}

  std::string name() const override { return "http"; }
  int dimensions() const override { return dims_; }

  Result<Vectors> embed(const std::vector<std::string>& texts) override {
    try {
      Vectors out;
      out.reserve(texts.size());
      const auto batch = static_cast<size_t>(config_.batch_size);
      for (size_t begin = 0; begin < texts.size(); begin += batch) {
        const size_t end = std::min(texts.size(), begin + batch);
        K3_ASSIGN_OR_RETURN(Vectors part, EmbedBatch(texts, begin, end, dims_));
        for (auto& v : part) out.push_back(std::move(v));
      }
      return out;
    } catch (const std::exception& e) {  // bad_alloc, or a JSON library surprise
      return Internal(Scrub(where_ + ": " + e.what()));
    }
  }

  // Learns dimensions() from one probe request; called once before the embedder is shared.
  Status Probe() {
    try {
      K3_ASSIGN_OR_RETURN(Vectors v, EmbedBatch({kProbeText}, 0, 1, 0));
      if (static_cast<int64_t>(v[0].size()) > kMaxDimensions) {
        return FailedPrecondition(where_ + ": probe returned " + std::to_string(v[0].size()) +
                                  " dimensions, more than " + std::to_string(kMaxDimensions));
      }
      dims_ = static_cast<int>(v[0].size());
      return Status::Ok();
    } catch (const std::exception& e) {
      return Internal(Scrub(where_ + ": " + e.what()));
    }
  }

  void set_dimensions(int dims) { dims_ = dims; }

 private:
  // Removes the api key from text that came from elsewhere (server messages, curl).
  std::string Scrub(std::string s) const {
    const std::string& key = config_.api_key;
    if (key.empty()) return s;
    for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at)) {
      s.replace(at, key.size(), "[redacted]");
    }
    return s;
  }

  Result<Vectors> EmbedBatch(const std::vector<std::string>& texts, size_t begin, size_t end,
                             int dims) {
    Json request = {{"model", config_.model}, {"encoding_format", "float"}};
    Json& input = request["input"] = Json::array();
    for (size_t i = begin; i < end; ++i) input.push_back(texts[i]);
    const std::string payload = request.dump(-1, ' ', false, Json::error_handler_t::replace);
    const size_t count = end - begin;
    const size_t limit = kBaseResponseLimit + count * static_cast<size_t>(std::max(dims, 1)) * 64;

    const int attempts = config_.max_retries + 1;
    Status last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      Exchange ex;
      ex.body.limit = limit;
      Perform(payload, ex);
      int64_t retry_after_s = -1;
      bool timed_out = false;
      if (ex.curl_code != CURLE_OK) {
        if (ex.body.too_large) {
          return ResourceExhausted(where_ + ": answer exceeds " + std::to_string(limit) + " bytes");
        }
        const std::string detail =
            ex.curl_error.empty() ? curl_easy_strerror(ex.curl_code) : ex.curl_error;
        if (!RetryableCurlError(ex.curl_code)) {
          return Unavailable(Scrub(where_ + ": " + detail));
        }
        timed_out = ex.curl_code == CURLE_OPERATION_TIMEDOUT;
        last = Status(
            timed_out ? StatusCode::kDeadlineExceeded : StatusCode::kUnavailable,
            timed_out ? "timed out after " + std::to_string(config_.timeout_ms) + " ms" : detail);
      } else if (ex.http_status >= 200 && ex.http_status < 300) {
        Result<Vectors> parsed = ParseResponse(ex.body.data, count, dims, where_);
        if (!parsed.ok()) {
          return Status(parsed.status().code(), Scrub(parsed.status().message()));
        }
        return parsed;
      } else if (ex.http_status == 429 || ex.http_status == 408 || ex.http_status >= 500) {
        last = Status(StatusCode::kUnavailable, "HTTP " + std::to_string(ex.http_status) + ": " +
                                                    ServerMessage(ex.body.data));
        if (ex.http_status == 429) retry_after_s = ex.retry_after_s;
      } else {
        return Status(CodeForHttpStatus(ex.http_status),
                      Scrub(where_ + ": HTTP " + std::to_string(ex.http_status) + ": " +
                            ServerMessage(ex.body.data)));
      }
      if (attempt == attempts) break;
      int64_t delay_ms = static_cast<int64_t>(config_.initial_backoff_ms) << (attempt - 1);
      if (retry_after_s >= 0) delay_ms = retry_after_s * 1000;
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(delay_ms, kMaxBackoffMs)));  // a client backoff, not a test wait
    }
    const std::string tries = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    return Status(last.code(),
                  Scrub(where_ + ": " + last.message() + " (gave up after " + tries + ")"));
  }

  void Perform(const std::string& payload, Exchange& ex) {
    CURL* h = pool_.Take();
    if (h == nullptr) {
      ex.curl_code = CURLE_OUT_OF_MEMORY;
      return;
    }
    char error[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    if (!config_.api_key.empty()) {
      const std::string auth = "Authorization: Bearer " + config_.api_key;
      headers = curl_slist_append(headers, auth.c_str());
    }
    curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "k3-http-embedder");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex.body);
    ex.curl_code = curl_easy_perform(h);
    ex.curl_error = error;
    if (ex.curl_code == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex.http_status);
      curl_off_t retry_after = 0;
      if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
        ex.retry_after_s = retry_after;
      }
    }
    curl_slist_free_all(headers);
    pool_.Give(h);
  }

  const HttpEmbedderConfig config_;
  const std::string where_;
  int dims_ = 0;  // set before the embedder is shared, constant afterwards
  CurlPool pool_;
};

}  // namespace

Result<std::shared_ptr<Embedder>> MakeHttpEmbedder(HttpEmbedderConfig config) {
  K3_RETURN_IF_ERROR(ValidateAndNormalize(config));
  GlobalInitOnce();
  const int dims = config.dimensions;
  std::shared_ptr<HttpEmbedder> embedder;
  try {
    embedder = std::make_shared<HttpEmbedder>(std::move(config));
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("http embedder: out of memory");
  }
  if (dims == 0) {
    K3_RETURN_IF_ERROR(embedder->Probe());
  } else {
    embedder->set_dimensions(dims);
  }
  return std::shared_ptr<Embedder>(std::move(embedder));
}

}  // namespace k3::pipelines
