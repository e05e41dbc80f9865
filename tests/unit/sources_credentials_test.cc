// SourceService credentials: secrets (PAT, API key, access key, OAuth tokens and client secret)
// never appear at rest — neither in any file of the data directory nor in any key or value of
// any RocksDB column family (read back through the RocksDB API, so compression cannot hide
// them), in any encoding a careless store might use (raw, hex, base64) — nor in what get, list
// and the wire form return, nor in anything logged at debug level. Controls (display names,
// usernames, key ids) are found by the same scans, so the scans can fail. Also: the master key
// fingerprint, a wrong master key (a clear FAILED_PRECONDITION when a secret is used, never a
// garbage token on the wire), the key file, an HTTP source authenticating with a PAT,
// validation (2xx valid, 401/403 invalid), credentials of the wrong type for their provider,
// and deleting a credential a source uses.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/sources_fixtures.h"

namespace k3::test {
namespace {

namespace fs = std::filesystem;

constexpr char kBucket[] = "creds";
// Two valid master keys (64 hex characters).
constexpr char kKeyA[] = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";
constexpr char kKeyB[] = "ffeeddccbbaa99887766554433221100fedcba98765432100123456789abcdef";

// Secrets: each distinctive, never expected anywhere but on the wire to the loopback server.
constexpr char kPatToken[] = "pat-SECRET-9d1c6e2a7b4f-token";
constexpr char kApiKey[] = "api-SECRET-51f0c3e8a2d7-key";
constexpr char kAccessSecret[] = "aws-SECRET-wJalrXUtnFEMI-K7MDENG";
constexpr char kAccessToken[] = "oat-SECRET-3b8e1f6d0c2a-access";
constexpr char kRefreshToken[] = "ort-SECRET-7a4c9e2f5d1b-refresh";
constexpr char kClientSecret[] = "ocs-SECRET-c0ffee1234-client";
constexpr char kAccessToken2[] = "oat-SECRET-refreshed-2e9d4b";
constexpr char kRefreshToken2[] = "ort-SECRET-rotated-6f3a1c";
constexpr char kWireToken[] = "wire-SECRET-pat-8c5b2e7d9a";
constexpr char kBogusToken[] = "bogus-SECRET-token-4e1d";

// Not secret: shown by get and list, and found by the scans (the controls).
// Distinct strings with no 4-byte run in common, so that even a compressed copy of them would
// show them whole.
constexpr char kUsername[] = "user Wombat Ny8";
constexpr char kAccessKeyId[] = "AKIAZ7XK3PQ9";
constexpr char kPatName[] = "pat Quokka Vx7";
constexpr char kApiName[] = "api Marmot Jw3";
constexpr char kAkName[] = "ak Ibex Zr5";
constexpr char kOAuthName[] = "oauth Tapir Lq9";
constexpr char kWireName[] = "wire Okapi Hd2";
constexpr char kBogusName[] = "bogus Lynx Pc4";
constexpr char kClientId[] = "visible-client-id";

constexpr char kDocPath[] = "/private/doc.txt";
constexpr char kDocBody[] = "private document body\n";

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string Fingerprint(const std::string& hex_key) {
  return Sha256Hex(HexDecode(hex_key)).substr(0, 8);
}

std::vector<std::string> AllSecrets() {
  return {kPatToken,     kApiKey,       kAccessSecret,    kAccessToken,
          kRefreshToken, kClientSecret, kAccessToken2,    kRefreshToken2,
          kWireToken,    kBogusToken,   HexDecode(kKeyA), HexDecode(kKeyB)};
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + "\n";
  return out;
}

struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
};

// Restores an environment variable on scope exit.
class ScopedUnsetEnv {
 public:
  explicit ScopedUnsetEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) {
      had_ = true;
      old_ = v;
    }
    unsetenv(name);
  }
  ~ScopedUnsetEnv() {
    if (had_) setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

// What a raw read of the RocksDB store found.
struct RocksScan {
  std::string error;               // "" when the store could be read
  size_t entries = 0;              // key/value pairs read, all column families
  std::vector<std::string> names;  // the column families
  std::string secret_found;        // the first secret seen in a key or value
  std::string where;               // "<cf>: key ..." for secret_found
  std::set<std::string> controls_found;
};

RocksScan ScanRocks(const std::string& path, const std::vector<std::string>& secrets,
                    const std::vector<std::string>& controls) {
  RocksScan scan;
  rocksdb::DBOptions options;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, path, &scan.names);
  if (!s.ok()) {
    scan.error = "ListColumnFamilies: " + s.ToString();
    return scan;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : scan.names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    scan.error = "OpenForReadOnly: " + s.ToString();
    return scan;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  for (size_t i = 0; i < handles.size(); ++i) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++scan.entries;
      const std::string key = it->key().ToString();
      const std::string value = it->value().ToString();
      for (const std::string* part : {&key, &value}) {
        const std::string found = FindAnySecret(*part, secrets);
        if (!found.empty() && scan.secret_found.empty()) {
          scan.secret_found = found;
          scan.where = scan.names[i] + ": key of " + std::to_string(key.size()) + " bytes";
        }
        for (const std::string& c : controls) {
          if (Has(*part, c)) scan.controls_found.insert(c);
        }
      }
    }
    if (!it->status().ok() && scan.error.empty()) scan.error = it->status().ToString();
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  return scan;
}

