// Tests for wire/: the JSON conventions (json_util.h), the codecs of every type
// (storage_json.h, sources_json.h, events_json.h) and the RPC table (rpc.h) through Db::call.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "k3/db.h"
#include "util/hash.h"
#include "wire/events_json.h"
#include "wire/json_util.h"
#include "wire/rpc.h"
#include "wire/sources_json.h"
#include "wire/storage_json.h"

namespace k3::wire {
namespace {

Json J(const char* text) { return Json::parse(text); }

// The status is INVALID_ARGUMENT and its message names `field` in quotes.
#define EXPECT_INVALID_FIELD(expr, field)                                               \
  do {                                                                                  \
    ::k3::Status s_ = (expr);                                                           \
    EXPECT_EQ(s_.code(), ::k3::StatusCode::kInvalidArgument) << s_.ToString();          \
    EXPECT_NE(s_.message().find(std::string("\"") + (field) + "\""), std::string::npos) \
        << "message does not name " << (field) << ": " << s_.ToString();                \
  } while (0)

std::set<std::string> Keys(const Json& j) {
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  return keys;
}

// FromJson(ToJson(v)) through JSON text, then ToJson again: the same document.
template <typename T>
T RoundTrip(const T& v) {
  Json j = ToJson(v);
  Result<Json> reparsed = ParseJson(DumpJson(j));
  EXPECT_TRUE(reparsed.ok()) << reparsed.status().ToString();
  T out{};
  Status s = FromJson(*reparsed, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ToJson(out), j);
  return out;
}

// ---------------------------------------------------------------------------------------
// Conventions

TEST(WireJsonUtilTest, CamelToSnake) {
  EXPECT_EQ(CamelToSnake("storageQuotaBytes"), "storage_quota_bytes");
  EXPECT_EQ(CamelToSnake("name"), "name");
  EXPECT_EQ(CamelToSnake("internalSourceId"), "internal_source_id");
  EXPECT_EQ(JoinPath("", "a"), "a");
  EXPECT_EQ(JoinPath("corsRules[0]", "maxAgeSeconds"), "corsRules[0].maxAgeSeconds");
}

TEST(WireJsonUtilTest, FieldsFindCamelAndSnakeCase) {
  Json j = J(R"({"storage_quota_bytes": "5", "pageSize": 3, "gone": null})");
  Result<Fields> f = Fields::Of(j);
  ASSERT_TRUE(f.ok());
  std::string key;
  ASSERT_NE(f->Find("storageQuotaBytes", &key), nullptr);
  EXPECT_EQ(key, "storage_quota_bytes");
  EXPECT_NE(f->Find("pageSize"), nullptr);
  EXPECT_EQ(f->Find("gone"), nullptr);  // null = absent
  EXPECT_EQ(f->Find("missing"), nullptr);
  EXPECT_EQ(f->PathOf("storageQuotaBytes"), "storage_quota_bytes");
  EXPECT_EQ(f->PathOf("missing"), "missing");

  // camelCase wins when both spellings are present.
  Json both = J(R"({"pageToken": "camel", "page_token": "snake"})");
  Result<Fields> g = Fields::Of(both);
  ASSERT_TRUE(g.ok());
  std::string token;
  ASSERT_TRUE(g->Get("pageToken", &token).ok());
  EXPECT_EQ(token, "camel");
}

TEST(WireJsonUtilTest, AbsentAndNullLeaveDefaults) {
  Json j = J(R"({"a": null})");
  Result<Fields> f = Fields::Of(j);
  ASSERT_TRUE(f.ok());
  std::string s = "default";
  int64_t i = 7;
  bool b = true;
  std::optional<std::string> o;
  EXPECT_TRUE(f->Get("a", &s).ok());
  EXPECT_TRUE(f->Get("b", &i).ok());
  EXPECT_TRUE(f->Get("a", &b).ok());
  EXPECT_TRUE(f->Get("a", &o).ok());
  EXPECT_EQ(s, "default");
  EXPECT_EQ(i, 7);
  EXPECT_TRUE(b);
  EXPECT_FALSE(o.has_value());
}

TEST(WireJsonUtilTest, IntegersFromStringsAndNumbers) {
  int64_t i64 = 0;
  EXPECT_TRUE(ParseInt(J(R"("1716843600000")"), "t", &i64).ok());
  EXPECT_EQ(i64, 1716843600000);
  EXPECT_TRUE(ParseInt(J("1716843600000"), "t", &i64).ok());
  EXPECT_EQ(i64, 1716843600000);
  EXPECT_TRUE(ParseInt(J(R"("-42")"), "t", &i64).ok());
  EXPECT_EQ(i64, -42);
  EXPECT_TRUE(ParseInt(J(R"("9223372036854775807")"), "t", &i64).ok());
  EXPECT_EQ(i64, INT64_MAX);
  EXPECT_TRUE(ParseInt(J(R"("-9223372036854775808")"), "t", &i64).ok());
  EXPECT_EQ(i64, INT64_MIN);
  EXPECT_TRUE(ParseInt(J("1e3"), "t", &i64).ok());  // an integral number
  EXPECT_EQ(i64, 1000);
  EXPECT_TRUE(ParseInt(J("-5"), "t", &i64).ok());
  EXPECT_EQ(i64, -5);

  uint64_t u64 = 0;
  EXPECT_TRUE(ParseInt(J(R"("18446744073709551615")"), "u", &u64).ok());
  EXPECT_EQ(u64, UINT64_MAX);
  EXPECT_TRUE(ParseInt(J("18446744073709551615"), "u", &u64).ok());
  EXPECT_EQ(u64, UINT64_MAX);
  EXPECT_TRUE(ParseInt(J(R"("0")"), "u", &u64).ok());
  EXPECT_EQ(u64, 0u);

  int32_t i32 = 0;
  EXPECT_TRUE(ParseInt(J(R"("-2147483648")"), "i", &i32).ok());
  EXPECT_EQ(i32, INT32_MIN);
  uint32_t u32 = 0;
  EXPECT_TRUE(ParseInt(J("4294967295"), "p", &u32).ok());
  EXPECT_EQ(u32, UINT32_MAX);
}

TEST(WireJsonUtilTest, IntegersRejectedWithTheFieldNamed) {
  int64_t i64 = 0;
  uint64_t u64 = 0;
  int32_t i32 = 0;
  uint32_t u32 = 0;
  EXPECT_INVALID_FIELD(ParseInt(J("1.5"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("1.5")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("abc")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"(" 1")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("+1")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("1e3")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("true"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("[1]"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("9223372036854775808")"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("9223372036854775808"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("1e19"), "size", &i64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("18446744073709551616")"), "size", &u64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("-1"), "size", &u64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("-1")"), "size", &u64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("-1.0"), "size", &u64), "size");
  EXPECT_INVALID_FIELD(ParseInt(J("2147483648"), "n", &i32), "n");
  EXPECT_INVALID_FIELD(ParseInt(J("4294967296"), "n", &u32), "n");
  EXPECT_INVALID_FIELD(ParseInt(J(R"("-3")"), "n", &u32), "n");

  Status negative = ParseInt(J(R"("-1")"), "storageQuotaBytes", &u64);
  EXPECT_NE(negative.message().find("negative"), std::string::npos) << negative.ToString();
  Status range = ParseInt(J(R"("99999999999999999999")"), "storageQuotaBytes", &u64);
  EXPECT_NE(range.message().find("out of range"), std::string::npos) << range.ToString();
}

TEST(WireJsonUtilTest, StringsBoolsListsMaps) {
  std::string s;
  EXPECT_INVALID_FIELD(ParseString(J("5"), "name", &s), "name");
  EXPECT_INVALID_FIELD(ParseString(J("{}"), "name", &s), "name");
  bool b = false;
  EXPECT_TRUE(ParseBool(J("true"), "force", &b).ok());
  EXPECT_TRUE(b);
  EXPECT_TRUE(ParseBool(J(R"("false")"), "force", &b).ok());
  EXPECT_FALSE(b);
  EXPECT_INVALID_FIELD(ParseBool(J("1"), "force", &b), "force");
  EXPECT_INVALID_FIELD(ParseBool(J(R"("yes")"), "force", &b), "force");

  std::vector<std::string> list;
  EXPECT_TRUE(ParseStringList(J(R"(["a", "b"])"), "keys", &list).ok());
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_INVALID_FIELD(ParseStringList(J(R"(["a", 2])"), "keys", &list), "keys[1]");
  EXPECT_INVALID_FIELD(ParseStringList(J(R"("a")"), "keys", &list), "keys");

  std::map<std::string, std::string> map;
  EXPECT_TRUE(ParseStringMap(J(R"({"k": "v"})"), "metadata", &map).ok());
  EXPECT_EQ(map.at("k"), "v");
  EXPECT_INVALID_FIELD(ParseStringMap(J(R"({"k": 1})"), "metadata", &map), "metadata.k");
  EXPECT_INVALID_FIELD(ParseStringMap(J("[]"), "metadata", &map), "metadata");

  std::string bytes;
  EXPECT_TRUE(ParseBase64(J(R"("aGVsbG8=")"), "body", &bytes).ok());
  EXPECT_EQ(bytes, "hello");
  EXPECT_INVALID_FIELD(ParseBase64(J(R"("not base64!")"), "body", &bytes), "body");
  EXPECT_INVALID_FIELD(ParseBase64(J("12"), "body", &bytes), "body");
}

TEST(WireJsonUtilTest, EnumsWireNamesShortFormsAndNumbers) {
  int v = -1;
  EXPECT_TRUE(
      ParseEnum(J(R"("BUCKET_ACCESS_MODE_PUBLIC_READ")"), kBucketAccessModeEnum, "m", &v).ok());
  EXPECT_EQ(v, static_cast<int>(BucketAccessMode::kPublicRead));
  for (const char* text :
       {R"("private")", R"("PRIVATE")", R"("Private")", R"("bucket_access_mode_private")"}) {
    v = -1;
    EXPECT_TRUE(ParseEnum(J(text), kBucketAccessModeEnum, "m", &v).ok()) << text;
    EXPECT_EQ(v, static_cast<int>(BucketAccessMode::kPrivate)) << text;
  }
  for (const char* text : {R"("public_read")", R"("public-read")", R"("PUBLIC_READ")"}) {
    v = -1;
    EXPECT_TRUE(ParseEnum(J(text), kBucketAccessModeEnum, "m", &v).ok()) << text;
    EXPECT_EQ(v, static_cast<int>(BucketAccessMode::kPublicRead)) << text;
  }
  EXPECT_TRUE(ParseEnum(J("2"), kBucketAccessModeEnum, "m", &v).ok());
  EXPECT_EQ(v, 2);
  EXPECT_TRUE(ParseEnum(J(R"("internal_s3")"), kSourceProviderEnum, "p", &v).ok());
  EXPECT_EQ(v, static_cast<int>(SourceProvider::kInternalS3));
  EXPECT_TRUE(ParseEnum(J(R"("active")"), kSourceStatusEnum, "s", &v).ok());
  EXPECT_EQ(v, static_cast<int>(SourceStatus::kActive));
  EXPECT_TRUE(ParseEnum(J(R"("replace")"), kMetadataDirectiveEnum, "d", &v).ok());
  EXPECT_EQ(v, static_cast<int>(MetadataDirective::kReplace));
  EXPECT_TRUE(ParseEnum(J(R"("put")"), kPresignMethodEnum, "method", &v).ok());
  EXPECT_EQ(v, static_cast<int>(PresignMethod::kPut));

  EXPECT_INVALID_FIELD(ParseEnum(J(R"("bogus")"), kBucketAccessModeEnum, "accessMode", &v),
                       "accessMode");
  EXPECT_INVALID_FIELD(
      ParseEnum(J(R"("BUCKET_ACCESS_MODE_")"), kBucketAccessModeEnum, "accessMode", &v),
      "accessMode");
  EXPECT_INVALID_FIELD(ParseEnum(J(R"("")"), kBucketAccessModeEnum, "accessMode", &v),
                       "accessMode");
  EXPECT_INVALID_FIELD(ParseEnum(J("7"), kBucketAccessModeEnum, "accessMode", &v), "accessMode");
  EXPECT_INVALID_FIELD(ParseEnum(J("true"), kBucketAccessModeEnum, "accessMode", &v), "accessMode");
  Status unknown = ParseEnum(J(R"("bogus")"), kBucketAccessModeEnum, "accessMode", &v);
  EXPECT_NE(unknown.message().find("BUCKET_ACCESS_MODE_PUBLIC_READ"), std::string::npos)
      << unknown.ToString();

  EXPECT_EQ(EnumToWire(kBucketStatusEnum, 1), "BUCKET_STATUS_ACTIVE");
  EXPECT_EQ(EnumToWire(kBucketStatusEnum, 99), "BUCKET_STATUS_UNSPECIFIED");
  EXPECT_EQ(EnumJson(kSourceProviderEnum, SourceProvider::kRemoteS3), "SOURCE_PROVIDER_REMOTE_S3");
}

TEST(WireJsonUtilTest, ParseAndDumpNeverThrow) {
  for (const char* bad : {"{", "nope", "{\"a\": }", "[1,]", "{\"a\": 1} x", "\"unterminated"}) {
    Result<Json> r = ParseJson(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos) << bad;
  }
  Result<Json> blank = ParseJson("  \n");
  ASSERT_TRUE(blank.ok());
  EXPECT_EQ(*blank, Json::object());
  // Invalid UTF-8 in a value is replaced, not thrown.
  Json j = {{"k", std::string("a\xff") + "b"}};
  std::string text = DumpJson(j);
  EXPECT_NE(text.find("\"k\""), std::string::npos);
  EXPECT_TRUE(ParseJson(text).ok());
}

TEST(WireJsonUtilTest, NonObjectsAreRejected) {
  for (const char* text : {"[]", "3", "\"s\"", "null", "true"}) {
    Result<Fields> f = Fields::Of(J(text));
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find("request must be a JSON object"), std::string::npos)
        << f.status().ToString();
    Bucket b;
    EXPECT_EQ(FromJson(J(text), &b).code(), StatusCode::kInvalidArgument) << text;
  }
  Result<Fields> nested = Fields::Of(J("[]"), "cors");
  EXPECT_INVALID_FIELD(nested.status(), "cors");
}

TEST(WireJsonUtilTest, StatusAndPagination) {
  Json e = StatusJson(NotFound("no such key"));
  EXPECT_EQ(e, J(R"({"code": "NOT_FOUND", "message": "no such key"})"));
  Status back;
  ASSERT_TRUE(ParseStatus(e, "error", &back).ok());
  EXPECT_EQ(back.code(), StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "no such key");
  EXPECT_INVALID_FIELD(ParseStatus(J(R"({"code": "NOPE"})"), "error", &back), "error.code");
  StatusCode code;
  for (int c = 0; c <= 16; ++c) {
    ASSERT_TRUE(StatusCodeFromName(StatusCodeName(static_cast<StatusCode>(c)), &code));
    EXPECT_EQ(static_cast<int>(code), c);
  }

  Pagination p{.next_page_token = "tok", .total_count = 12};
  EXPECT_EQ(PaginationJson(p), J(R"({"nextPageToken": "tok", "totalCount": "12"})"));
  EXPECT_EQ(PaginationJson(Pagination{}), J(R"({"nextPageToken": "", "totalCount": "-1"})"));
  Pagination q;
  ASSERT_TRUE(ParsePagination(J(R"({"next_page_token": "t", "total_count": 3})"), "p", &q).ok());
  EXPECT_EQ(q.next_page_token, "t");
  EXPECT_EQ(q.total_count, 3);
}

// ---------------------------------------------------------------------------------------
// Storage codecs

Bucket SampleBucket() {
  Bucket b;
  b.name = "kb-prod";
  b.description = "knowledge base";
  b.status = BucketStatus::kActive;
  b.internal_source_id = "src_01J0000000000000000000000";
  b.storage_used_bytes = 1234;
  b.storage_quota_bytes = 1ull << 40;
  b.object_count = 3;
  b.source_count = 1;
  b.rule_count = 2;
  b.index_count = 4;
  b.created_at = 1716843600000;
  b.updated_at = 1716843680000;
  b.access_mode = BucketAccessMode::kPublicRead;
  return b;
}

ObjectInfo SampleObject() {
  ObjectInfo o;
  o.bucket = "kb-prod";
  o.key = "docs/intro ü.md";
  o.size = 5;
  o.etag = "5d41402abc4b2a76b9719d911017c592";
  o.content_type = "text/markdown";
  o.metadata = {{"author", "ann"}, {"x", ""}};
  o.created_at = 1716843600000;
  o.updated_at = 1716843680000;
  o.parts_count = 2;
  return o;
}

TEST(WireStorageJsonTest, BucketEmitsEveryFieldInWireForm) {
  Json j = ToJson(SampleBucket());
  EXPECT_EQ(j, J(R"({
    "name": "kb-prod", "description": "knowledge base", "status": "BUCKET_STATUS_ACTIVE",
    "internalSourceId": "src_01J0000000000000000000000", "storageUsedBytes": "1234",
    "storageQuotaBytes": "1099511627776", "objectCount": "3", "sourceCount": "1",
    "ruleCount": "2", "indexCount": "4", "createdAt": "1716843600000",
    "updatedAt": "1716843680000", "accessMode": "BUCKET_ACCESS_MODE_PUBLIC_READ"})"));
  // Defaults are emitted too.
  Json d = ToJson(Bucket{});
  EXPECT_EQ(Keys(d), Keys(j));
  EXPECT_EQ(d["storageQuotaBytes"], "0");
  EXPECT_EQ(d["description"], "");
  EXPECT_EQ(d["accessMode"], "BUCKET_ACCESS_MODE_PRIVATE");
}

TEST(WireStorageJsonTest, BucketRoundTripAndSnakeCase) {
  Bucket b = RoundTrip(SampleBucket());
  EXPECT_EQ(b.name, "kb-prod");
  EXPECT_EQ(b.storage_quota_bytes, 1ull << 40);
  EXPECT_EQ(b.access_mode, BucketAccessMode::kPublicRead);

  Bucket s;
  ASSERT_TRUE(FromJson(J(R"({"name": "b1", "internal_source_id": "src_x",
      "storage_used_bytes": 10, "storage_quota_bytes": "20", "object_count": "1",
      "created_at": 5, "updated_at": "6", "access_mode": "public_read", "status": "active"})"),
                       &s)
                  .ok());
  EXPECT_EQ(s.internal_source_id, "src_x");
  EXPECT_EQ(s.storage_used_bytes, 10u);
  EXPECT_EQ(s.storage_quota_bytes, 20u);
  EXPECT_EQ(s.object_count, 1u);
  EXPECT_EQ(s.created_at, 5);
  EXPECT_EQ(s.updated_at, 6);
  EXPECT_EQ(s.access_mode, BucketAccessMode::kPublicRead);
  EXPECT_EQ(s.status, BucketStatus::kActive);
}

TEST(WireStorageJsonTest, BucketWrongTypesNameTheField) {
  Bucket b;
  EXPECT_INVALID_FIELD(FromJson(J(R"({"name": 5})"), &b), "name");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"storageQuotaBytes": "lots"})"), &b), "storageQuotaBytes");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"storage_quota_bytes": -1})"), &b), "storage_quota_bytes");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"accessMode": "world"})"), &b), "accessMode");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"objectCount": 1.5})"), &b), "objectCount");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"createdAt": {}})"), &b), "createdAt");
}

