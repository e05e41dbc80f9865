// SourceService in K3's JSON wire form. Two parts:
//  - the codecs of wire/sources_json.h alone (no database): round trips, every field emitted,
//    defaults for absent fields, int64 as strings or numbers, enum short forms, PATCH
//    optionals, the fields an update may not change, credential payloads (one at most), and
//    errors naming the field as the client spelled it;
//  - the RPCs end to end through Db::call on a temporary data directory: a LOCAL_DIR source
//    created, synced, listed, updated, got and deleted; a PAT credential stored, got, listed
//    and deleted without its secret ever appearing in a response; refused sources and
//    credentials.
#include <gtest/gtest.h>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"
#include "util/hash.h"
#include "wire/json_util.h"
#include "wire/sources_json.h"

namespace k3::test {
namespace {

using wire::Json;

Json J(const char* text) { return Json::parse(text); }

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [k, v] : object.items()) keys.insert(k);
  return keys;
}

// INVALID_ARGUMENT whose message names `field` in quotes (as wire::FieldError writes it).
void ExpectInvalidField(const Status& s, const std::string& field) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("\"" + field + "\""), std::string::npos)
      << "message does not name \"" << field << "\": " << s.ToString();
}

// ToJson, then FromJson of the printed and re-parsed text, then ToJson again: the same
// document. Returns what FromJson read.
template <typename T>
T RoundTrip(const T& v) {
  Json j = wire::ToJson(v);
  Result<Json> reparsed = wire::ParseJson(wire::DumpJson(j));
  EXPECT_TRUE(reparsed.ok()) << reparsed.status().ToString();
  T out{};
  Status s = wire::FromJson(*reparsed, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(wire::ToJson(out), j);
  return out;
}

template <typename T>
T Parse(const Json& j) {
  T out{};
  Status s = wire::FromJson(j, &out);
  EXPECT_TRUE(s.ok()) << s.ToString() << " for " << j.dump();
  return out;
}

template <typename T>
Status ParseError(const Json& j) {
  T out{};
  return wire::FromJson(j, &out);
}

// Nothing may turn a secret-carrying type into JSON.
template <typename T>
concept HasToJson = requires(const T& v) {
  wire::ToJson(v);
};

static_assert(HasToJson<CredentialInfo>);
static_assert(!HasToJson<StoreCredentialRequest>);
static_assert(!HasToJson<PatPayload>);
static_assert(!HasToJson<ApiKeyPayload>);
static_assert(!HasToJson<AccessKeyPayload>);
static_assert(!HasToJson<OAuthPayload>);
static_assert(!HasToJson<OAuthConfig>);
static_assert(!HasToJson<GetOAuthUrlRequest>);
static_assert(!HasToJson<ExchangeOAuthCodeRequest>);

const std::set<std::string> kSourceKeys = {
    "sourceId",      "bucket",       "provider",        "name",
    "description",   "rootPath",     "providerAccount", "syncIntervalSeconds",
    "enabled",       "status",       "totalObjects",    "indexedObjects",
    "totalBytes",    "createdAt",    "updatedAt",       "lastSyncAt",
    "lastSuccessAt", "urls",         "sitemapUrl",      "keyPrefix",
    "deleteMissing", "credentialId", "lastError"};

const std::set<std::string> kReportKeys = {"sourceId", "dryRun",        "discovered", "added",
                                           "changed",  "unchanged",     "deleted",    "failed",
                                           "skipped",  "bytesImported", "problems",   "status",
                                           "message",  "startedAt",     "finishedAt"};

const std::set<std::string> kCredentialKeys = {
    "credentialId", "provider",        "credentialType",   "displayName",    "isPrimary",
    "bucket",       "sourceId",        "endpoint",         "username",       "accessKeyId",
    "scopes",       "expiresAt",       "refreshable",      "keyFingerprint", "createdAt",
    "updatedAt",    "lastValidatedAt", "lastValidationOk", "lastError"};

Source SampleSource() {
  Source s;
  s.source_id = "src_01H";
  s.bucket = "kbase";
  s.provider = SourceProvider::kHttp;
  s.name = "site";
  s.description = "the docs site";
  s.root_path = "";
  s.provider_account = "acct";
  s.sync_interval_seconds = 3600;
  s.enabled = false;
  s.status = SourceStatus::kError;
  s.total_objects = 12;
  s.indexed_objects = 11;
  s.total_bytes = 1ull << 40;
  s.created_at = 1716843600000;
  s.updated_at = 1716843600001;
  s.last_sync_at = 1716843600002;
  s.last_success_at = 1716843600003;
  s.urls = {"https://example.com/a", "https://example.com/b?x=1"};
  s.sitemap_url = "";
  s.key_prefix = "web/site";
  s.delete_missing = false;
  s.credential_id = "cred_01";
  s.last_error = "GET https://example.com/b?x=1 answered 500";
  return s;
}

// ---------------------------------------------------------------------------------------
// Codecs

TEST(SourcesWireJsonTest, SourceEveryFieldBothWays) {
  Json j = wire::ToJson(SampleSource());
  EXPECT_EQ(j, J(R"({"sourceId": "src_01H", "bucket": "kbase",
      "provider": "SOURCE_PROVIDER_HTTP", "name": "site", "description": "the docs site",
      "rootPath": "", "providerAccount": "acct", "syncIntervalSeconds": "3600",
      "enabled": false, "status": "SOURCE_STATUS_ERROR", "totalObjects": "12",
      "indexedObjects": "11", "totalBytes": "1099511627776", "createdAt": "1716843600000",
      "updatedAt": "1716843600001", "lastSyncAt": "1716843600002",
      "lastSuccessAt": "1716843600003",
      "urls": ["https://example.com/a", "https://example.com/b?x=1"], "sitemapUrl": "",
      "keyPrefix": "web/site", "deleteMissing": false, "credentialId": "cred_01",
      "lastError": "GET https://example.com/b?x=1 answered 500"})"));
  EXPECT_EQ(Keys(j), kSourceKeys);

  Source back = RoundTrip(SampleSource());
  EXPECT_EQ(back.urls, SampleSource().urls);
  EXPECT_EQ(back.key_prefix, "web/site");
  EXPECT_FALSE(back.delete_missing);
  EXPECT_EQ(back.credential_id, "cred_01");
  EXPECT_EQ(back.total_bytes, 1ull << 40);
  EXPECT_EQ(back.status, SourceStatus::kError);

  // A default Source: every field still emitted, the new ones with their defaults.
  Json d = wire::ToJson(Source{});
  EXPECT_EQ(Keys(d), kSourceKeys);
  EXPECT_EQ(d["urls"], Json::array());
  EXPECT_EQ(d["deleteMissing"], true);
  EXPECT_EQ(d["enabled"], true);
  EXPECT_EQ(d["syncIntervalSeconds"], "0");
  EXPECT_EQ(d["status"], "SOURCE_STATUS_ACTIVE");
  RoundTrip(Source{});

  // snake_case input; absent fields keep *out's values.
  Source s;
  ASSERT_TRUE(wire::FromJson(J(R"({"sitemap_url": "https://example.com/sitemap.xml",
      "key_prefix": "p", "delete_missing": "false", "last_error": "x"})"),
                             &s)
                  .ok());
  EXPECT_EQ(s.sitemap_url, "https://example.com/sitemap.xml");
  EXPECT_EQ(s.key_prefix, "p");
  EXPECT_FALSE(s.delete_missing);
  EXPECT_EQ(s.last_error, "x");
  EXPECT_TRUE(s.enabled);
  EXPECT_TRUE(s.urls.empty());

  ExpectInvalidField(ParseError<Source>(J(R"({"urls": "https://x"})")), "urls");
  ExpectInvalidField(ParseError<Source>(J(R"({"urls": ["https://x", 3]})")), "urls[1]");
  ExpectInvalidField(ParseError<Source>(J(R"({"deleteMissing": 1})")), "deleteMissing");
  ExpectInvalidField(ParseError<Source>(J(R"({"credential_id": {}})")), "credential_id");
}

TEST(SourcesWireJsonTest, CreateSourceRequest) {
  CreateSourceRequest r;
  r.bucket = "kbase";
  r.provider = SourceProvider::kLocalDir;
  r.name = "docs";
  r.description = "d";
  r.root_path = "/srv/docs";
  r.provider_account = "me";
  r.sync_interval_seconds = 900;
  r.enabled = false;
  r.urls = {"http://a/"};
  r.sitemap_url = "http://a/sitemap.xml";
  r.key_prefix = "imported/docs";
  r.delete_missing = false;
  r.credential_id = "cred_9";
  Json j = wire::ToJson(r);
  EXPECT_EQ(Keys(j),
            (std::set<std::string>{"bucket", "provider", "name", "description", "rootPath",
                                   "providerAccount", "syncIntervalSeconds", "enabled", "urls",
                                   "sitemapUrl", "keyPrefix", "deleteMissing", "credentialId"}));
  EXPECT_EQ(j["provider"], "SOURCE_PROVIDER_LOCAL_DIR");
  EXPECT_EQ(j["syncIntervalSeconds"], "900");
  CreateSourceRequest back = RoundTrip(r);
  EXPECT_EQ(back.root_path, "/srv/docs");
  EXPECT_EQ(back.sync_interval_seconds, 900);
  EXPECT_FALSE(back.enabled);
  EXPECT_FALSE(back.delete_missing);
  EXPECT_EQ(back.key_prefix, "imported/docs");
  RoundTrip(CreateSourceRequest{});

  // Absent fields keep the C++ defaults: enabled and deleteMissing true.
  CreateSourceRequest minimal = Parse<CreateSourceRequest>(
      J(R"({"bucket": "kbase", "provider": "local_dir", "name": "docs", "rootPath": "/d"})"));
  EXPECT_EQ(minimal.provider, SourceProvider::kLocalDir);
  EXPECT_TRUE(minimal.enabled);
  EXPECT_TRUE(minimal.delete_missing);
  EXPECT_EQ(minimal.sync_interval_seconds, 0);
  EXPECT_TRUE(minimal.key_prefix.empty());
  EXPECT_TRUE(minimal.urls.empty());
  EXPECT_TRUE(minimal.credential_id.empty());
  // null is the same as absent.
  CreateSourceRequest nulls =
      Parse<CreateSourceRequest>(J(R"({"enabled": null, "delete_missing": null})"));
  EXPECT_TRUE(nulls.enabled);
  EXPECT_TRUE(nulls.delete_missing);

  // syncIntervalSeconds: an int64 as a string (the wire form) or a number.
  EXPECT_EQ(
      Parse<CreateSourceRequest>(J(R"({"syncIntervalSeconds": "3600"})")).sync_interval_seconds,
      3600);
  EXPECT_EQ(Parse<CreateSourceRequest>(J(R"({"sync_interval_seconds": 60})")).sync_interval_seconds,
            60);
  EXPECT_EQ(Parse<CreateSourceRequest>(J(R"({"syncIntervalSeconds": "9223372036854775807"})"))
                .sync_interval_seconds,
            std::numeric_limits<int64_t>::max());

  // Provider: wire name, short forms (any case, '-' for '_'), number.
  for (const char* http : {"SOURCE_PROVIDER_HTTP", "http", "HTTP", "Http"}) {
    EXPECT_EQ(Parse<CreateSourceRequest>(Json{{"provider", http}}).provider, SourceProvider::kHttp)
        << http;
  }
  for (const char* local : {"local_dir", "local-dir", "LOCAL_DIR", "source_provider_local_dir"}) {
    EXPECT_EQ(Parse<CreateSourceRequest>(Json{{"provider", local}}).provider,
              SourceProvider::kLocalDir)
        << local;
  }
  EXPECT_EQ(Parse<CreateSourceRequest>(Json{{"provider", 6}}).provider, SourceProvider::kLocalDir);

  // Errors name the field as the client spelled it.
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"provider": "dropbox"})")), "provider");
  Status unknown = ParseError<CreateSourceRequest>(J(R"({"provider": "dropbox"})"));
  EXPECT_NE(unknown.message().find("SOURCE_PROVIDER_LOCAL_DIR"), std::string::npos)
      << unknown.ToString();
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"provider": 99})")), "provider");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"syncIntervalSeconds": "soon"})")),
                     "syncIntervalSeconds");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"sync_interval_seconds": 1.5})")),
                     "sync_interval_seconds");
  ExpectInvalidField(
      ParseError<CreateSourceRequest>(J(R"({"syncIntervalSeconds": "9223372036854775808"})")),
      "syncIntervalSeconds");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"root_path": 5})")), "root_path");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"urls": {"a": "b"}})")), "urls");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"urls": ["http://a/", null]})")),
                     "urls[1]");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"enabled": "maybe"})")), "enabled");
  ExpectInvalidField(ParseError<CreateSourceRequest>(J(R"({"deleteMissing": [true]})")),
                     "deleteMissing");
  EXPECT_EQ(ParseError<CreateSourceRequest>(J(R"([1])")).code(), StatusCode::kInvalidArgument);
}

