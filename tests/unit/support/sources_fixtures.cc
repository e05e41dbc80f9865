// Shared pieces of the SourceService acceptance tests (see sources_fixtures.h).
#include "support/sources_fixtures.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/loopback_server.h"

namespace k3::test {

namespace fs = std::filesystem;

// --- files -----------------------------------------------------------------------------------

void WriteFile(const std::string& path, const std::string& content) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void SetMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2];
  times[0].tv_sec = static_cast<time_t>(seconds);
  times[0].tv_nsec = 0;
  times[1] = times[0];
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

int64_t MtimeSeconds(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec);
}

std::map<std::string, std::string> DirFiles(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::file_status st = it->symlink_status();
    if (fs::is_symlink(st) || !fs::is_regular_file(st)) continue;
    out[it->path().lexically_relative(root).generic_string()] = ReadFileBytes(it->path().string());
  }
  return out;
}

// --- digests and encodings -------------------------------------------------------------------

namespace {

std::string Digest(std::string_view bytes, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace

std::string Md5Hex(std::string_view bytes) { return Digest(bytes, EVP_md5()); }
std::string Sha256Hex(std::string_view bytes) { return Digest(bytes, EVP_sha256()); }

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string HexDecode(std::string_view hex) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(v(hex[i]) * 16 + v(hex[i + 1]));
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) |
                       (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> RevealingForms(const std::string& secret) {
  std::vector<std::string> forms = {secret, HexEncode(secret)};
  std::string upper = HexEncode(secret);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  forms.push_back(upper);
  for (size_t pad = 0; pad < 3; ++pad) {
    const std::string enc = Base64(std::string(pad, '\0') + secret);
    const size_t start = pad == 0 ? 0 : pad == 1 ? 2 : 3;  // first char free of padding bits
    const size_t full = 4 * ((pad + secret.size()) / 3);   // chars of complete groups only
    if (full <= start + 12) continue;                      // too short to be meaningful
    std::string middle = enc.substr(start, full - start);
    forms.push_back(middle);
    for (char& c : middle) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    forms.push_back(middle);  // base64url
  }
  return forms;
}

std::string FindAnySecret(std::string_view haystack, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (const std::string& form : RevealingForms(secret)) {
      if (haystack.find(form) != std::string_view::npos) return secret;
    }
  }
  return "";
}

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- DocServer -------------------------------------------------------------------------------

DocServer::DocServer() {
  server_.Get("/.*",
              [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
  server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    ++total_;
    ++requests_["/token"];
    auth_seen_.push_back(req.get_header_value("Authorization"));
    token_posts_.push_back(req.body);
    res.status = token_status_;
    res.set_content(token_body_, "application/json");
  });
}

DocServer::~DocServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

int DocServer::Start() {
  port_ = StartOnLoopback(server_, thread_);
  return port_;
}

std::string DocServer::Url(const std::string& path) const { return "http://" + HostPort() + path; }

std::string DocServer::HostPort() const { return "127.0.0.1:" + std::to_string(port_); }

void DocServer::SetDoc(const std::string& path, std::string body, std::string etag,
                       std::string last_modified, std::string content_type) {
  std::lock_guard<std::mutex> lock(mu_);
  Doc& d = docs_[path];
  d.body = std::move(body);
  d.etag = std::move(etag);
  d.last_modified = std::move(last_modified);
  d.content_type = std::move(content_type);
}

void DocServer::RemoveDoc(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  docs_.erase(path);
}

void DocServer::FailWith(const std::string& path, int http_status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_[path] = http_status;
}

void DocServer::IgnoreConditional(const std::string& path, bool ignore) {
  std::lock_guard<std::mutex> lock(mu_);
  docs_[path].ignore_conditional = ignore;
}

void DocServer::AcceptTokens(std::set<std::string> tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(tokens);
}

void DocServer::SetTokenAnswer(int http_status, std::string json_body) {
  std::lock_guard<std::mutex> lock(mu_);
  token_status_ = http_status;
  token_body_ = std::move(json_body);
}

void DocServer::Serve(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& path = req.path;
  ++total_;
  ++requests_[path];
  const std::string auth = req.get_header_value("Authorization");
  auth_seen_.push_back(auth);
  const std::string inm = req.get_header_value("If-None-Match");
  const std::string ims = req.get_header_value("If-Modified-Since");
  if_none_match_[path].push_back(inm);
  if (!tokens_.empty()) {
    const bool ok = auth.rfind("Bearer ", 0) == 0 && tokens_.count(auth.substr(7)) == 1;
    if (!ok) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content("unauthorized", "text/plain");
      return;
    }
  }
  if (auto f = fail_.find(path); f != fail_.end() && f->second != 0) {
    res.status = f->second;
    res.set_content("failure on cue", "text/plain");
    return;
  }
  auto it = docs_.find(path);
  if (it == docs_.end()) {
    res.status = 404;
    res.set_content("no such document", "text/plain");
    return;
  }
  const Doc& d = it->second;
  if (!d.etag.empty()) res.set_header("ETag", d.etag);
  if (!d.last_modified.empty()) res.set_header("Last-Modified", d.last_modified);
  if (!d.ignore_conditional) {
    const bool etag_match = !inm.empty() && !d.etag.empty() && inm == d.etag;
    const bool date_match =
        inm.empty() && !ims.empty() && !d.last_modified.empty() && ims == d.last_modified;
    if (etag_match || date_match) {
      ++not_modified_[path];
      res.status = 304;
      return;
    }
  }
  ++body_gets_[path];
  res.status = 200;
  res.set_content(d.body, d.content_type.c_str());
}