TEST(WireStorageJsonTest, BucketRequests) {
  CreateBucketRequest c;
  ASSERT_TRUE(FromJson(J(R"({"name": "kb", "description": "d", "storage_quota_bytes": "100",
      "access_mode": "PUBLIC_READ"})"),
                       &c)
                  .ok());
  EXPECT_EQ(c.name, "kb");
  EXPECT_EQ(c.description, "d");
  EXPECT_EQ(c.storage_quota_bytes, 100u);
  EXPECT_EQ(c.access_mode, BucketAccessMode::kPublicRead);
  RoundTrip(c);
  EXPECT_EQ(ToJson(CreateBucketRequest{})["accessMode"], "BUCKET_ACCESS_MODE_PRIVATE");

  // PATCH: absent and null fields stay absent; present ones are set.
  UpdateBucketRequest u;
  ASSERT_TRUE(
      FromJson(J(R"({"name": "kb", "description": null, "storageQuotaBytes": 0})"), &u).ok());
  EXPECT_EQ(u.name, "kb");
  EXPECT_FALSE(u.description.has_value());
  ASSERT_TRUE(u.storage_quota_bytes.has_value());
  EXPECT_EQ(*u.storage_quota_bytes, 0u);
  EXPECT_FALSE(u.access_mode.has_value());
  UpdateBucketRequest u2 = RoundTrip(u);
  EXPECT_FALSE(u2.description.has_value());
  EXPECT_FALSE(u2.access_mode.has_value());
  EXPECT_EQ(u2.storage_quota_bytes, std::optional<uint64_t>(0));
  UpdateBucketRequest u3;
  ASSERT_TRUE(
      FromJson(J(R"({"name": "kb", "description": "", "access_mode": "private"})"), &u3).ok());
  EXPECT_EQ(u3.description, std::optional<std::string>(""));
  EXPECT_EQ(u3.access_mode, std::optional<BucketAccessMode>(BucketAccessMode::kPrivate));
  EXPECT_INVALID_FIELD(FromJson(J(R"({"accessMode": 5})"), &u3), "accessMode");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"description": false})"), &u3), "description");

  ListBucketsRequest l;
  ASSERT_TRUE(FromJson(J(R"({"page_size": "10", "page_token": "t", "search": "kb"})"), &l).ok());
  EXPECT_EQ(l.page_size, 10);
  EXPECT_EQ(l.page_token, "t");
  EXPECT_EQ(l.search, "kb");
  RoundTrip(l);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"pageSize": "ten"})"), &l), "pageSize");

  DeleteBucketRequest d;
  ASSERT_TRUE(FromJson(J(R"({"name": "kb", "force": true})"), &d).ok());
  EXPECT_TRUE(d.force);
  RoundTrip(d);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"force": 1})"), &d), "force");
}