// Fields the wire does not know are ignored, as everywhere in k3's wire form (json_util.h):
// not an error.
TEST(SourcesWireJsonTest, UnknownFieldsAreIgnored) {
  CreateSourceRequest r = Parse<CreateSourceRequest>(
      J(R"({"bucket": "kbase", "name": "docs", "colour": "blue", "rootPath": "/d"})"));
  EXPECT_EQ(r.bucket, "kbase");
  EXPECT_EQ(r.name, "docs");
  EXPECT_EQ(r.root_path, "/d");
}

TEST(SourcesWireJsonTest, UpdateSourceRequestIsAPatch) {
  // Only the keys: every optional stays unset.
  UpdateSourceRequest none =
      Parse<UpdateSourceRequest>(J(R"({"bucket": "kbase", "sourceId": "src_1"})"));
  EXPECT_EQ(none.bucket, "kbase");
  EXPECT_EQ(none.source_id, "src_1");
  EXPECT_FALSE(none.name || none.description || none.root_path || none.provider_account ||
               none.sync_interval_seconds || none.enabled || none.urls || none.sitemap_url ||
               none.delete_missing || none.credential_id);

  UpdateSourceRequest all = Parse<UpdateSourceRequest>(J(R"({"bucket": "kbase",
      "source_id": "src_1", "name": "n", "description": "", "rootPath": "/r",
      "providerAccount": "a", "syncIntervalSeconds": "0", "enabled": false, "urls": [],
      "sitemapUrl": "http://a/s.xml", "delete_missing": false, "credentialId": ""})"));
  EXPECT_EQ(all.source_id, "src_1");
  EXPECT_EQ(all.name, "n");
  ASSERT_TRUE(all.description.has_value());  // "" is a value: it clears the description
  EXPECT_EQ(*all.description, "");
  EXPECT_EQ(all.root_path, "/r");
  EXPECT_EQ(all.provider_account, "a");
  ASSERT_TRUE(all.sync_interval_seconds.has_value());
  EXPECT_EQ(*all.sync_interval_seconds, 0);
  EXPECT_EQ(all.enabled, false);
  ASSERT_TRUE(all.urls.has_value());  // an empty list is present: it clears
  EXPECT_TRUE(all.urls->empty());
  EXPECT_EQ(all.sitemap_url, "http://a/s.xml");
  EXPECT_EQ(all.delete_missing, false);
  ASSERT_TRUE(all.credential_id.has_value());  // "" removes the credential
  EXPECT_EQ(*all.credential_id, "");

  // A null is an absent field.
  UpdateSourceRequest nulls = Parse<UpdateSourceRequest>(
      J(R"({"name": null, "urls": null, "credentialId": null, "provider": null})"));
  EXPECT_FALSE(nulls.name || nulls.urls || nulls.credential_id);
  EXPECT_EQ(
      Parse<UpdateSourceRequest>(J(R"({"sync_interval_seconds": 120})")).sync_interval_seconds,
      120);

  // The provider and the key prefix are fixed at creation.
  for (const char* fixed : {"provider", "keyPrefix", "key_prefix"}) {
    Json j = {{"bucket", "kbase"}, {"sourceId", "src_1"}, {fixed, "x"}};
    Status s = ParseError<UpdateSourceRequest>(j);
    ExpectInvalidField(s, fixed);
    EXPECT_NE(s.message().find("fixed at creation"), std::string::npos) << s.ToString();
  }
  ExpectInvalidField(ParseError<UpdateSourceRequest>(J(R"({"provider": "local_dir"})")),
                     "provider");

  ExpectInvalidField(ParseError<UpdateSourceRequest>(J(R"({"syncIntervalSeconds": "x"})")),
                     "syncIntervalSeconds");
  ExpectInvalidField(ParseError<UpdateSourceRequest>(J(R"({"urls": "http://a/"})")), "urls");
  ExpectInvalidField(ParseError<UpdateSourceRequest>(J(R"({"enabled": 1})")), "enabled");
  ExpectInvalidField(ParseError<UpdateSourceRequest>(J(R"({"credential_id": false})")),
                     "credential_id");
}

TEST(SourcesWireJsonTest, SyncRequestAndReport) {
  SyncSourceRequest r = Parse<SyncSourceRequest>(J(R"({"bucket": "kbase", "sourceId": "src_1"})"));
  EXPECT_FALSE(r.full);
  EXPECT_FALSE(r.dry_run);
  r = Parse<SyncSourceRequest>(
      J(R"({"bucket": "kbase", "source_id": "src_1", "full": true, "dry_run": "true"})"));
  EXPECT_EQ(r.source_id, "src_1");
  EXPECT_TRUE(r.full);
  EXPECT_TRUE(r.dry_run);
  EXPECT_EQ(wire::ToJson(r), J(R"({"bucket": "kbase", "sourceId": "src_1", "full": true,
                                   "dryRun": true})"));
  RoundTrip(r);
  ExpectInvalidField(ParseError<SyncSourceRequest>(J(R"({"dryRun": "yes"})")), "dryRun");
  ExpectInvalidField(ParseError<SyncSourceRequest>(J(R"({"full": 1})")), "full");

  SourceSyncReport rep;
  rep.source_id = "src_1";
  rep.dry_run = true;
  rep.discovered = 10;
  rep.added = 2;
  rep.changed = 3;
  rep.unchanged = 4;
  rep.deleted = 1;
  rep.failed = 1;
  rep.skipped = 5;
  rep.bytes_imported = 1ull << 35;
  rep.problems = {"a/b.txt: permission denied", "link: points outside the root"};
  rep.status = SourceStatus::kError;
  rep.message = "2 added, 3 changed";
  rep.started_at = 100;
  rep.finished_at = 200;
  Json j = wire::ToJson(rep);
  EXPECT_EQ(j, J(R"({"sourceId": "src_1", "dryRun": true, "discovered": "10", "added": "2",
      "changed": "3", "unchanged": "4", "deleted": "1", "failed": "1", "skipped": "5",
      "bytesImported": "34359738368",
      "problems": ["a/b.txt: permission denied", "link: points outside the root"],
      "status": "SOURCE_STATUS_ERROR", "message": "2 added, 3 changed", "startedAt": "100",
      "finishedAt": "200"})"));
  EXPECT_EQ(Keys(wire::ToJson(SourceSyncReport{})), kReportKeys);
  SourceSyncReport back = RoundTrip(rep);
  EXPECT_EQ(back.bytes_imported, 1ull << 35);
  EXPECT_EQ(back.problems.size(), 2u);
  RoundTrip(SourceSyncReport{});
  // Counters as numbers are read too.
  EXPECT_EQ(Parse<SourceSyncReport>(J(R"({"added": 7, "bytes_imported": 9})")).bytes_imported, 9u);
  ExpectInvalidField(ParseError<SourceSyncReport>(J(R"({"added": "-1"})")), "added");
  ExpectInvalidField(ParseError<SourceSyncReport>(J(R"({"problems": [1]})")), "problems[0]");
  ExpectInvalidField(ParseError<SourceSyncReport>(J(R"({"status": "broken"})")), "status");
}

TEST(SourcesWireJsonTest, CredentialTypeNames) {
  struct Case {
    const char* text;
    CredentialType type;
  };
  for (const Case& c :
       {Case{"CREDENTIAL_TYPE_PAT", CredentialType::kPat}, Case{"pat", CredentialType::kPat},
        Case{"CREDENTIAL_TYPE_API_KEY", CredentialType::kApiKey},
        Case{"api_key", CredentialType::kApiKey}, Case{"api-key", CredentialType::kApiKey},
        Case{"CREDENTIAL_TYPE_OAUTH", CredentialType::kOAuth},
        Case{"OAuth", CredentialType::kOAuth},
        Case{"CREDENTIAL_TYPE_ACCESS_KEY", CredentialType::kAccessKey},
        Case{"access_key", CredentialType::kAccessKey},
        Case{"unspecified", CredentialType::kUnspecified}}) {
    CredentialInfo info = Parse<CredentialInfo>(Json{{"credentialType", c.text}});
    EXPECT_EQ(info.credential_type, c.type) << c.text;
  }
  // Numbers are the C++ values: PAT 1, API_KEY 2, OAUTH 3, ACCESS_KEY 4.
  EXPECT_EQ(Parse<CredentialInfo>(J(R"({"credentialType": 3})")).credential_type,
            CredentialType::kOAuth);
  EXPECT_EQ(Parse<CredentialInfo>(J(R"({"credential_type": 4})")).credential_type,
            CredentialType::kAccessKey);
  // Output: the wire names.
  auto wire_name = [](CredentialType t) {
    CredentialInfo info;
    info.credential_type = t;
    return wire::ToJson(info)["credentialType"].get<std::string>();
  };
  EXPECT_EQ(wire_name(CredentialType::kUnspecified), "CREDENTIAL_TYPE_UNSPECIFIED");
  EXPECT_EQ(wire_name(CredentialType::kPat), "CREDENTIAL_TYPE_PAT");
  EXPECT_EQ(wire_name(CredentialType::kApiKey), "CREDENTIAL_TYPE_API_KEY");
  EXPECT_EQ(wire_name(CredentialType::kOAuth), "CREDENTIAL_TYPE_OAUTH");
  EXPECT_EQ(wire_name(CredentialType::kAccessKey), "CREDENTIAL_TYPE_ACCESS_KEY");

  Status s = ParseError<CredentialInfo>(J(R"({"credentialType": "bearer"})"));
  ExpectInvalidField(s, "credentialType");
  EXPECT_NE(s.message().find("CREDENTIAL_TYPE_ACCESS_KEY"), std::string::npos) << s.ToString();
  ExpectInvalidField(ParseError<CredentialInfo>(J(R"({"credential_type": 5})")), "credential_type");
  ExpectInvalidField(ParseError<CredentialInfo>(J(R"({"credentialType": true})")),
                     "credentialType");
}

TEST(SourcesWireJsonTest, StoreCredentialRequestPayloads) {
  StoreCredentialRequest pat = Parse<StoreCredentialRequest>(J(R"({
      "provider": "http", "credentialType": "pat", "displayName": "ci", "isPrimary": true,
      "bucket": "kbase", "sourceId": "src_1", "endpoint": "https://h/x",
      "pat": {"token": "tok", "username": "alice"}})"));
  EXPECT_EQ(pat.provider, SourceProvider::kHttp);
  EXPECT_EQ(pat.credential_type, CredentialType::kPat);
  EXPECT_EQ(pat.display_name, "ci");
  EXPECT_TRUE(pat.is_primary);
  EXPECT_EQ(pat.bucket, "kbase");
  EXPECT_EQ(pat.source_id, "src_1");
  EXPECT_EQ(pat.endpoint, "https://h/x");
  ASSERT_TRUE(pat.pat.has_value());
  EXPECT_EQ(pat.pat->token, "tok");
  EXPECT_EQ(pat.pat->username, "alice");
  EXPECT_FALSE(pat.api_key || pat.access_key || pat.oauth);

  StoreCredentialRequest api = Parse<StoreCredentialRequest>(
      J(R"({"credential_type": "CREDENTIAL_TYPE_API_KEY", "api_key": {"key": "k"}})"));
  ASSERT_TRUE(api.api_key.has_value());
  EXPECT_EQ(api.api_key->key, "k");
  EXPECT_FALSE(api.pat || api.access_key || api.oauth);

  StoreCredentialRequest ak = Parse<StoreCredentialRequest>(J(R"({"provider": "remote_s3",
      "credentialType": "access_key",
      "accessKey": {"accessKeyId": "AKIA1", "secret_access_key": "s3cr3t"}})"));
  EXPECT_EQ(ak.provider, SourceProvider::kRemoteS3);
  ASSERT_TRUE(ak.access_key.has_value());
  EXPECT_EQ(ak.access_key->access_key_id, "AKIA1");
  EXPECT_EQ(ak.access_key->secret_access_key, "s3cr3t");

  StoreCredentialRequest oauth = Parse<StoreCredentialRequest>(J(R"({"credentialType": "oauth",
      "oauth": {"accessToken": "at", "refresh_token": "rt", "expiresAt": "1716843600000",
                "config": {"clientId": "cid", "clientSecret": "cs",
                           "authorizeUrl": "https://p/auth", "token_url": "https://p/token",
                           "scopes": ["read", "write"], "redirectUri": "http://localhost/cb"}}})"));
  ASSERT_TRUE(oauth.oauth.has_value());
  EXPECT_EQ(oauth.oauth->access_token, "at");
  EXPECT_EQ(oauth.oauth->refresh_token, "rt");
  EXPECT_EQ(oauth.oauth->expires_at, 1716843600000);
  EXPECT_EQ(oauth.oauth->config.client_id, "cid");
  EXPECT_EQ(oauth.oauth->config.client_secret, "cs");
  EXPECT_EQ(oauth.oauth->config.authorize_url, "https://p/auth");
  EXPECT_EQ(oauth.oauth->config.token_url, "https://p/token");
  EXPECT_EQ(oauth.oauth->config.scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(oauth.oauth->config.redirect_uri, "http://localhost/cb");
  // An OAuth payload without config: the config stays empty.
  StoreCredentialRequest bare =
      Parse<StoreCredentialRequest>(J(R"({"oauth": {"accessToken": "at", "expiresAt": 5}})"));
  ASSERT_TRUE(bare.oauth.has_value());
  EXPECT_EQ(bare.oauth->expires_at, 5);
  EXPECT_TRUE(bare.oauth->config.client_id.empty());

  // No payload and null payloads parse (the service refuses a missing payload).
  StoreCredentialRequest none =
      Parse<StoreCredentialRequest>(J(R"({"provider": "http", "pat": null, "apiKey": null})"));
  EXPECT_FALSE(none.pat || none.api_key || none.access_key || none.oauth);

  // Two payloads: refused naming both, as the client spelled them.
  Status two = ParseError<StoreCredentialRequest>(
      J(R"({"credentialType": "pat", "pat": {"token": "t"}, "api_key": {"key": "k"}})"));
  ExpectInvalidField(two, "api_key");
  EXPECT_NE(two.message().find("\"pat\""), std::string::npos) << two.ToString();
  Status three =
      ParseError<StoreCredentialRequest>(J(R"({"accessKey": {}, "oauth": {}, "pat": {}})"));
  EXPECT_EQ(three.code(), StatusCode::kInvalidArgument) << three.ToString();
  // The refusal does not echo a secret.
  EXPECT_EQ(two.message().find("\"t\""), std::string::npos) << two.ToString();

  // Wrong types, nested paths, unknown enum names.
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"pat": "tok"})")), "pat");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"pat": {"token": 5}})")),
                     "pat.token");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"apiKey": {"key": ["k"]}})")),
                     "apiKey.key");
  ExpectInvalidField(
      ParseError<StoreCredentialRequest>(J(R"({"access_key": {"access_key_id": 1}})")),
      "access_key.access_key_id");
  ExpectInvalidField(
      ParseError<StoreCredentialRequest>(J(R"({"oauth": {"config": {"scopes": ["a", 2]}}})")),
      "oauth.config.scopes[1]");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"oauth": {"config": "x"}})")),
                     "oauth.config");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"oauth": {"expiresAt": "later"}})")),
                     "oauth.expiresAt");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"credentialType": "password"})")),
                     "credentialType");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"provider": "ftp"})")), "provider");
  ExpectInvalidField(ParseError<StoreCredentialRequest>(J(R"({"is_primary": "yes"})")),
                     "is_primary");
}