int DocServer::BodyGets(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = body_gets_.find(path);
  return it == body_gets_.end() ? 0 : it->second;
}

int DocServer::NotModified(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = not_modified_.find(path);
  return it == not_modified_.end() ? 0 : it->second;
}

int DocServer::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(path);
  return it == requests_.end() ? 0 : it->second;
}

int DocServer::TotalRequests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

std::vector<std::string> DocServer::IfNoneMatchSeen(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = if_none_match_.find(path);
  return it == if_none_match_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> DocServer::AuthSeen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auth_seen_;
}

std::vector<std::string> DocServer::TokenPosts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return token_posts_;
}

// --- SourcesFixture --------------------------------------------------------------------------

Source SourcesFixture::CreateSource(const CreateSourceRequest& request) {
  auto s = sources().create_source(request);
  EXPECT_TRUE(s.ok()) << request.name << ": " << s.status().ToString();
  return s.ok() ? *s : Source{};
}

Source SourcesFixture::GetSource(const std::string& bucket, const std::string& source_id) {
  auto s = sources().get_source(bucket, source_id);
  EXPECT_TRUE(s.ok()) << source_id << ": " << s.status().ToString();
  return s.ok() ? *s : Source{};
}

SourceSyncReport SourcesFixture::Sync(const std::string& bucket, const std::string& source_id,
                                      bool full, bool dry_run) {
  auto r = sources().sync_source(
      {.bucket = bucket, .source_id = source_id, .full = full, .dry_run = dry_run});
  EXPECT_TRUE(r.ok()) << source_id << ": " << r.status().ToString();
  return r.ok() ? *r : SourceSyncReport{};
}

size_t SourcesFixture::SourceCount(const std::string& bucket) {
  auto l = sources().list_sources({.bucket = bucket, .page_size = 1000});
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? l->sources.size() : 0;
}

std::string SourcesFixture::InternalSourceId(const std::string& bucket) {
  auto b = db().storage().get_bucket(bucket);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? b->internal_source_id : "";
}

std::map<std::string, std::string> SourcesFixture::Objects(const std::string& bucket,
                                                           const std::string& prefix) {
  std::map<std::string, std::string> out;
  std::string token;
  for (int page = 0; page < 10000; ++page) {
    auto l = db().storage().list_objects(
        {.bucket = bucket, .prefix = prefix, .continuation_token = token});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    if (!l.ok()) break;
    for (const ObjectInfo& o : l->objects) {
      auto g = db().storage().get_object(bucket, o.key);
      EXPECT_TRUE(g.ok()) << o.key << ": " << g.status().ToString();
      out[o.key] = g.ok() ? g->body : "<unreadable>";
    }
    if (!l->is_truncated) break;
    token = l->next_continuation_token;
  }
  return out;
}

std::optional<ObjectInfo> SourcesFixture::Head(const std::string& bucket, const std::string& key) {
  auto h = db().storage().head_object(bucket, key);
  if (!h.ok()) {
    EXPECT_EQ(h.status().code(), StatusCode::kNotFound) << key << ": " << h.status().ToString();
    return std::nullopt;
  }
  return *h;
}

std::map<std::string, std::vector<IngestJob>> SourcesFixture::JobsByKey(const std::string& bucket) {
  std::vector<IngestJob> jobs = AllJobs(bucket);  // newest first
  std::reverse(jobs.begin(), jobs.end());
  std::map<std::string, std::vector<IngestJob>> out;
  for (IngestJob& j : jobs) out[j.object.key].push_back(std::move(j));
  return out;
}

std::optional<VectorRecord> SourcesFixture::FirstChunk(const std::string& bucket,
                                                       const std::string& collection,
                                                       const std::string& key) {
  auto got =
      db().vectors().get_vectors({.bucket = bucket, .collection = collection, .ids = {key + "#0"}});
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!got.ok() || got->vectors.empty()) return std::nullopt;
  return got->vectors[0];
}

std::vector<std::string> StringsOf(const CredentialInfo& info) {
  std::vector<std::string> out = {
      "credential_id=" + info.credential_id,
      "display_name=" + info.display_name,
      "bucket=" + info.bucket,
      "source_id=" + info.source_id,
      "endpoint=" + info.endpoint,
      "username=" + info.username,
      "access_key_id=" + info.access_key_id,
      "key_fingerprint=" + info.key_fingerprint,
      "last_error=" + info.last_error,
  };
  for (const std::string& s : info.scopes) out.push_back("scope=" + s);
  return out;
}

}  // namespace k3::test