TEST(WireStorageJsonTest, ListBucketsResponse) {
  ListBucketsResponse r;
  r.buckets = {SampleBucket(), Bucket{}};
  r.pagination = {.next_page_token = "next", .total_count = 2};
  Json j = ToJson(r);
  EXPECT_EQ(j["pagination"], J(R"({"nextPageToken": "next", "totalCount": "2"})"));
  ASSERT_EQ(j["buckets"].size(), 2u);
  ListBucketsResponse back = RoundTrip(r);
  EXPECT_EQ(back.pagination.total_count, 2);
  ASSERT_EQ(back.buckets.size(), 2u);
  EXPECT_EQ(back.buckets[0].name, "kb-prod");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"buckets": [{}, {"accessMode": "nope"}]})"), &back),
                       "buckets[1].accessMode");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"buckets": {}})"), &back), "buckets");
}

TEST(WireStorageJsonTest, ObjectInfo) {
  Json j = ToJson(SampleObject());
  EXPECT_EQ(j, J(R"({"bucket": "kb-prod", "key": "docs/intro ü.md", "size": "5",
      "etag": "5d41402abc4b2a76b9719d911017c592", "contentType": "text/markdown",
      "metadata": {"author": "ann", "x": ""}, "createdAt": "1716843600000",
      "updatedAt": "1716843680000", "lastModified": "1716843680000", "partsCount": 2})"));
  ObjectInfo back = RoundTrip(SampleObject());
  EXPECT_EQ(back.metadata, SampleObject().metadata);
  EXPECT_EQ(back.parts_count, 2u);
  EXPECT_EQ(Keys(ToJson(ObjectInfo{})), Keys(j));

  // lastModified is read when updatedAt is absent; snake_case works.
  ObjectInfo o;
  ASSERT_TRUE(
      FromJson(J(R"({"content_type": "a/b", "last_modified": "77", "parts_count": "3"})"), &o)
          .ok());
  EXPECT_EQ(o.content_type, "a/b");
  EXPECT_EQ(o.updated_at, 77);
  EXPECT_EQ(o.parts_count, 3u);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"metadata": {"a": 1}})"), &o), "metadata.a");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"partsCount": -2})"), &o), "partsCount");
}

TEST(WireStorageJsonTest, ObjectOptionsAndResults) {
  PutObjectOptions p;
  ASSERT_TRUE(FromJson(J(R"({"content_type": "text/plain", "metadata": {"a": "b"},
      "if_none_match": "*"})"),
                       &p)
                  .ok());
  EXPECT_EQ(p.content_type, "text/plain");
  EXPECT_EQ(p.if_none_match, std::optional<std::string>("*"));
  EXPECT_FALSE(p.if_match.has_value());
  RoundTrip(p);

  GetObjectOptions g;
  ASSERT_TRUE(FromJson(J(R"({"range": "bytes=10-19", "if_match": "e",
      "ifModifiedSince": "1000", "if_unmodified_since": 2000})"),
                       &g)
                  .ok());
  ASSERT_TRUE(g.range.has_value());
  EXPECT_EQ(g.range->first, std::optional<uint64_t>(10));
  EXPECT_EQ(g.range->last, std::optional<uint64_t>(19));
  EXPECT_EQ(g.if_match, std::optional<std::string>("e"));
  EXPECT_EQ(g.if_modified_since, std::optional<int64_t>(1000));
  EXPECT_EQ(g.if_unmodified_since, std::optional<int64_t>(2000));
  RoundTrip(g);
  GetObjectOptions suffix;
  ASSERT_TRUE(FromJson(J(R"({"range": "bytes=-500"})"), &suffix).ok());
  EXPECT_EQ(ByteRangeHeader(*suffix.range), "bytes=-500");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"range": "lines=1-2"})"), &g), "range");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"range": 5})"), &g), "range");
  ByteRange open_ended;
  open_ended.first = 100;
  EXPECT_EQ(ByteRangeHeader(open_ended), "bytes=100-");

  GetObjectResult r;
  r.info = SampleObject();
  r.body = std::string("he\0llo", 6);
  r.partial = true;
  r.range_first = 1;
  r.range_last = 6;
  Json j = ToJson(r);
  EXPECT_EQ(j["body"], util::Base64Encode(r.body));
  EXPECT_EQ(j["rangeLast"], "6");
  EXPECT_EQ(j["notModified"], false);
  GetObjectResult back = RoundTrip(r);
  EXPECT_EQ(back.body, r.body);
  EXPECT_TRUE(back.partial);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"body": "%%%"})"), &back), "body");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"info": {"size": "x"}})"), &back), "info.size");

  DeleteObjectResult ok{.key = "a", .status = Status()};
  EXPECT_EQ(ToJson(ok), J(R"({"key": "a", "ok": true, "error": null})"));
  DeleteObjectResult bad{.key = "b", .status = InvalidArgument("bad key")};
  EXPECT_EQ(ToJson(bad), J(R"({"key": "b", "ok": false, "error": {"code": "INVALID_ARGUMENT",
                  "message": "bad key"}})"));
  DeleteObjectResult back_bad = RoundTrip(bad);
  EXPECT_EQ(back_bad.status.code(), StatusCode::kInvalidArgument);
  DeleteObjectResult back_ok = RoundTrip(ok);
  EXPECT_TRUE(back_ok.status.ok());
}