TEST(SourcesWireJsonTest, CredentialInfoAndListing) {
  CredentialInfo c;
  c.credential_id = "cred_1";
  c.provider = SourceProvider::kHttp;
  c.credential_type = CredentialType::kOAuth;
  c.display_name = "google";
  c.is_primary = true;
  c.bucket = "kbase";
  c.source_id = "src_1";
  c.endpoint = "https://h/x";
  c.username = "";
  c.access_key_id = "";
  c.scopes = {"read"};
  c.expires_at = 1716843600000;
  c.refreshable = true;
  c.key_fingerprint = "k3mk:0123abcd";
  c.created_at = 1;
  c.updated_at = 2;
  c.last_validated_at = 3;
  c.last_validation_ok = true;
  c.last_error = "";
  Json j = wire::ToJson(c);
  EXPECT_EQ(j, J(R"({"credentialId": "cred_1", "provider": "SOURCE_PROVIDER_HTTP",
      "credentialType": "CREDENTIAL_TYPE_OAUTH", "displayName": "google", "isPrimary": true,
      "bucket": "kbase", "sourceId": "src_1", "endpoint": "https://h/x", "username": "",
      "accessKeyId": "", "scopes": ["read"], "expiresAt": "1716843600000",
      "refreshable": true, "keyFingerprint": "k3mk:0123abcd", "createdAt": "1",
      "updatedAt": "2", "lastValidatedAt": "3", "lastValidationOk": true, "lastError": ""})"));
  EXPECT_EQ(Keys(wire::ToJson(CredentialInfo{})), kCredentialKeys);
  CredentialInfo back = RoundTrip(c);
  EXPECT_EQ(back.credential_type, CredentialType::kOAuth);
  EXPECT_EQ(back.expires_at, 1716843600000);
  RoundTrip(CredentialInfo{});
  ExpectInvalidField(ParseError<CredentialInfo>(J(R"({"expires_at": "x"})")), "expires_at");
  ExpectInvalidField(ParseError<CredentialInfo>(J(R"({"refreshable": "sometimes"})")),
                     "refreshable");

  ListCredentialsRequest lr = Parse<ListCredentialsRequest>(J(R"({})"));
  EXPECT_EQ(lr.provider, SourceProvider::kUnspecified);
  EXPECT_EQ(lr.page_size, 0);
  lr = Parse<ListCredentialsRequest>(
      J(R"({"provider": "github", "page_size": "10", "pageToken": "t"})"));
  EXPECT_EQ(lr.provider, SourceProvider::kGithub);
  EXPECT_EQ(lr.page_size, 10);
  EXPECT_EQ(lr.page_token, "t");
  EXPECT_EQ(wire::ToJson(lr), J(R"({"provider": "SOURCE_PROVIDER_GITHUB", "pageSize": 10,
                                    "pageToken": "t"})"));
  RoundTrip(lr);
  // "" (an empty query parameter) is no filter.
  EXPECT_EQ(Parse<ListCredentialsRequest>(J(R"({"provider": ""})")).provider,
            SourceProvider::kUnspecified);
  ExpectInvalidField(ParseError<ListCredentialsRequest>(J(R"({"provider": "dropbox"})")),
                     "provider");
  ExpectInvalidField(ParseError<ListCredentialsRequest>(J(R"({"provider": 1.5})")), "provider");
  ExpectInvalidField(ParseError<ListCredentialsRequest>(J(R"({"pageSize": "ten"})")), "pageSize");

  ListCredentialsResponse resp{.credentials = {c, CredentialInfo{}}, .pagination = {"next", 3}};
  Json rj = wire::ToJson(resp);
  EXPECT_EQ(Keys(rj), (std::set<std::string>{"credentials", "pagination"}));
  EXPECT_EQ(rj["pagination"], J(R"({"nextPageToken": "next", "totalCount": "3"})"));
  ListCredentialsResponse rback = RoundTrip(resp);
  ASSERT_EQ(rback.credentials.size(), 2u);
  EXPECT_EQ(rback.credentials[0].credential_id, "cred_1");
  EXPECT_EQ(rback.pagination.total_count, 3);
  RoundTrip(ListCredentialsResponse{});
  ExpectInvalidField(
      ParseError<ListCredentialsResponse>(J(R"({"credentials": [{}, {"credentialType": 9}]})")),
      "credentials[1].credentialType");
  ExpectInvalidField(ParseError<ListCredentialsResponse>(J(R"({"credentials": {}})")),
                     "credentials");
}