class CredentialsTest : public SourcesFixture {
 protected:
  void SetUp() override {
    ASSERT_GT(server_.Start(), 0);
    server_.SetDoc(kDocPath, kDocBody, "\"p1\"");
    server_.AcceptTokens({kPatToken, kApiKey, kAccessToken, kAccessToken2, kWireToken});
    server_.SetTokenAnswer(200, std::string("{\"access_token\":\"") + kAccessToken2 +
                                    "\",\"refresh_token\":\"" + kRefreshToken2 +
                                    "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
    OpenWithKey(kKeyA);
    CreateBucket(kBucket);
  }

  void OpenWithKey(const std::string& key) {
    Options options;
    options.master_key = key;
    options.log_level = LogLevel::kDebug;
    std::shared_ptr<LogCapture> logs = logs_;
    options.log_sink = [logs](LogLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(logs->mu);
      logs->lines.emplace_back(message);
    };
    Open(options);
  }

  CredentialInfo Store(const StoreCredentialRequest& request) {
    auto c = sources().store_credential(request);
    EXPECT_TRUE(c.ok()) << request.display_name << ": " << c.status().ToString();
    return c.ok() ? *c : CredentialInfo{};
  }

  StoreCredentialRequest PatRequest(const std::string& display, const std::string& token,
                                    const std::string& endpoint) const {
    StoreCredentialRequest r;
    r.provider = SourceProvider::kHttp;
    r.credential_type = CredentialType::kPat;
    r.display_name = display;
    r.endpoint = endpoint;
    r.pat = PatPayload{.token = token, .username = kUsername};
    return r;
  }

  Source HttpSource(const std::string& name, const std::string& credential_id) {
    CreateSourceRequest r;
    r.bucket = kBucket;
    r.provider = SourceProvider::kHttp;
    r.name = name;
    r.urls = {server_.Url(kDocPath)};
    r.credential_id = credential_id;
    return CreateSource(r);
  }

  size_t CredentialCount() {
    auto l = sources().list_credentials({.page_size = 1000});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? l->credentials.size() : 0;
  }

  std::string Call(const std::string& method, const std::string& json) {
    auto r = db().call(method, json);
    EXPECT_TRUE(r.ok()) << method << " " << json << ": " << r.status().ToString();
    return r.ok() ? *r : "";
  }

  // Every Authorization header the server saw, from index `from` on.
  std::vector<std::string> AuthSince(size_t from) {
    std::vector<std::string> all = server_.AuthSeen();
    if (from >= all.size()) return {};
    return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
  }

  DocServer server_;
  std::shared_ptr<LogCapture> logs_ = std::make_shared<LogCapture>();
};

TEST_F(CredentialsTest, SecretsAreNeverAtRestNorReturnedNorLogged) {
  const std::string endpoint = server_.Url(kDocPath);
  const TimestampMs expires = NowMs() + 3'600'000;

  StoreCredentialRequest pat_req = PatRequest(kPatName, kPatToken, endpoint);
  pat_req.is_primary = true;
  const CredentialInfo pat = Store(pat_req);

  StoreCredentialRequest api_req;
  api_req.provider = SourceProvider::kHttp;
  api_req.credential_type = CredentialType::kApiKey;
  api_req.display_name = kApiName;
  api_req.endpoint = endpoint;
  api_req.api_key = ApiKeyPayload{.key = kApiKey};
  const CredentialInfo api = Store(api_req);

  StoreCredentialRequest ak_req;
  ak_req.provider = SourceProvider::kRemoteS3;
  ak_req.credential_type = CredentialType::kAccessKey;
  ak_req.display_name = kAkName;
  ak_req.access_key =
      AccessKeyPayload{.access_key_id = kAccessKeyId, .secret_access_key = kAccessSecret};
  const CredentialInfo ak = Store(ak_req);

  StoreCredentialRequest oauth_req;
  oauth_req.provider = SourceProvider::kHttp;
  oauth_req.credential_type = CredentialType::kOAuth;
  oauth_req.display_name = kOAuthName;
  oauth_req.endpoint = endpoint;
  oauth_req.oauth = OAuthPayload{.access_token = kAccessToken,
                                 .refresh_token = kRefreshToken,
                                 .expires_at = expires,
                                 .config = {.client_id = kClientId,
                                            .client_secret = kClientSecret,
                                            .authorize_url = server_.Url("/authorize"),
                                            .token_url = server_.Url("/token"),
                                            .scopes = {"docs.read"},
                                            .redirect_uri = "http://127.0.0.1:8765/callback"}};
  const CredentialInfo oauth = Store(oauth_req);
  ASSERT_FALSE(HasFailure());

  // What store returned.
  const std::string fp = Fingerprint(kKeyA);
  for (const CredentialInfo* c : {&pat, &api, &ak, &oauth}) {
    EXPECT_EQ(c->credential_id.rfind("cred_", 0), 0u) << c->credential_id;
    EXPECT_EQ(c->key_fingerprint, fp) << c->display_name;
    EXPECT_GT(c->created_at, 0);
  }
  EXPECT_EQ(pat.credential_type, CredentialType::kPat);
  EXPECT_EQ(pat.provider, SourceProvider::kHttp);
  EXPECT_EQ(pat.username, kUsername);
  EXPECT_EQ(pat.endpoint, endpoint);
  EXPECT_TRUE(pat.is_primary);
  EXPECT_EQ(api.credential_type, CredentialType::kApiKey);
  EXPECT_EQ(ak.credential_type, CredentialType::kAccessKey);
  EXPECT_EQ(ak.provider, SourceProvider::kRemoteS3);
  EXPECT_EQ(ak.access_key_id, kAccessKeyId);
  EXPECT_EQ(oauth.credential_type, CredentialType::kOAuth);
  EXPECT_EQ(oauth.scopes, std::vector<std::string>{"docs.read"});
  EXPECT_EQ(oauth.expires_at, expires);
  EXPECT_TRUE(oauth.refreshable);

  // The wire form of StoreCredential.
  const std::string wire_store = Call(
      "SourceService.StoreCredential",
      std::string(R"({"provider":"SOURCE_PROVIDER_HTTP","credentialType":"CREDENTIAL_TYPE_PAT",)") +
          R"("displayName":")" + kWireName + R"(","endpoint":")" + endpoint +
          R"(","pat":{"token":")" + kWireToken + R"(","username":")" + kUsername + R"("}})");
  EXPECT_TRUE(Has(wire_store, kWireName)) << wire_store;
  EXPECT_EQ(FindAnySecret(wire_store, AllSecrets()), "") << wire_store;

  // Using them: each is sent as a bearer token, so each validates against the server.
  for (const CredentialInfo* c : {&pat, &api, &oauth}) {
    auto v = sources().validate_credential(c->credential_id);
    ASSERT_TRUE(v.ok()) << c->display_name << ": " << v.status().ToString();
    EXPECT_TRUE(v->valid) << c->display_name << ": " << v->message;
    EXPECT_EQ(v->url, endpoint);
    EXPECT_EQ(FindAnySecret(v->message + v->url, AllSecrets()), "") << v->message;
  }
  const std::vector<std::string> auth = server_.AuthSeen();
  for (const char* token : {kPatToken, kApiKey, kAccessToken}) {
    EXPECT_NE(std::find(auth.begin(), auth.end(), std::string("Bearer ") + token), auth.end())
        << token << " was never sent";
  }
  // A refresh, then the new token is used.
  auto refreshed = sources().refresh_oauth_token(oauth.credential_id);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(FindAnySecret(Joined(StringsOf(*refreshed)), AllSecrets()), "");
  ASSERT_EQ(server_.TokenPosts().size(), 1u);
  EXPECT_TRUE(Has(server_.TokenPosts()[0], "grant_type=refresh_token"));
  auto v2 = sources().validate_credential(oauth.credential_id);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_TRUE(v2->valid);
  EXPECT_EQ(server_.AuthSeen().back(), std::string("Bearer ") + kAccessToken2);
  // A rejected token: an invalid credential, reported without the token.
  const CredentialInfo bogus = Store(PatRequest(kBogusName, kBogusToken, endpoint));
  auto v3 = sources().validate_credential(bogus.credential_id);
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  EXPECT_FALSE(v3->valid);
  EXPECT_EQ(FindAnySecret(v3->message, AllSecrets()), "") << v3->message;
  // An HTTP source importing with the PAT.
  const Source src = HttpSource("private", pat.credential_id);
  ASSERT_FALSE(HasFailure());
  SourceSyncReport r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.added, 1u);

  // get and list: every string field, every credential.
  std::vector<std::string> ids = {pat.credential_id, api.credential_id, ak.credential_id,
                                  oauth.credential_id, bogus.credential_id};
  std::string shown;
  for (const std::string& id : ids) {
    auto g = sources().get_credential(id);
    ASSERT_TRUE(g.ok()) << id << ": " << g.status().ToString();
    EXPECT_EQ(g->credential_id, id);
    shown += Joined(StringsOf(*g));
  }
  auto listed = sources().list_credentials({});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->credentials.size(), 6u);
  for (const CredentialInfo& c : listed->credentials) shown += Joined(StringsOf(c));
  auto http_only = sources().list_credentials({.provider = SourceProvider::kHttp});
  ASSERT_TRUE(http_only.ok());
  EXPECT_EQ(http_only->credentials.size(), 5u);
  EXPECT_EQ(FindAnySecret(shown, AllSecrets()), "") << shown;
  for (const char* control : {kPatName, kApiName, kAkName, kOAuthName, kUsername, kAccessKeyId}) {
    EXPECT_TRUE(Has(shown, control)) << control;
  }

  // The wire form of get, list and validate.
  std::string wire;
  for (const std::string& id : ids) {
    wire += Call("SourceService.GetCredential", R"({"credentialId":")" + id + R"("})");
    // The access key has nothing to validate against: its error must not leak either.
    auto validated =
        db().call("SourceService.ValidateCredential", R"({"credentialId":")" + id + R"("})");
    wire += validated.ok() ? *validated : validated.status().ToString();
  }
  wire += Call("SourceService.ListCredentials", "{}");
  wire += Call("SourceService.ListSources", std::string(R"({"bucket":")") + kBucket + R"("})");
  EXPECT_EQ(FindAnySecret(wire, AllSecrets()), "") << wire;
  for (const char* control : {kPatName, kOAuthName, kWireName, kUsername, kAccessKeyId}) {
    EXPECT_TRUE(Has(wire, control)) << control << " missing from the wire form: " << wire;
  }

  // Logs, at debug level, of everything above.
  const std::vector<std::string> lines = logs_->Lines();
  EXPECT_EQ(FindAnySecret(Joined(lines), AllSecrets()), "") << Joined(lines);

  // At rest. (a) Every byte of every file of the data directory.
  Close();
  const std::vector<std::string> controls = {kPatName,   kApiName,  kAkName,
                                             kOAuthName, kUsername, kAccessKeyId};
  std::string all_bytes;
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = ReadFileBytes(entry.path().string());
    const std::string found = FindAnySecret(bytes, AllSecrets());
    EXPECT_EQ(found, "") << "a secret in " << entry.path();
    all_bytes += bytes;
  }
  EXPECT_GT(files, 3u);
  for (const std::string& c : controls) {
    EXPECT_TRUE(Has(all_bytes, c))
        << "control " << c << " not found in the files: the scan is blind";
  }
  // (b) Every key and value of every column family, through RocksDB.
  RocksScan scan = ScanRocks(dir_.path() + "/meta", AllSecrets(), controls);
  ASSERT_EQ(scan.error, "");
  EXPECT_GE(scan.names.size(), 2u);
  EXPECT_GT(scan.entries, 10u);
  EXPECT_EQ(scan.secret_found, "") << "in " << scan.where;
  for (const std::string& c : controls) {
    EXPECT_EQ(scan.controls_found.count(c), 1u) << "control " << c << " not found in RocksDB";
  }
}