TEST(WireStorageJsonTest, CopyAndListObjects) {
  CopyObjectRequest c;
  ASSERT_TRUE(FromJson(J(R"({"source_bucket": "a", "source_key": "k1", "bucket": "b",
      "key": "k2", "metadata_directive": "REPLACE", "content_type": "x/y",
      "metadata": {"m": "n"}, "source_if_match": "etag"})"),
                       &c)
                  .ok());
  EXPECT_EQ(c.source_bucket, "a");
  EXPECT_EQ(c.source_key, "k1");
  EXPECT_EQ(c.metadata_directive, MetadataDirective::kReplace);
  EXPECT_EQ(c.source_if_match, std::optional<std::string>("etag"));
  Json cj = ToJson(c);
  EXPECT_EQ(cj["metadataDirective"], "REPLACE");
  RoundTrip(c);
  EXPECT_EQ(ToJson(CopyObjectRequest{})["metadataDirective"], "COPY");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"metadataDirective": "MOVE"})"), &c), "metadataDirective");

  ListObjectsRequest l;
  ASSERT_TRUE(FromJson(J(R"({"bucket": "b", "prefix": "p/", "delimiter": "/",
      "start_after": "p/a", "continuation_token": "t", "max_keys": "10"})"),
                       &l)
                  .ok());
  EXPECT_EQ(l.start_after, "p/a");
  EXPECT_EQ(l.continuation_token, "t");
  EXPECT_EQ(l.max_keys, 10);
  RoundTrip(l);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"maxKeys": "9999999999"})"), &l), "maxKeys");

  ListObjectsResponse r;
  r.objects = {SampleObject(), ObjectInfo{}};
  r.common_prefixes = {"docs/a/", "docs/b/"};
  r.is_truncated = true;
  r.next_continuation_token = "ct";
  Json j = ToJson(r);
  EXPECT_EQ(j["keyCount"], 4);
  EXPECT_EQ(j["isTruncated"], true);
  EXPECT_EQ(j["commonPrefixes"], J(R"(["docs/a/", "docs/b/"])"));
  EXPECT_EQ(Keys(j), (std::set<std::string>{"objects", "commonPrefixes", "isTruncated",
                                            "nextContinuationToken", "keyCount"}));
  ListObjectsResponse back = RoundTrip(r);
  EXPECT_EQ(back.objects.size(), 2u);
  EXPECT_EQ(back.next_continuation_token, "ct");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"commonPrefixes": ["a", 1]})"), &back), "commonPrefixes[1]");
}

TEST(WireStorageJsonTest, Multipart) {
  MultipartUpload u{.upload_id = "up1",
                    .bucket = "b",
                    .key = "k",
                    .content_type = "x/y",
                    .metadata = {{"a", "b"}},
                    .initiated_at = 99};
  Json uj = ToJson(u);
  EXPECT_EQ(uj, J(R"({"uploadId": "up1", "bucket": "b", "key": "k", "contentType": "x/y",
      "metadata": {"a": "b"}, "initiatedAt": "99"})"));
  RoundTrip(u);
  MultipartUpload us;
  ASSERT_TRUE(FromJson(J(R"({"upload_id": "u", "initiated_at": "5"})"), &us).ok());
  EXPECT_EQ(us.upload_id, "u");
  EXPECT_EQ(us.initiated_at, 5);

  PartInfo p{.part_number = 3, .size = 5ull << 20, .etag = "e", .last_modified = 7};
  EXPECT_EQ(ToJson(p), J(R"({"partNumber": 3, "size": "5242880", "etag": "e",
      "lastModified": "7"})"));
  RoundTrip(p);
  PartInfo ps;
  ASSERT_TRUE(FromJson(J(R"({"part_number": "4"})"), &ps).ok());
  EXPECT_EQ(ps.part_number, 4u);

  CompletedPart c{.part_number = 2, .etag = "e2"};
  EXPECT_EQ(ToJson(c), J(R"({"partNumber": 2, "etag": "e2"})"));
  RoundTrip(c);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"partNumber": "two"})"), &c), "partNumber");

  ListPartsResponse lp{
      .parts = {p, PartInfo{}}, .is_truncated = true, .next_part_number_marker = 3};
  Json lpj = ToJson(lp);
  EXPECT_EQ(lpj["nextPartNumberMarker"], 3);
  ListPartsResponse lpb = RoundTrip(lp);
  EXPECT_EQ(lpb.parts.size(), 2u);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"parts": [{"size": true}]})"), &lpb), "parts[0].size");

  ListMultipartUploadsResponse lu{.uploads = {u}, .is_truncated = false, .next_page_token = ""};
  Json luj = ToJson(lu);
  EXPECT_EQ(Keys(luj), (std::set<std::string>{"uploads", "isTruncated", "nextPageToken"}));
  ListMultipartUploadsResponse lub = RoundTrip(lu);
  ASSERT_EQ(lub.uploads.size(), 1u);
  EXPECT_EQ(lub.uploads[0].upload_id, "up1");
}

TEST(WireStorageJsonTest, Cors) {
  CorsConfiguration cors;
  cors.cors_rules.push_back(CorsRule{.allowed_origins = {"https://a.example", "*"},
                                     .allowed_methods = {"GET", "PUT"},
                                     .allowed_headers = {"*"},
                                     .expose_headers = {"ETag"},
                                     .max_age_seconds = 3000});
  CorsRule minimal;
  minimal.allowed_origins = {"*"};
  minimal.allowed_methods = {"HEAD"};
  cors.cors_rules.push_back(minimal);
  Json j = ToJson(cors);
  EXPECT_EQ(j["corsRules"][0],
            J(R"({"allowedOrigins": ["https://a.example", "*"], "allowedMethods": ["GET", "PUT"],
                 "allowedHeaders": ["*"], "exposeHeaders": ["ETag"], "maxAgeSeconds": 3000})"));
  EXPECT_EQ(j["corsRules"][1]["allowedHeaders"], Json::array());
  EXPECT_EQ(j["corsRules"][1]["maxAgeSeconds"], 0);
  CorsConfiguration back = RoundTrip(cors);
  ASSERT_EQ(back.cors_rules.size(), 2u);
  EXPECT_EQ(back.cors_rules[0].max_age_seconds, 3000);

  CorsConfiguration snake;
  ASSERT_TRUE(FromJson(J(R"({"cors_rules": [{"allowed_origins": ["*"],
      "allowed_methods": ["GET"], "expose_headers": ["x"], "max_age_seconds": "60"}]})"),
                       &snake)
                  .ok());
  ASSERT_EQ(snake.cors_rules.size(), 1u);
  EXPECT_EQ(snake.cors_rules[0].expose_headers, std::vector<std::string>{"x"});
  EXPECT_EQ(snake.cors_rules[0].max_age_seconds, 60);

  EXPECT_INVALID_FIELD(FromJson(J(R"({"corsRules": [{"allowedOrigins": ["*", 5]}]})"), &snake),
                       "corsRules[0].allowedOrigins[1]");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"corsRules": [{}, {"max_age_seconds": "x"}]})"), &snake),
                       "corsRules[1].max_age_seconds");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"corsRules": ["GET"]})"), &snake), "corsRules[0]");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"corsRules": {}})"), &snake), "corsRules");
}