TEST(SourcesWireJsonTest, ValidateAndOAuth) {
  ValidateCredentialResponse v{.valid = true,
                               .message = "GET https://h/x answered 200",
                               .url = "https://h/x",
                               .validated_at = 42};
  EXPECT_EQ(wire::ToJson(v), J(R"({"valid": true, "message": "GET https://h/x answered 200",
                                   "url": "https://h/x", "validatedAt": "42"})"));
  RoundTrip(v);
  RoundTrip(ValidateCredentialResponse{});
  ExpectInvalidField(ParseError<ValidateCredentialResponse>(J(R"({"valid": "no"})")), "valid");

  GetOAuthUrlRequest g = Parse<GetOAuthUrlRequest>(J(R"({"provider": "google_drive",
      "config": {"client_id": "cid", "authorizeUrl": "https://p/auth",
                 "tokenUrl": "https://p/token", "scopes": ["drive.readonly"],
                 "redirect_uri": "http://localhost:8080/cb"},
      "displayName": "drive", "is_primary": true, "bucket": "kbase", "sourceId": "src_1",
      "endpoint": "https://p/api"})"));
  EXPECT_EQ(g.provider, SourceProvider::kGoogleDrive);
  EXPECT_EQ(g.config.client_id, "cid");
  EXPECT_TRUE(g.config.client_secret.empty());
  EXPECT_EQ(g.config.authorize_url, "https://p/auth");
  EXPECT_EQ(g.config.token_url, "https://p/token");
  EXPECT_EQ(g.config.scopes, (std::vector<std::string>{"drive.readonly"}));
  EXPECT_EQ(g.config.redirect_uri, "http://localhost:8080/cb");
  EXPECT_EQ(g.display_name, "drive");
  EXPECT_TRUE(g.is_primary);
  EXPECT_EQ(g.bucket, "kbase");
  EXPECT_EQ(g.source_id, "src_1");
  EXPECT_EQ(g.endpoint, "https://p/api");
  ExpectInvalidField(ParseError<GetOAuthUrlRequest>(J(R"({"config": []})")), "config");
  ExpectInvalidField(ParseError<GetOAuthUrlRequest>(J(R"({"config": {"tokenUrl": 1}})")),
                     "config.tokenUrl");

  GetOAuthUrlResponse u{.authorization_url = "https://p/auth?state=s&code_challenge=c",
                        .state = "s",
                        .expires_at = 600000};
  EXPECT_EQ(wire::ToJson(u), J(R"({"authorizationUrl": "https://p/auth?state=s&code_challenge=c",
                                   "state": "s", "expiresAt": "600000"})"));
  RoundTrip(u);
  RoundTrip(GetOAuthUrlResponse{});

  ExchangeOAuthCodeRequest e = Parse<ExchangeOAuthCodeRequest>(J(R"({"state": "s", "code": "c"})"));
  EXPECT_EQ(e.state, "s");
  EXPECT_EQ(e.code, "c");
  ExpectInvalidField(ParseError<ExchangeOAuthCodeRequest>(J(R"({"code": 7})")), "code");
}