TEST_F(CredentialsTest, AWrongMasterKeyIsAClearErrorAndNeverSendsGarbage) {
  const CredentialInfo pat = Store(PatRequest("pat", kPatToken, server_.Url(kDocPath)));
  const Source src = HttpSource("private", pat.credential_id);
  ASSERT_FALSE(HasFailure());
  SourceSyncReport r = Sync(kBucket, src.source_id);
  ASSERT_EQ(r.status, SourceStatus::kActive) << r.message;
  const std::string key = "private/" + server_.HostPort() + kDocPath;
  ASSERT_EQ(Objects(kBucket, "private/"), (std::map<std::string, std::string>{{key, kDocBody}}));
  Close();

  // Another key: the directory opens, get and list work.
  OpenWithKey(kKeyB);
  auto got = sources().get_credential(pat.credential_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->display_name, "pat");
  EXPECT_EQ(got->username, kUsername);
  EXPECT_EQ(got->key_fingerprint, Fingerprint(kKeyA)) << "the key the secret is sealed with";
  EXPECT_EQ(CredentialCount(), 1u);
  const size_t auth_before = server_.AuthSeen().size();

  // Using the secret: FAILED_PRECONDITION naming the master key and both fingerprints.
  auto v = sources().validate_credential(pat.credential_id);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition) << v.status().ToString();
  EXPECT_TRUE(Has(v.status().message(), "master key")) << v.status().message();
  EXPECT_TRUE(Has(v.status().message(), Fingerprint(kKeyA))) << v.status().message();
  EXPECT_TRUE(Has(v.status().message(), Fingerprint(kKeyB))) << v.status().message();
  EXPECT_EQ(FindAnySecret(v.status().message(), AllSecrets()), "");

  // A sync of the source using it: ERROR with that message; the object stays.
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kError) << r.message;
  EXPECT_EQ(r.deleted, 0u);
  Source s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kError);
  EXPECT_TRUE(Has(s.last_error, "master key")) << s.last_error;
  EXPECT_EQ(Objects(kBucket, "private/"), (std::map<std::string, std::string>{{key, kDocBody}}));
  // Never garbage: nothing that reached the server carried a token.
  for (const std::string& a : AuthSince(auth_before)) {
    EXPECT_EQ(a, "") << "an Authorization header was sent with the wrong master key";
  }

  // The right key again: everything works, the error clears.
  Close();
  OpenWithKey(kKeyA);
  auto ok = sources().validate_credential(pat.credential_id);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->valid) << ok->message;
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  s = GetSource(kBucket, src.source_id);
  EXPECT_EQ(s.status, SourceStatus::kActive);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(server_.AuthSeen().back(), std::string("Bearer ") + kPatToken);
}