TEST(WireStorageJsonTest, Presign) {
  PresignRequest p;
  ASSERT_TRUE(FromJson(J(R"({"bucket": "b", "key": "k", "method": "put",
      "endpoint": "http://localhost:9000", "region": "", "access_key_id": "AK",
      "secret_access_key": "SK", "expires_seconds": "600", "virtual_hosted_style": true,
      "now": 1000})"),
                       &p)
                  .ok());
  EXPECT_EQ(p.method, PresignMethod::kPut);
  EXPECT_EQ(p.region, "us-east-1");  // empty = the default
  EXPECT_EQ(p.access_key_id, "AK");
  EXPECT_EQ(p.secret_access_key, "SK");
  EXPECT_EQ(p.expires_seconds, 600);
  EXPECT_TRUE(p.virtual_hosted_style);
  EXPECT_EQ(p.now, 1000);
  Json pj = ToJson(p);
  EXPECT_EQ(pj["method"], "PUT");
  EXPECT_EQ(pj["expiresSeconds"], "600");
  RoundTrip(p);
  PresignRequest d;
  ASSERT_TRUE(FromJson(J(R"({"bucket": "b"})"), &d).ok());
  EXPECT_EQ(d.expires_seconds, 3600);
  EXPECT_EQ(d.method, PresignMethod::kGet);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"method": "POST"})"), &d), "method");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"expiresSeconds": 1.5})"), &d), "expiresSeconds");

  PresignedUrl u{.url = "http://h/b/k?X-Amz-Signature=x", .method = "GET", .expires_at = 5000};
  EXPECT_EQ(ToJson(u), J(R"({"url": "http://h/b/k?X-Amz-Signature=x", "method": "GET",
                  "expiresAt": "5000"})"));
  RoundTrip(u);
}

// ---------------------------------------------------------------------------------------
// Source and event codecs

Source SampleSource() {
  Source s;
  s.source_id = "src_01J";
  s.bucket = "kb-prod";
  s.provider = SourceProvider::kInternalS3;
  s.name = "internal";
  s.description = "the bucket itself";
  s.root_path = "/";
  s.provider_account = "acct";
  s.sync_interval_seconds = 300;
  s.enabled = false;
  s.status = SourceStatus::kSyncing;
  s.total_objects = 10;
  s.indexed_objects = 9;
  s.total_bytes = 1ull << 33;
  s.created_at = 1;
  s.updated_at = 2;
  s.last_sync_at = 3;
  s.last_success_at = 4;
  return s;
}

TEST(WireSourcesJsonTest, Source) {
  Json j = ToJson(SampleSource());
  EXPECT_EQ(j, J(R"({"sourceId": "src_01J", "bucket": "kb-prod",
      "provider": "SOURCE_PROVIDER_INTERNAL_S3", "name": "internal",
      "description": "the bucket itself", "rootPath": "/", "providerAccount": "acct",
      "syncIntervalSeconds": "300", "enabled": false, "status": "SOURCE_STATUS_SYNCING",
      "totalObjects": "10", "indexedObjects": "9", "totalBytes": "8589934592",
      "createdAt": "1", "updatedAt": "2", "lastSyncAt": "3", "lastSuccessAt": "4",
      "urls": [], "sitemapUrl": "", "keyPrefix": "", "deleteMissing": true,
      "credentialId": "", "lastError": ""})"));
  EXPECT_EQ(Keys(ToJson(Source{})), Keys(j));
  Source back = RoundTrip(SampleSource());
  EXPECT_EQ(back.provider, SourceProvider::kInternalS3);
  EXPECT_EQ(back.status, SourceStatus::kSyncing);
  EXPECT_FALSE(back.enabled);

  Source s;
  ASSERT_TRUE(FromJson(J(R"({"source_id": "src_2", "provider": "local_dir",
      "sync_interval_seconds": 60, "status": "SOURCE_STATUS_ERROR", "last_success_at": "9"})"),
                       &s)
                  .ok());
  EXPECT_EQ(s.source_id, "src_2");
  EXPECT_EQ(s.provider, SourceProvider::kLocalDir);
  EXPECT_EQ(s.sync_interval_seconds, 60);
  EXPECT_EQ(s.status, SourceStatus::kError);
  EXPECT_EQ(s.last_success_at, 9);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"provider": "dropbox"})"), &s), "provider");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"enabled": "maybe"})"), &s), "enabled");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"total_bytes": "-5"})"), &s), "total_bytes");
}

TEST(WireSourcesJsonTest, ListSources) {
  ListSourcesRequest r;
  ASSERT_TRUE(FromJson(J(R"({"bucket": "b", "page_size": 5, "page_token": "t"})"), &r).ok());
  EXPECT_EQ(r.bucket, "b");
  EXPECT_EQ(r.page_size, 5);
  EXPECT_EQ(r.page_token, "t");
  RoundTrip(r);
  EXPECT_INVALID_FIELD(FromJson(J(R"({"bucket": ["b"]})"), &r), "bucket");

  ListSourcesResponse resp{.sources = {SampleSource()}, .pagination = {"", 1}};
  Json j = ToJson(resp);
  EXPECT_EQ(j["pagination"], J(R"({"nextPageToken": "", "totalCount": "1"})"));
  ListSourcesResponse back = RoundTrip(resp);
  ASSERT_EQ(back.sources.size(), 1u);
  EXPECT_EQ(back.sources[0].source_id, "src_01J");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"sources": [{"status": 9}]})"), &back), "sources[0].status");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"pagination": {"totalCount": "x"}})"), &back),
                       "pagination.totalCount");
}

TEST(WireEventsJsonTest, Event) {
  Event e{.offset = 42,
          .type = kEventObjectCreated,
          .bucket = "b",
          .key = "k",
          .etag = "e",
          .size = 10,
          .content_type = "text/plain",
          .time = 1716843600000};
  EXPECT_EQ(ToJson(e), J(R"({"offset": "42", "type": "object.created", "bucket": "b",
      "key": "k", "etag": "e", "size": "10", "contentType": "text/plain",
      "time": "1716843600000"})"));
  Event back = RoundTrip(e);
  EXPECT_EQ(back.offset, 42u);
  Event s;
  ASSERT_TRUE(FromJson(J(R"({"offset": 3, "content_type": "x"})"), &s).ok());
  EXPECT_EQ(s.offset, 3u);
  EXPECT_EQ(s.content_type, "x");
  EXPECT_INVALID_FIELD(FromJson(J(R"({"offset": "-1"})"), &s), "offset");
}

// ---------------------------------------------------------------------------------------
// The RPC table, through Db::call on a fresh data directory

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "k3-wire-XXXXXX").string();
    char* made = mkdtemp(templ.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class WireRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Result<Db> db = Db::open(dir_.path() + "/data");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
  }

  // Calls `method` with `request` (JSON text) and parses the response.
  Result<Json> CallText(std::string_view method, std::string_view request) {
    Result<std::string> out = db_->call(method, request);
    if (!out.ok()) return out.status();
    Result<Json> parsed = ParseJson(*out);
    EXPECT_TRUE(parsed.ok()) << *out;
    return parsed;
  }
  Result<Json> Call(std::string_view method, const Json& request) {
    return CallText(method, request.dump());
  }
  // As Call, expecting success.
  Json Ok(std::string_view method, const Json& request) {
    Result<Json> r = Call(method, request);
    EXPECT_TRUE(r.ok()) << method << " " << request.dump() << ": " << r.status().ToString();
    return r.ok() ? *r : Json();
  }

  TempDir dir_;
  std::optional<Db> db_;
};

TEST(WireRpcTableTest, MethodNamesAreSortedAndComplete) {
  std::vector<std::string> names = MethodNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  for (const char* m : {"StorageService.CreateBucket",
                        "StorageService.GetBucket",
                        "StorageService.ListBuckets",
                        "StorageService.UpdateBucket",
                        "StorageService.DeleteBucket",
                        "StorageService.PutObject",
                        "StorageService.GetObject",
                        "StorageService.GetObjectInfo",
                        "StorageService.HeadObject",
                        "StorageService.DeleteObject",
                        "StorageService.DeleteObjects",
                        "StorageService.CopyObject",
                        "StorageService.ListObjects",
                        "StorageService.CreateMultipartUpload",
                        "StorageService.UploadPart",
                        "StorageService.ListParts",
                        "StorageService.ListMultipartUploads",
                        "StorageService.CompleteMultipartUpload",
                        "StorageService.AbortMultipartUpload",
                        "StorageService.PutBucketPolicy",
                        "StorageService.GetBucketPolicy",
                        "StorageService.DeleteBucketPolicy",
                        "StorageService.PutBucketCors",
                        "StorageService.GetBucketCors",
                        "StorageService.DeleteBucketCors",
                        "StorageService.GetObjectUrl",
                        "SourceService.GetSource",
                        "SourceService.ListSources",
                        "VectorService.ConfigureEngine",
                        "VectorService.GetEngine",
                        "VectorService.DeleteEngine",
                        "VectorService.ListInstances",
                        "VectorService.CreateCollection",
                        "VectorService.GetCollection",
                        "VectorService.ListCollections",
                        "VectorService.DeleteCollection",
                        "VectorService.InsertVectors",
                        "VectorService.UpsertVectors",
                        "VectorService.DeleteVectors",
                        "VectorService.GetVectors",
                        "VectorService.Search",
                        "EventService.ReadEvents"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), m), names.end()) << m;
  }
  EXPECT_EQ(Db::methods(), names);
}