// ---------------------------------------------------------------------------------------
// End to end through Db::call

constexpr char kSecret[] = "tok-SECRET-123";

class SourcesWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.master_key = std::string(64, 'a');  // no key file, no environment
    auto opened = Db::open(data_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_.emplace(std::move(opened).value());
    Ok("StorageService.CreateBucket", {{"name", "kbase"}});
  }

  // The response text as Db::call gives it ("" when the call failed).
  std::string OkText(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    return r.ok() ? *r : std::string();
  }

  Json Ok(std::string_view method, const Json& request) {
    std::string text = OkText(method, request);
    return text.empty() ? Json::object() : Json::parse(text);
  }

  Status Fails(std::string_view method, const Json& request) {
    auto r = db_->call(method, request.dump());
    EXPECT_FALSE(r.ok()) << method << " answered " << (r.ok() ? *r : "");
    return r.status();
  }

  // INVALID_ARGUMENT whose message contains one of `names`.
  void ExpectInvalidNaming(std::string_view method, const Json& request,
                           std::initializer_list<const char*> names) {
    Status s = Fails(method, request);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    bool named = std::any_of(names.begin(), names.end(), [&](const char* n) {
      return s.message().find(n) != std::string::npos;
    });
    EXPECT_TRUE(named) << "message names none of the expected fields: " << s.ToString();
  }

  void WriteFile(const std::string& relative, const std::string& body) {
    std::filesystem::path p = std::filesystem::path(files_.path()) / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << body;
    ASSERT_TRUE(out.good()) << p;
  }

  std::vector<std::string> ObjectKeys(const std::string& prefix) {
    Json list = Ok("StorageService.ListObjects", {{"bucket", "kbase"}, {"prefix", prefix}});
    std::vector<std::string> keys;
    for (const Json& o : list["objects"]) keys.push_back(o.value("key", ""));
    return keys;
  }

  TempDir data_;
  TempDir files_;  // the LOCAL_DIR source's root
  std::optional<Db> db_;
};