TEST_F(CredentialsTest, AMalformedMasterKeyRefusesToOpenWithoutEchoingIt) {
  Close();
  TempDir other;
  Options options;
  options.master_key = "short-key-SECRET-value-not-hex";
  auto opened = Db::open(other.path(), options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument) << opened.status().ToString();
  EXPECT_FALSE(Has(opened.status().message(), options.master_key)) << opened.status().message();
}

TEST_F(CredentialsTest, WithoutAKeyAKeyFileIsCreatedWithMode0600) {
  Close();
  ScopedUnsetEnv no_env("K3_MASTER_KEY");
  TempDir fresh;
  {
    auto opened = Db::open(fresh.path(), Options{});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Db db = std::move(opened).value();
    auto c =
        db.sources().store_credential(PatRequest("file-key", kPatToken, server_.Url(kDocPath)));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const std::string key_path = fresh.path() + "/master.key";
    struct stat st {};
    ASSERT_EQ(stat(key_path.c_str(), &st), 0) << key_path << " was not created";
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 32);
    const std::string raw = ReadFileBytes(key_path);
    EXPECT_EQ(c->key_fingerprint, Sha256Hex(raw).substr(0, 8));
  }
  // Reopened: the same file, so the secret opens.
  auto again = Db::open(fresh.path(), Options{});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Db db = std::move(again).value();
  auto listed = db.sources().list_credentials({});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->credentials.size(), 1u);
  auto v = db.sources().validate_credential(listed->credentials[0].credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
}