TEST_F(WireRpcTest, RequestErrors) {
  Result<Json> r = CallText("StorageService.NoSuchMethod", "{}");
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(r.status().message().find("StorageService.NoSuchMethod"), std::string::npos);
  EXPECT_EQ(CallText("Nope", "not even json").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(CallText("", "{}").status().code(), StatusCode::kUnimplemented);

  for (const char* bad : {"{", "{\"name\": }", "nope", "{\"a\": 1} trailing"}) {
    Result<Json> m = CallText("StorageService.ListBuckets", bad);
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(m.status().message().find("malformed JSON"), std::string::npos) << bad;
  }
  for (const char* bad : {"[]", "3", "\"x\"", "null", "true"}) {
    Result<Json> m = CallText("StorageService.ListBuckets", bad);
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(m.status().message().find("request must be a JSON object"), std::string::npos)
        << m.status().ToString();
  }
  // An empty request is the empty object.
  EXPECT_TRUE(CallText("StorageService.ListBuckets", "").ok());

  EXPECT_INVALID_FIELD(Call("StorageService.CreateBucket", J(R"({"name": 5})")).status(), "name");
  EXPECT_INVALID_FIELD(
      Call("StorageService.CreateBucket", J(R"({"name": "bkt-one", "storage_quota_bytes": "-1"})"))
          .status(),
      "storage_quota_bytes");
  EXPECT_INVALID_FIELD(
      Call("StorageService.CreateBucket", J(R"({"name": "bkt-one", "accessMode": "world"})"))
          .status(),
      "accessMode");
  EXPECT_INVALID_FIELD(Call("StorageService.ListBuckets", J(R"({"pageSize": "x"})")).status(),
                       "pageSize");
  EXPECT_INVALID_FIELD(
      Call("StorageService.DeleteBucket", J(R"({"name": "b", "force": 1})")).status(), "force");
  EXPECT_INVALID_FIELD(
      Call("SourceService.GetSource", J(R"({"bucket": "b", "sourceId": 1})")).status(), "sourceId");
  EXPECT_INVALID_FIELD(Call("EventService.ReadEvents", J(R"({"fromOffset": -1})")).status(),
                       "fromOffset");
  // Nothing was created by the refused requests.
  Json list = Ok("StorageService.ListBuckets", Json::object());
  EXPECT_EQ(list["buckets"], Json::array());
}

TEST_F(WireRpcTest, GrpcStyleMethodNames) {
  EXPECT_TRUE(CallText("/dodil.k3.storage.v1.StorageService/ListBuckets", "{}").ok());
  EXPECT_TRUE(CallText("dodil.k3.storage.v1.StorageService.ListBuckets", "{}").ok());
  EXPECT_TRUE(CallText("StorageService/ListBuckets", "{}").ok());
  EXPECT_EQ(CallText("/dodil.k3.storage.v1.StorageService/Nope", "{}").status().code(),
            StatusCode::kUnimplemented);
}

TEST_F(WireRpcTest, Buckets) {
  Json b = Ok("StorageService.CreateBucket",
              J(R"({"name": "kb-prod", "description": "docs", "storage_quota_bytes": 1000000,
                   "access_mode": "public_read"})"));
  EXPECT_EQ(b["name"], "kb-prod");
  EXPECT_EQ(b["description"], "docs");
  EXPECT_EQ(b["storageQuotaBytes"], "1000000");
  EXPECT_EQ(b["accessMode"], "BUCKET_ACCESS_MODE_PUBLIC_READ");
  EXPECT_EQ(b["status"], "BUCKET_STATUS_ACTIVE");
  EXPECT_EQ(b["objectCount"], "0");
  EXPECT_TRUE(b["createdAt"].is_string());
  EXPECT_EQ(Keys(b), Keys(ToJson(Bucket{})));
  ASSERT_TRUE(b["internalSourceId"].is_string());
  EXPECT_EQ(b["internalSourceId"].get<std::string>().rfind("src_", 0), 0u);

  EXPECT_EQ(Call("StorageService.CreateBucket", J(R"({"name": "kb-prod"})")).status().code(),
            StatusCode::kAlreadyExists);
  Ok("StorageService.CreateBucket", J(R"({"name": "kb-dev"})"));

  Json g = Ok("StorageService.GetBucket", J(R"({"name": "kb-prod"})"));
  EXPECT_EQ(g, b);
  EXPECT_EQ(Call("StorageService.GetBucket", J(R"({"name": "missing"})")).status().code(),
            StatusCode::kNotFound);

  Json page1 = Ok("StorageService.ListBuckets", J(R"({"page_size": 1})"));
  ASSERT_EQ(page1["buckets"].size(), 1u);
  EXPECT_EQ(page1["buckets"][0]["name"], "kb-dev");
  EXPECT_TRUE(page1["pagination"]["totalCount"].is_string());
  std::string token = page1["pagination"]["nextPageToken"];
  EXPECT_FALSE(token.empty());
  Json page2 = Ok("StorageService.ListBuckets", Json{{"pageSize", "1"}, {"pageToken", token}});
  ASSERT_EQ(page2["buckets"].size(), 1u);
  EXPECT_EQ(page2["buckets"][0]["name"], "kb-prod");
  Json search = Ok("StorageService.ListBuckets", J(R"({"search": "PROD"})"));
  ASSERT_EQ(search["buckets"].size(), 1u);

  // PATCH: only the fields present change.
  Json u = Ok("StorageService.UpdateBucket", J(R"({"name": "kb-prod", "description": "new"})"));
  EXPECT_EQ(u["description"], "new");
  EXPECT_EQ(u["accessMode"], "BUCKET_ACCESS_MODE_PUBLIC_READ");
  EXPECT_EQ(u["storageQuotaBytes"], "1000000");
  u = Ok("StorageService.UpdateBucket",
         J(R"({"name": "kb-prod", "accessMode": "PRIVATE", "storageQuotaBytes": "0"})"));
  EXPECT_EQ(u["description"], "new");
  EXPECT_EQ(u["accessMode"], "BUCKET_ACCESS_MODE_PRIVATE");
  EXPECT_EQ(u["storageQuotaBytes"], "0");

  EXPECT_EQ(Ok("StorageService.DeleteBucket", J(R"({"name": "kb-dev"})")), Json::object());
  EXPECT_EQ(Call("StorageService.GetBucket", J(R"({"name": "kb-dev"})")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(WireRpcTest, Objects) {
  Ok("StorageService.CreateBucket", J(R"({"name": "bkt-one"})"));
  std::string body = "hello, world";
  Json put = Ok("StorageService.PutObject", Json{{"bucket", "bkt-one"},
                                                 {"key", "docs/a.txt"},
                                                 {"body", util::Base64Encode(body)},
                                                 {"content_type", "text/plain"},
                                                 {"metadata", {{"author", "ann"}}}});
  EXPECT_EQ(put["size"], "12");
  EXPECT_EQ(put["contentType"], "text/plain");
  EXPECT_EQ(put["metadata"], J(R"({"author": "ann"})"));
  EXPECT_EQ(put["lastModified"], put["updatedAt"]);
  EXPECT_EQ(put["partsCount"], 0);
  std::string etag = put["etag"];
  EXPECT_EQ(etag, util::HexEncode(util::Md5Digest(body)));

  EXPECT_INVALID_FIELD(Call("StorageService.PutObject",
                            J(R"({"bucket": "bkt-one", "key": "x", "body": "@@not base64@@"})"))
                           .status(),
                       "body");
  EXPECT_INVALID_FIELD(
      Call("StorageService.PutObject", J(R"({"bucket": "bkt-one", "key": "x", "body": 5})"))
          .status(),
      "body");
  EXPECT_INVALID_FIELD(Call("StorageService.PutObject",
                            J(R"({"bucket": "bkt-one", "key": "x", "metadata": {"a": 1}})"))
                           .status(),
                       "metadata.a");
  // Create-only put of an existing key.
  EXPECT_EQ(Call("StorageService.PutObject",
                 J(R"({"bucket": "bkt-one", "key": "docs/a.txt", "ifNoneMatch": "*"})"))
                .status()
                .code(),
            StatusCode::kFailedPrecondition);

  Json get = Ok("StorageService.GetObject", J(R"({"bucket": "bkt-one", "key": "docs/a.txt"})"));
  EXPECT_EQ(get["body"], util::Base64Encode(body));
  EXPECT_EQ(get["info"]["etag"], etag);
  EXPECT_EQ(get["notModified"], false);
  EXPECT_EQ(get["partial"], false);

  Json range = Ok("StorageService.GetObject",
                  J(R"({"bucket": "bkt-one", "key": "docs/a.txt", "range": "bytes=0-4"})"));
  EXPECT_EQ(range["body"], util::Base64Encode("hello"));
  EXPECT_EQ(range["partial"], true);
  EXPECT_EQ(range["rangeFirst"], "0");
  EXPECT_EQ(range["rangeLast"], "4");
  EXPECT_INVALID_FIELD(Call("StorageService.GetObject",
                            J(R"({"bucket": "bkt-one", "key": "docs/a.txt", "range": "rows=1"})"))
                           .status(),
                       "range");
  EXPECT_EQ(Call("StorageService.GetObject",
                 J(R"({"bucket": "bkt-one", "key": "docs/a.txt", "range": "bytes=100-"})"))
                .status()
                .code(),
            StatusCode::kOutOfRange);

  Json nm = Ok("StorageService.GetObject",
               Json{{"bucket", "bkt-one"}, {"key", "docs/a.txt"}, {"if_none_match", etag}});
  EXPECT_EQ(nm["notModified"], true);
  EXPECT_EQ(nm["body"], "");
  EXPECT_EQ(Call("StorageService.GetObject",
                 J(R"({"bucket": "bkt-one", "key": "docs/a.txt", "ifMatch": "nope"})"))
                .status()
                .code(),
            StatusCode::kFailedPrecondition);

  Json info =
      Ok("StorageService.GetObjectInfo", J(R"({"bucket": "bkt-one", "key": "docs/a.txt"})"));
  EXPECT_EQ(info, put);
  EXPECT_EQ(Ok("StorageService.HeadObject", J(R"({"bucket": "bkt-one", "key": "docs/a.txt"})")),
            put);
  EXPECT_EQ(Call("StorageService.HeadObject", J(R"({"bucket": "bkt-one", "key": "missing"})"))
                .status()
                .code(),
            StatusCode::kNotFound);

  Json copy = Ok("StorageService.CopyObject",
                 J(R"({"source_bucket": "bkt-one", "source_key": "docs/a.txt", "bucket": "bkt-one",
                      "key": "docs/sub/b.txt", "metadata_directive": "replace",
                      "content_type": "text/x-copy", "metadata": {"k": "v"}})"));
  EXPECT_EQ(copy["key"], "docs/sub/b.txt");
  EXPECT_EQ(copy["etag"], etag);
  EXPECT_EQ(copy["contentType"], "text/x-copy");
  EXPECT_EQ(copy["metadata"], J(R"({"k": "v"})"));
  Ok("StorageService.PutObject", J(R"({"bucket": "bkt-one", "key": "top.txt"})"));

  Json list = Ok("StorageService.ListObjects",
                 J(R"({"bucket": "bkt-one", "prefix": "docs/", "delimiter": "/"})"));
  ASSERT_EQ(list["objects"].size(), 1u);
  EXPECT_EQ(list["objects"][0]["key"], "docs/a.txt");
  EXPECT_EQ(list["commonPrefixes"], J(R"(["docs/sub/"])"));
  EXPECT_EQ(list["keyCount"], 2);
  EXPECT_EQ(list["isTruncated"], false);
  Json paged = Ok("StorageService.ListObjects", J(R"({"bucket": "bkt-one", "max_keys": "1"})"));
  ASSERT_EQ(paged["objects"].size(), 1u);
  EXPECT_EQ(paged["isTruncated"], true);
  Json rest =
      Ok("StorageService.ListObjects",
         Json{{"bucket", "bkt-one"}, {"continuationToken", paged["nextContinuationToken"]}});
  EXPECT_EQ(rest["objects"].size(), 2u);

  Json del = Ok("StorageService.DeleteObjects",
                J(R"({"bucket": "bkt-one", "keys": ["docs/sub/b.txt", "never-there"]})"));
  ASSERT_EQ(del["results"].size(), 2u);
  EXPECT_EQ(del["results"][0], J(R"({"key": "docs/sub/b.txt", "ok": true, "error": null})"));
  EXPECT_EQ(del["results"][1]["ok"], true);
  EXPECT_INVALID_FIELD(
      Call("StorageService.DeleteObjects", J(R"({"bucket": "bkt-one", "keys": "docs/a.txt"})"))
          .status(),
      "keys");
  EXPECT_INVALID_FIELD(
      Call("StorageService.DeleteObjects", J(R"({"bucket": "bkt-one", "keys": ["a", 2]})"))
          .status(),
      "keys[1]");

  EXPECT_EQ(Ok("StorageService.DeleteObject", J(R"({"bucket": "bkt-one", "key": "docs/a.txt"})")),
            Json::object());
  EXPECT_EQ(Call("StorageService.GetObject", J(R"({"bucket": "bkt-one", "key": "docs/a.txt"})"))
                .status()
                .code(),
            StatusCode::kNotFound);
  Json b = Ok("StorageService.GetBucket", J(R"({"name": "bkt-one"})"));
  EXPECT_EQ(b["objectCount"], "1");
}

TEST_F(WireRpcTest, Multipart) {
  Ok("StorageService.CreateBucket", J(R"({"name": "mp-bucket"})"));
  Json up = Ok("StorageService.CreateMultipartUpload",
               J(R"({"bucket": "mp-bucket", "key": "big.bin", "content_type": "application/x-big",
                    "metadata": {"a": "b"}})"));
  std::string upload_id = up["uploadId"];
  EXPECT_FALSE(upload_id.empty());
  EXPECT_EQ(up["contentType"], "application/x-big");
  EXPECT_TRUE(up["initiatedAt"].is_string());

  std::string part1(kMinPartSize, 'x');
  std::string part2 = "tail";
  Json p1 = Ok("StorageService.UploadPart", Json{{"bucket", "mp-bucket"},
                                                 {"key", "big.bin"},
                                                 {"upload_id", upload_id},
                                                 {"part_number", 1},
                                                 {"body", util::Base64Encode(part1)}});
  EXPECT_EQ(p1["partNumber"], 1);
  EXPECT_EQ(p1["size"], std::to_string(kMinPartSize));
  Json p2 = Ok("StorageService.UploadPart", Json{{"bucket", "mp-bucket"},
                                                 {"key", "big.bin"},
                                                 {"uploadId", upload_id},
                                                 {"partNumber", "2"},
                                                 {"body", util::Base64Encode(part2)}});
  EXPECT_INVALID_FIELD(Call("StorageService.UploadPart", Json{{"bucket", "mp-bucket"},
                                                              {"key", "big.bin"},
                                                              {"uploadId", upload_id},
                                                              {"partNumber", -1}})
                           .status(),
                       "partNumber");

  Json parts = Ok(
      "StorageService.ListParts",
      Json{{"bucket", "mp-bucket"}, {"key", "big.bin"}, {"uploadId", upload_id}, {"maxParts", 1}});
  ASSERT_EQ(parts["parts"].size(), 1u);
  EXPECT_EQ(parts["isTruncated"], true);
  EXPECT_EQ(parts["nextPartNumberMarker"], 1);
  Json parts2 = Ok("StorageService.ListParts", Json{{"bucket", "mp-bucket"},
                                                    {"key", "big.bin"},
                                                    {"uploadId", upload_id},
                                                    {"part_number_marker", 1}});
  ASSERT_EQ(parts2["parts"].size(), 1u);
  EXPECT_EQ(parts2["parts"][0]["partNumber"], 2);

  Json uploads = Ok("StorageService.ListMultipartUploads", J(R"({"bucket": "mp-bucket"})"));
  ASSERT_EQ(uploads["uploads"].size(), 1u);
  EXPECT_EQ(uploads["uploads"][0]["uploadId"], upload_id);
  EXPECT_EQ(uploads["isTruncated"], false);

  EXPECT_INVALID_FIELD(Call("StorageService.CompleteMultipartUpload",
                            Json{{"bucket", "mp-bucket"},
                                 {"key", "big.bin"},
                                 {"uploadId", upload_id},
                                 {"parts", {{{"partNumber", "one"}, {"etag", "x"}}}}})
                           .status(),
                       "parts[0].partNumber");
  Json done = Ok("StorageService.CompleteMultipartUpload",
                 Json{{"bucket", "mp-bucket"},
                      {"key", "big.bin"},
                      {"uploadId", upload_id},
                      {"parts",
                       {{{"partNumber", 1}, {"etag", p1["etag"]}},
                        {{"part_number", 2}, {"etag", p2["etag"]}}}}});
  EXPECT_EQ(done["size"], std::to_string(part1.size() + part2.size()));
  EXPECT_EQ(done["partsCount"], 2);
  EXPECT_EQ(done["contentType"], "application/x-big");
  Json tail = Ok("StorageService.GetObject",
                 Json{{"bucket", "mp-bucket"}, {"key", "big.bin"}, {"range", "bytes=-4"}});
  EXPECT_EQ(tail["body"], util::Base64Encode("tail"));

  Json up2 =
      Ok("StorageService.CreateMultipartUpload", J(R"({"bucket": "mp-bucket", "key": "x"})"));
  Json abort_req = {{"bucket", "mp-bucket"}, {"key", "x"}, {"uploadId", up2["uploadId"]}};
  EXPECT_EQ(Ok("StorageService.AbortMultipartUpload", abort_req), Json::object());
  EXPECT_EQ(Call("StorageService.AbortMultipartUpload", abort_req).status().code(),
            StatusCode::kNotFound);
}

TEST_F(WireRpcTest, PolicyAndCors) {
  Ok("StorageService.CreateBucket", J(R"({"name": "policy-bkt"})"));
  EXPECT_EQ(
      Call("StorageService.GetBucketPolicy", J(R"({"bucket": "policy-bkt"})")).status().code(),
      StatusCode::kNotFound);
  Json policy = J(R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
      "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::policy-bkt/*"}]})");
  // As a JSON object...
  EXPECT_EQ(
      Ok("StorageService.PutBucketPolicy", Json{{"bucket", "policy-bkt"}, {"policy", policy}}),
      Json::object());
  Json got = Ok("StorageService.GetBucketPolicy", J(R"({"bucket": "policy-bkt"})"));
  ASSERT_TRUE(got["policy"].is_string());
  EXPECT_EQ(Json::parse(got["policy"].get<std::string>()), policy);
  // ... or as a string.
  Ok("StorageService.PutBucketPolicy", Json{{"bucket", "policy-bkt"}, {"policy", policy.dump(2)}});
  got = Ok("StorageService.GetBucketPolicy", J(R"({"bucket": "policy-bkt"})"));
  EXPECT_EQ(Json::parse(got["policy"].get<std::string>()), policy);
  EXPECT_INVALID_FIELD(
      Call("StorageService.PutBucketPolicy", J(R"({"bucket": "policy-bkt", "policy": 5})"))
          .status(),
      "policy");
  EXPECT_EQ(Call("StorageService.PutBucketPolicy",
                 J(R"({"bucket": "policy-bkt", "policy": {"Statement": "no"}})"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Ok("StorageService.DeleteBucketPolicy", J(R"({"bucket": "policy-bkt"})")),
            Json::object());
  EXPECT_EQ(
      Call("StorageService.GetBucketPolicy", J(R"({"bucket": "policy-bkt"})")).status().code(),
      StatusCode::kNotFound);

  EXPECT_EQ(Call("StorageService.GetBucketCors", J(R"({"bucket": "policy-bkt"})")).status().code(),
            StatusCode::kNotFound);
  Json rules = J(R"([{"allowedOrigins": ["*"], "allowedMethods": ["GET", "HEAD"],
      "allowedHeaders": ["*"], "exposeHeaders": ["ETag"], "maxAgeSeconds": 600}])");
  EXPECT_EQ(
      Ok("StorageService.PutBucketCors", Json{{"bucket", "policy-bkt"}, {"corsRules", rules}}),
      Json::object());
  Json cors = Ok("StorageService.GetBucketCors", J(R"({"bucket": "policy-bkt"})"));
  EXPECT_EQ(cors, (Json{{"corsRules", rules}}));
  // The nested form, snake_case.
  Ok("StorageService.PutBucketCors",
     J(R"({"bucket": "policy-bkt", "cors": {"cors_rules": [{"allowed_origins": ["https://x.example"],
          "allowed_methods": ["PUT"]}]}})"));
  cors = Ok("StorageService.GetBucketCors", J(R"({"bucket": "policy-bkt"})"));
  ASSERT_EQ(cors["corsRules"].size(), 1u);
  EXPECT_EQ(cors["corsRules"][0]["allowedOrigins"], J(R"(["https://x.example"])"));
  EXPECT_EQ(cors["corsRules"][0]["maxAgeSeconds"], 0);
  EXPECT_INVALID_FIELD(
      Call("StorageService.PutBucketCors",
           J(R"({"bucket": "policy-bkt", "corsRules": [{"allowedOrigins": "*"}]})"))
          .status(),
      "corsRules[0].allowedOrigins");
  EXPECT_INVALID_FIELD(
      Call("StorageService.PutBucketCors", J(R"({"bucket": "policy-bkt", "cors": []})")).status(),
      "cors");
  EXPECT_EQ(Ok("StorageService.DeleteBucketCors", J(R"({"bucket": "policy-bkt"})")),
            Json::object());
  EXPECT_EQ(Call("StorageService.GetBucketCors", J(R"({"bucket": "policy-bkt"})")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(WireRpcTest, GetObjectUrl) {
  Ok("StorageService.CreateBucket", J(R"({"name": "url-bkt"})"));
  Ok("StorageService.PutObject", J(R"({"bucket": "url-bkt", "key": "a.txt", "body": "aGk="})"));
  Json req = J(R"({"bucket": "url-bkt", "key": "a.txt", "endpoint": "http://127.0.0.1:9000",
      "access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret", "now": "1716843600000"})");
  Json url = Ok("StorageService.GetObjectUrl", req);
  EXPECT_EQ(url["method"], "GET");
  EXPECT_EQ(url["expiresAt"], std::to_string(1716843600000 + 3600 * 1000));
  std::string u = url["url"];
  EXPECT_EQ(u.rfind("http://127.0.0.1:9000/url-bkt/a.txt?", 0), 0u) << u;
  EXPECT_NE(u.find("X-Amz-Expires=3600"), std::string::npos) << u;

  Json put = req;
  put["method"] = "put";
  put["key"] = "new.txt";
  put["expiresSeconds"] = 86400;
  Json put_url = Ok("StorageService.GetObjectUrl", put);
  EXPECT_EQ(put_url["method"], "PUT");
  EXPECT_NE(put_url["url"].get<std::string>().find("X-Amz-Expires=86400"), std::string::npos);

  Json too_long = req;
  too_long["expires_seconds"] = "86401";
  EXPECT_INVALID_FIELD(Call("StorageService.GetObjectUrl", too_long).status(), "expires_seconds");
  Json negative = req;
  negative["expiresSeconds"] = -5;
  EXPECT_INVALID_FIELD(Call("StorageService.GetObjectUrl", negative).status(), "expiresSeconds");
  Json bad_method = req;
  bad_method["method"] = "DELETE";
  EXPECT_INVALID_FIELD(Call("StorageService.GetObjectUrl", bad_method).status(), "method");
  Json missing = req;
  missing["key"] = "missing.txt";
  EXPECT_EQ(Call("StorageService.GetObjectUrl", missing).status().code(), StatusCode::kNotFound);
}

TEST_F(WireRpcTest, SourcesAndEvents) {
  Json b = Ok("StorageService.CreateBucket", J(R"({"name": "src-bkt"})"));
  Json list = Ok("SourceService.ListSources", J(R"({"bucket": "src-bkt", "page_size": 10})"));
  ASSERT_EQ(list["sources"].size(), 1u);
  Json source = list["sources"][0];
  EXPECT_EQ(source["provider"], "SOURCE_PROVIDER_INTERNAL_S3");
  EXPECT_EQ(source["status"], "SOURCE_STATUS_ACTIVE");
  EXPECT_EQ(source["sourceId"], b["internalSourceId"]);
  EXPECT_EQ(Keys(source), Keys(ToJson(Source{})));
  EXPECT_TRUE(list["pagination"]["totalCount"].is_string());
  Json got = Ok("SourceService.GetSource",
                Json{{"bucket", "src-bkt"}, {"source_id", b["internalSourceId"]}});
  EXPECT_EQ(got, source);
  EXPECT_EQ(Call("SourceService.GetSource", J(R"({"bucket": "src-bkt", "sourceId": "src_nope"})"))
                .status()
                .code(),
            StatusCode::kNotFound);

  Json before = Ok("EventService.ReadEvents", Json::object());
  uint64_t from = std::stoull(before["lastOffset"].get<std::string>()) + 1;
  Ok("StorageService.PutObject", J(R"({"bucket": "src-bkt", "key": "k1", "body": "YQ=="})"));
  Ok("StorageService.DeleteObject", J(R"({"bucket": "src-bkt", "key": "k1"})"));
  Json events = Ok("EventService.ReadEvents", Json{{"from_offset", std::to_string(from)}});
  ASSERT_EQ(events["events"].size(), 2u);
  EXPECT_EQ(events["events"][0]["type"], "object.created");
  EXPECT_EQ(events["events"][0]["key"], "k1");
  EXPECT_EQ(events["events"][0]["size"], "1");
  EXPECT_EQ(events["events"][0]["offset"], std::to_string(from));
  EXPECT_EQ(events["events"][1]["type"], "object.deleted");
  EXPECT_EQ(events["lastOffset"], std::to_string(from + 1));
  Json one = Ok("EventService.ReadEvents", Json{{"fromOffset", from}, {"maxEvents", 1}});
  EXPECT_EQ(one["events"].size(), 1u);
}

}  // namespace
}  // namespace k3::wire