TEST_F(SourcesWireTest, MethodsAreListed) {
  const std::vector<std::string> methods = Db::methods();
  for (const char* m :
       {"SourceService.CreateSource", "SourceService.GetSource", "SourceService.ListSources",
        "SourceService.UpdateSource", "SourceService.DeleteSource", "SourceService.SyncSource",
        "SourceService.StoreCredential", "SourceService.GetCredential",
        "SourceService.ListCredentials", "SourceService.DeleteCredential",
        "SourceService.ValidateCredential", "SourceService.GetOAuthUrl",
        "SourceService.ExchangeOAuthCode", "SourceService.RefreshOAuthToken"}) {
    EXPECT_TRUE(std::find(methods.begin(), methods.end(), m) != methods.end()) << m;
  }
}

TEST_F(SourcesWireTest, LocalDirSourceLifecycle) {
  const std::string a = "alpha: the first file\n";
  const std::string b = "# Beta\n\nthe second file, one level down\n";
  WriteFile("a.txt", a);
  WriteFile("sub/b.md", b);

  Json created = Ok("SourceService.CreateSource", {{"bucket", "kbase"},
                                                   {"provider", "local_dir"},
                                                   {"name", "docs"},
                                                   {"description", "local docs"},
                                                   {"rootPath", files_.path()},
                                                   {"syncIntervalSeconds", 0}});
  EXPECT_EQ(Keys(created), kSourceKeys) << created.dump();
  const std::string source_id = created.value("sourceId", "");
  ASSERT_EQ(source_id.rfind("src_", 0), 0u) << created.dump();
  EXPECT_EQ(created["bucket"], "kbase");
  EXPECT_EQ(created["provider"], "SOURCE_PROVIDER_LOCAL_DIR");
  EXPECT_EQ(created["name"], "docs");
  EXPECT_EQ(created["description"], "local docs");
  EXPECT_EQ(created["rootPath"], files_.path());
  EXPECT_EQ(created["syncIntervalSeconds"], "0");
  EXPECT_EQ(created["enabled"], true);        // absent: the default
  EXPECT_EQ(created["deleteMissing"], true);  // absent: the default
  EXPECT_EQ(created["keyPrefix"], "docs");    // absent: the source's name
  EXPECT_EQ(created["urls"], Json::array());
  EXPECT_EQ(created["credentialId"], "");
  EXPECT_EQ(created["status"], "SOURCE_STATUS_ACTIVE");
  EXPECT_EQ(created["lastSyncAt"], "0");
  EXPECT_NE(created["createdAt"], "0");

  Json report = Ok("SourceService.SyncSource", {{"bucket", "kbase"}, {"sourceId", source_id}});
  EXPECT_EQ(Keys(report), kReportKeys) << report.dump();
  EXPECT_EQ(report["sourceId"], source_id);
  EXPECT_EQ(report["dryRun"], false);
  EXPECT_EQ(report["discovered"], "2") << report.dump();
  EXPECT_EQ(report["added"], "2") << report.dump();
  EXPECT_EQ(report["changed"], "0");
  EXPECT_EQ(report["unchanged"], "0");
  EXPECT_EQ(report["deleted"], "0");
  EXPECT_EQ(report["failed"], "0");
  EXPECT_EQ(report["skipped"], "0");
  EXPECT_EQ(report["bytesImported"], std::to_string(a.size() + b.size()));
  EXPECT_EQ(report["problems"], Json::array());
  EXPECT_EQ(report["status"], "SOURCE_STATUS_ACTIVE");
  EXPECT_TRUE(report["message"].is_string());
  EXPECT_NE(report["startedAt"], "0");
  EXPECT_NE(report["finishedAt"], "0");
  // Imported as "<keyPrefix>/<path under the root>".
  EXPECT_EQ(ObjectKeys("docs/"), (std::vector<std::string>{"docs/a.txt", "docs/sub/b.md"}));
  Json object = Ok("StorageService.GetObject", {{"bucket", "kbase"}, {"key", "docs/sub/b.md"}});
  std::string body;
  ASSERT_TRUE(util::Base64Decode(object.value("body", ""), &body)) << object.dump();
  EXPECT_EQ(body, b);

  // A dry run of an unchanged directory: everything unchanged, nothing done.
  Json dry = Ok("SourceService.SyncSource",
                {{"bucket", "kbase"}, {"source_id", source_id}, {"dry_run", true}});
  EXPECT_EQ(dry["dryRun"], true) << dry.dump();
  EXPECT_EQ(dry["discovered"], "2");
  EXPECT_EQ(dry["unchanged"], "2") << dry.dump();
  EXPECT_EQ(dry["added"], "0");
  EXPECT_EQ(dry["bytesImported"], "0");

  // Listed with the bucket's internal source; the same document as GetSource.
  Json list = Ok("SourceService.ListSources", {{"bucket", "kbase"}});
  ASSERT_EQ(list["sources"].size(), 2u) << list.dump();
  EXPECT_EQ(list["pagination"]["totalCount"], "2");
  Json listed;
  for (const Json& s : list["sources"]) {
    if (s["sourceId"] == source_id) listed = s;
  }
  ASSERT_FALSE(listed.is_null()) << list.dump();
  EXPECT_EQ(listed["totalObjects"], "2") << listed.dump();
  EXPECT_EQ(listed["totalBytes"], std::to_string(a.size() + b.size()));
  EXPECT_NE(listed["lastSyncAt"], "0");
  EXPECT_NE(listed["lastSuccessAt"], "0");
  EXPECT_EQ(listed["lastError"], "");
  Json got = Ok("SourceService.GetSource", {{"bucket", "kbase"}, {"sourceId", source_id}});
  EXPECT_EQ(got, listed);

  // PATCH: only the fields present change.
  Json updated = Ok("SourceService.UpdateSource", {{"bucket", "kbase"},
                                                   {"sourceId", source_id},
                                                   {"syncIntervalSeconds", "0"},
                                                   {"description", "all the local docs"}});
  EXPECT_EQ(Keys(updated), kSourceKeys);
  EXPECT_EQ(updated["description"], "all the local docs");
  EXPECT_EQ(updated["syncIntervalSeconds"], "0");
  EXPECT_EQ(updated["name"], "docs");
  EXPECT_EQ(updated["rootPath"], files_.path());
  EXPECT_EQ(updated["keyPrefix"], "docs");
  EXPECT_EQ(updated["enabled"], true);
  EXPECT_EQ(updated["createdAt"], created["createdAt"]);
  EXPECT_EQ(Ok("SourceService.GetSource", {{"bucket", "kbase"}, {"source_id", source_id}}),
            updated);
  // The provider and key prefix are refused by name; nothing changes.
  ExpectInvalidNaming("SourceService.UpdateSource",
                      {{"bucket", "kbase"}, {"sourceId", source_id}, {"provider", "http"}},
                      {"\"provider\""});
  ExpectInvalidNaming("SourceService.UpdateSource",
                      {{"bucket", "kbase"}, {"sourceId", source_id}, {"key_prefix", "other"}},
                      {"\"key_prefix\""});
  ExpectInvalidNaming(
      "SourceService.UpdateSource",
      {{"bucket", "kbase"}, {"sourceId", source_id}, {"syncIntervalSeconds", "hourly"}},
      {"\"syncIntervalSeconds\""});
  EXPECT_EQ(Ok("SourceService.GetSource", {{"bucket", "kbase"}, {"sourceId", source_id}}), updated);

  // Delete: {}; the source is gone, the objects it imported stay.
  EXPECT_EQ(Ok("SourceService.DeleteSource", {{"bucket", "kbase"}, {"sourceId", source_id}}),
            Json::object());
  EXPECT_EQ(Fails("SourceService.GetSource", {{"bucket", "kbase"}, {"sourceId", source_id}}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      Fails("SourceService.SyncSource", {{"bucket", "kbase"}, {"sourceId", source_id}}).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(Ok("SourceService.ListSources", {{"bucket", "kbase"}})["sources"].size(), 1u);
  EXPECT_EQ(ObjectKeys("docs/").size(), 2u);

  // The bucket's internal source cannot be deleted.
  const std::string internal =
      Ok("StorageService.GetBucket", {{"name", "kbase"}}).value("internalSourceId", "");
  ASSERT_FALSE(internal.empty());
  EXPECT_EQ(
      Fails("SourceService.DeleteSource", {{"bucket", "kbase"}, {"sourceId", internal}}).code(),
      StatusCode::kFailedPrecondition);
}

TEST_F(SourcesWireTest, BadSourcesAreRefused) {
  // A root that does not exist, or is a file: INVALID_ARGUMENT naming rootPath.
  const std::string missing = files_.path() + "/does-not-exist";
  ExpectInvalidNaming("SourceService.CreateSource",
                      {{"bucket", "kbase"},
                       {"provider", "SOURCE_PROVIDER_LOCAL_DIR"},
                       {"name", "gone"},
                       {"rootPath", missing}},
                      {"rootPath", "root_path"});
  WriteFile("plain.txt", "x");
  ExpectInvalidNaming("SourceService.CreateSource",
                      {{"bucket", "kbase"},
                       {"provider", "local_dir"},
                       {"name", "file"},
                       {"rootPath", files_.path() + "/plain.txt"}},
                      {"rootPath", "root_path"});
  // The wire's own checks.
  ExpectInvalidNaming("SourceService.CreateSource",
                      {{"bucket", "kbase"}, {"provider", "dropbox"}, {"name", "x"}},
                      {"\"provider\""});
  ExpectInvalidNaming("SourceService.CreateSource",
                      {{"bucket", "kbase"},
                       {"provider", "local_dir"},
                       {"name", "x"},
                       {"rootPath", files_.path()},
                       {"syncIntervalSeconds", "often"}},
                      {"\"syncIntervalSeconds\""});
  ExpectInvalidNaming("SourceService.CreateSource",
                      {{"bucket", "kbase"}, {"provider", "http"}, {"name", "x"}, {"urls", "u"}},
                      {"\"urls\""});
  ExpectInvalidNaming("SourceService.SyncSource",
                      {{"bucket", "kbase"}, {"sourceId", "src_x"}, {"full", "always"}},
                      {"\"full\""});
  ExpectInvalidNaming("SourceService.GetSource", {{"bucket", "kbase"}, {"sourceId", 1}},
                      {"\"sourceId\""});
  EXPECT_EQ(Fails("SourceService.CreateSource", Json::array()).code(),
            StatusCode::kInvalidArgument);
  // Nothing was created.
  EXPECT_EQ(Ok("SourceService.ListSources", {{"bucket", "kbase"}})["sources"].size(), 1u);
}

TEST_F(SourcesWireTest, CredentialsNeverShowTheSecret) {
  const std::string stored_text = OkText("SourceService.StoreCredential",
                                         {{"provider", "SOURCE_PROVIDER_HTTP"},
                                          {"credentialType", "CREDENTIAL_TYPE_PAT"},
                                          {"displayName", "ci token"},
                                          {"endpoint", "http://127.0.0.1:1/x"},
                                          {"pat", {{"token", kSecret}, {"username", "alice"}}}});
  ASSERT_FALSE(stored_text.empty());
  EXPECT_EQ(stored_text.find(kSecret), std::string::npos) << stored_text;
  Json stored = Json::parse(stored_text);
  EXPECT_EQ(Keys(stored), kCredentialKeys) << stored_text;
  const std::string id = stored.value("credentialId", "");
  ASSERT_EQ(id.rfind("cred_", 0), 0u) << stored_text;
  EXPECT_EQ(stored["provider"], "SOURCE_PROVIDER_HTTP");
  EXPECT_EQ(stored["credentialType"], "CREDENTIAL_TYPE_PAT");
  EXPECT_EQ(stored["displayName"], "ci token");
  EXPECT_EQ(stored["endpoint"], "http://127.0.0.1:1/x");
  EXPECT_EQ(stored["username"], "alice");
  EXPECT_EQ(stored["refreshable"], false);
  EXPECT_FALSE(stored.value("keyFingerprint", "").empty()) << stored_text;

  const std::string got_text = OkText("SourceService.GetCredential", {{"credentialId", id}});
  EXPECT_EQ(got_text.find(kSecret), std::string::npos) << got_text;
  Json got = Json::parse(got_text.empty() ? "{}" : got_text);
  EXPECT_EQ(got["username"], "alice");
  EXPECT_EQ(got["credentialId"], id);

  const std::string list_text = OkText("SourceService.ListCredentials", Json::object());
  EXPECT_EQ(list_text.find(kSecret), std::string::npos) << list_text;
  Json list = Json::parse(list_text.empty() ? "{}" : list_text);
  ASSERT_EQ(list["credentials"].size(), 1u) << list_text;
  EXPECT_EQ(list["credentials"][0]["username"], "alice");
  EXPECT_EQ(list["credentials"][0], got);
  EXPECT_EQ(list["pagination"]["totalCount"], "1");
  // The provider filter, in short form.
  EXPECT_EQ(Ok("SourceService.ListCredentials", {{"provider", "http"}})["credentials"].size(), 1u);
  EXPECT_TRUE(Ok("SourceService.ListCredentials", {{"provider", "github"}})["credentials"].empty());

  // Nothing listens on port 1: UNAVAILABLE, and the error does not carry the secret either.
  Status validate = Fails("SourceService.ValidateCredential", {{"credential_id", id}});
  EXPECT_EQ(validate.code(), StatusCode::kUnavailable) << validate.ToString();
  EXPECT_EQ(validate.message().find(kSecret), std::string::npos) << validate.ToString();
  const std::string after_text = OkText("SourceService.GetCredential", {{"credentialId", id}});
  EXPECT_EQ(after_text.find(kSecret), std::string::npos) << after_text;

  EXPECT_EQ(Ok("SourceService.DeleteCredential", {{"credentialId", id}}), Json::object());
  EXPECT_EQ(Fails("SourceService.GetCredential", {{"credentialId", id}}).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(Ok("SourceService.ListCredentials", Json::object())["credentials"].empty());
}

TEST_F(SourcesWireTest, BadCredentialsAreRefused) {
  // ACCESS_KEY is not a type HTTP accepts.
  Status wrong_type =
      Fails("SourceService.StoreCredential",
            {{"provider", "SOURCE_PROVIDER_HTTP"},
             {"credentialType", "CREDENTIAL_TYPE_ACCESS_KEY"},
             {"accessKey", {{"accessKeyId", "AKIA1"}, {"secretAccessKey", kSecret}}}});
  EXPECT_EQ(wrong_type.code(), StatusCode::kInvalidArgument) << wrong_type.ToString();
  EXPECT_EQ(wrong_type.message().find(kSecret), std::string::npos) << wrong_type.ToString();

  // Two payloads: refused by the wire, naming both.
  ExpectInvalidNaming("SourceService.StoreCredential",
                      {{"provider", "http"},
                       {"credentialType", "pat"},
                       {"pat", {{"token", kSecret}}},
                       {"apiKey", {{"key", kSecret}}}},
                      {"\"apiKey\""});
  // Unknown enum names and wrong types name the field.
  ExpectInvalidNaming(
      "SourceService.StoreCredential",
      {{"provider", "http"}, {"credentialType", "bearer"}, {"pat", {{"token", "t"}}}},
      {"\"credentialType\""});
  ExpectInvalidNaming("SourceService.StoreCredential",
                      {{"provider", "http"}, {"credentialType", "pat"}, {"pat", {{"token", 1}}}},
                      {"\"pat.token\""});
  ExpectInvalidNaming("SourceService.ListCredentials", {{"provider", "dropbox"}}, {"\"provider\""});
  ExpectInvalidNaming("SourceService.GetCredential", {{"credentialId", {1}}}, {"\"credentialId\""});
  ExpectInvalidNaming("SourceService.ExchangeOAuthCode", {{"state", 5}, {"code", "c"}},
                      {"\"state\""});
  ExpectInvalidNaming("SourceService.GetOAuthUrl", {{"provider", "http"}, {"config", "x"}},
                      {"\"config\""});
  // No pending authorization has this state.
  EXPECT_EQ(
      Fails("SourceService.ExchangeOAuthCode", {{"state", "no-such-state"}, {"code", "c"}}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Fails("SourceService.GetCredential", {{"credentialId", "cred_nope"}}).code(),
            StatusCode::kNotFound);
  // Nothing was stored.
  EXPECT_TRUE(Ok("SourceService.ListCredentials", Json::object())["credentials"].empty());
}

}  // namespace
}  // namespace k3::test