TEST_F(CredentialsTest, PatSourcesAuthenticateAndValidationTellsValidFromInvalid) {
  // Without a credential the server refuses: the sync reports it.
  const Source anon = HttpSource("anon", "");
  ASSERT_FALSE(HasFailure());
  SourceSyncReport r = Sync(kBucket, anon.source_id);
  EXPECT_EQ(r.status, SourceStatus::kError) << r.message;
  EXPECT_EQ(r.failed, 1u);
  EXPECT_TRUE(Has(GetSource(kBucket, anon.source_id).last_error, "401"))
      << GetSource(kBucket, anon.source_id).last_error;
  EXPECT_TRUE(Objects(kBucket, "anon/").empty());

  // With the PAT it imports.
  const CredentialInfo pat = Store(PatRequest("good pat", kPatToken, server_.Url(kDocPath)));
  const Source src = HttpSource("private", pat.credential_id);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(src.credential_id, pat.credential_id);
  r = Sync(kBucket, src.source_id);
  EXPECT_EQ(r.status, SourceStatus::kActive) << r.message;
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(
      Objects(kBucket, "private/"),
      (std::map<std::string, std::string>{{"private/" + server_.HostPort() + kDocPath, kDocBody}}));
  EXPECT_EQ(server_.AuthSeen().back(), std::string("Bearer ") + kPatToken);

  // Valid: recorded in the CredentialInfo.
  const TimestampMs before = NowMs();
  auto v = sources().validate_credential(pat.credential_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->valid) << v->message;
  EXPECT_EQ(v->url, server_.Url(kDocPath));
  EXPECT_GE(v->validated_at, before - 1000);
  CredentialInfo info = sources().get_credential(pat.credential_id).value();
  EXPECT_TRUE(info.last_validation_ok);
  EXPECT_GE(info.last_validated_at, before - 1000);
  EXPECT_EQ(info.last_error, "");

  // A token the server refuses (401): invalid, not an error; recorded.
  const CredentialInfo wrong = Store(PatRequest("wrong pat", kBogusToken, server_.Url(kDocPath)));
  auto w = sources().validate_credential(wrong.credential_id);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(w->valid);
  info = sources().get_credential(wrong.credential_id).value();
  EXPECT_FALSE(info.last_validation_ok);
  EXPECT_GT(info.last_validated_at, 0);
  EXPECT_FALSE(info.last_error.empty());
  EXPECT_EQ(FindAnySecret(info.last_error + w->message, AllSecrets()), "");

  // 403 is invalid too.
  server_.FailWith("/forbidden", 403);
  const CredentialInfo forbidden =
      Store(PatRequest("forbidden pat", kPatToken, server_.Url("/forbidden")));
  auto f = sources().validate_credential(forbidden.credential_id);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->valid);
  EXPECT_FALSE(sources().get_credential(forbidden.credential_id)->last_validation_ok);

  // A credential that belongs to a source (no endpoint) validates against the source's URL.
  StoreCredentialRequest owned = PatRequest("owned pat", kPatToken, "");
  owned.bucket = kBucket;
  owned.source_id = anon.source_id;
  const CredentialInfo owned_info = Store(owned);
  EXPECT_EQ(owned_info.source_id, anon.source_id);
  auto o = sources().validate_credential(owned_info.credential_id);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->valid) << o->message;
  EXPECT_EQ(o->url, server_.Url(kDocPath));

  // Nothing to validate against: FAILED_PRECONDITION.
  const CredentialInfo loose = Store(PatRequest("loose pat", kPatToken, ""));
  EXPECT_EQ(sources().validate_credential(loose.credential_id).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(sources().validate_credential("cred_nope").status().code(), StatusCode::kNotFound);
}

TEST_F(CredentialsTest, CredentialsOfTheWrongTypeForTheirProviderAreRefused) {
  StoreCredentialRequest ak;
  ak.provider = SourceProvider::kHttp;
  ak.credential_type = CredentialType::kAccessKey;
  ak.display_name = "access key for http";
  ak.access_key =
      AccessKeyPayload{.access_key_id = kAccessKeyId, .secret_access_key = kAccessSecret};
  StoreCredentialRequest pat_local = PatRequest("pat for a local dir", kPatToken, "");
  pat_local.provider = SourceProvider::kLocalDir;
  StoreCredentialRequest api_local;
  api_local.provider = SourceProvider::kLocalDir;
  api_local.credential_type = CredentialType::kApiKey;
  api_local.display_name = "api key for a local dir";
  api_local.api_key = ApiKeyPayload{.key = kApiKey};
  StoreCredentialRequest oauth_s3;
  oauth_s3.provider = SourceProvider::kRemoteS3;
  oauth_s3.credential_type = CredentialType::kOAuth;
  oauth_s3.display_name = "oauth for s3";
  oauth_s3.oauth = OAuthPayload{.access_token = kAccessToken};
  StoreCredentialRequest mismatch = PatRequest("payload is a pat", kPatToken, "");
  mismatch.credential_type = CredentialType::kApiKey;
  StoreCredentialRequest two = PatRequest("two payloads", kPatToken, "");
  two.api_key = ApiKeyPayload{.key = kApiKey};
  StoreCredentialRequest none;
  none.provider = SourceProvider::kHttp;
  none.credential_type = CredentialType::kPat;
  none.display_name = "no payload";
  StoreCredentialRequest empty = PatRequest("empty token", "", "");
  for (const StoreCredentialRequest* bad :
       {&ak, &pat_local, &api_local, &oauth_s3, &mismatch, &two, &none, &empty}) {
    auto c = sources().store_credential(*bad);
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument)
        << bad->display_name << ": " << c.status().ToString();
    EXPECT_EQ(FindAnySecret(c.status().message(), AllSecrets()), "") << c.status().message();
  }
  EXPECT_EQ(CredentialCount(), 0u) << "nothing may be stored";

  // A source refuses a credential of another provider or type, and any for a local dir.
  StoreCredentialRequest s3 = ak;
  s3.provider = SourceProvider::kRemoteS3;
  const CredentialInfo s3_cred = Store(s3);
  const CredentialInfo pat = Store(PatRequest("pat", kPatToken, ""));
  ASSERT_FALSE(HasFailure());
  CreateSourceRequest http;
  http.bucket = kBucket;
  http.provider = SourceProvider::kHttp;
  http.name = "web";
  http.urls = {server_.Url(kDocPath)};
  http.credential_id = s3_cred.credential_id;
  EXPECT_EQ(sources().create_source(http).status().code(), StatusCode::kInvalidArgument);
  http.credential_id = "cred_nope";
  EXPECT_EQ(sources().create_source(http).status().code(), StatusCode::kNotFound);
  TempDir root;
  CreateSourceRequest local;
  local.bucket = kBucket;
  local.provider = SourceProvider::kLocalDir;
  local.name = "local";
  local.root_path = root.path();
  local.credential_id = pat.credential_id;
  EXPECT_EQ(sources().create_source(local).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SourceCount(kBucket), 1u);
  EXPECT_EQ(CredentialCount(), 2u);
}

TEST_F(CredentialsTest, ACredentialInUseCannotBeDeleted) {
  const CredentialInfo pat = Store(PatRequest("pat", kPatToken, server_.Url(kDocPath)));
  const Source src = HttpSource("private", pat.credential_id);
  ASSERT_FALSE(HasFailure());
  const Status in_use = sources().delete_credential(pat.credential_id);
  EXPECT_EQ(in_use.code(), StatusCode::kFailedPrecondition) << in_use.ToString();
  EXPECT_TRUE(Has(in_use.message(), src.source_id) || Has(in_use.message(), "private"))
      << in_use.message();
  EXPECT_TRUE(sources().get_credential(pat.credential_id).ok());
  EXPECT_EQ(Sync(kBucket, src.source_id).status, SourceStatus::kActive);

  // Detached from the source, it can go.
  auto upd = sources().update_source(
      {.bucket = kBucket, .source_id = src.source_id, .credential_id = std::string()});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ(upd->credential_id, "");
  const Status gone = sources().delete_credential(pat.credential_id);
  EXPECT_TRUE(gone.ok()) << gone.ToString();
  EXPECT_EQ(sources().get_credential(pat.credential_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sources().delete_credential(pat.credential_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(CredentialCount(), 0u);
}

}  // namespace
}  // namespace k3::test
