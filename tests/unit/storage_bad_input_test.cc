// StorageService bad input: every refusal has a clear error code (and a message), and the
// store is exactly as before afterwards: buckets, settings, counters, every object, open
// uploads and their parts, and the events log's last offset (see test::DescribeStore).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/storage_fixture.h"

namespace k3 {
namespace {

using test::Md5Hex;
using test::PatternBytes;

constexpr uint64_t kMiB = 1ull << 20;

class BadInputTest : public test::StorageTest {
 protected:
  void SetUp() override {
    test::StorageTest::SetUp();
    MakeBucket("good");
    Put("good", "a/1", "one");
    Put("good", "a/2", "two");
    Put("good", "b", "bee");
    Put("good", "empty", "");
    Put("good", "big", PatternBytes(kMiB + 10, 1));
    auto up = storage().create_multipart_upload("good", "upload");
    ASSERT_TRUE(up.ok());
    upload_id_ = up->upload_id;
    Baseline();
  }

  // Records the store as it is now; ExpectRefused compares against it.
  void Baseline() { baseline_ = test::DescribeStore(db()); }

  // `s` carries `code` and a message, and the store is unchanged.
  void ExpectRefused(const Status& s, StatusCode code, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_FALSE(s.message().empty());
    EXPECT_EQ(test::DescribeStore(db()), baseline_);
  }

  std::string upload_id_;
  std::string baseline_;
};

// A readable name for a byte string in test traces.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out.size() > 80 ? out.substr(0, 40) + "...(" + std::to_string(s.size()) + " bytes)" : out;
}

// ---------------------------------------------------------------------------------------
// Bucket names

TEST_F(BadInputTest, InvalidBucketNamesAreRefused) {
  const std::vector<std::string> names = {
      "",                    // empty
      "a",                   // too short
      "ab",                  // too short
      std::string(64, 'a'),  // too long
      "MyBucket",            // uppercase
      "my_bucket",           // underscore
      "-bucket",             // leading hyphen
      "bucket-",             // trailing hyphen
      ".bucket",             // leading dot
      "bucket.",             // trailing dot
      "my..bucket",          // two adjacent periods
      "my.-bucket",          // period next to hyphen
      "my-.bucket",          // hyphen next to period
      "192.168.1.1",         // IPv4-like
      "10.0.0.255",          // IPv4-like
      "xn--abc",             // reserved prefix
      "sthree-x",            // reserved prefix
      "abc-s3alias",         // reserved suffix
      "abc--ol-s3",          // reserved suffix
      "my bucket",           // space
      "b\xc3\xbc"
      "cket",                   // unicode
      "buck/et",                // slash
      std::string("nul\0x", 5)  // NUL
  };
  ASSERT_GE(names.size(), 15u);
  for (const std::string& name : names) {
    const std::string what = "name \"" + Printable(name) + "\"";
    ExpectRefused(storage().create_bucket({.name = name}).status(), StatusCode::kInvalidArgument,
                  "create " + what);
    ExpectRefused(storage().get_bucket(name).status(), StatusCode::kInvalidArgument, "get " + what);
    ExpectRefused(storage().put_object(name, "k", "v").status(), StatusCode::kInvalidArgument,
                  "put " + what);
  }
  // The limits themselves are fine.
  for (const std::string& name :
       {std::string("abc"), std::string(63, 'z'), std::string("1.2.3"), std::string("a.b-c.d"),
        std::string("xn-abc"), std::string("sthree"), std::string("s3alias-abc"),
        std::string("192.168.1.1.5"), std::string("0-0")}) {
    EXPECT_TRUE(storage().create_bucket({.name = name}).ok()) << name;
  }
}

TEST_F(BadInputTest, InvalidBucketSettingsAreRefused) {
  ExpectRefused(storage()
                    .create_bucket({.name = "fresh", .access_mode = BucketAccessMode::kUnspecified})
                    .status(),
                StatusCode::kInvalidArgument, "unspecified access mode");
  ExpectRefused(
      storage()
          .create_bucket({.name = "fresh", .access_mode = static_cast<BucketAccessMode>(7)})
          .status(),
      StatusCode::kInvalidArgument, "unknown access mode");
  ExpectRefused(
      storage().create_bucket({.name = "fresh", .description = std::string(4097, 'd')}).status(),
      StatusCode::kInvalidArgument, "description too long");
  ExpectRefused(storage().create_bucket({.name = "good"}).status(), StatusCode::kAlreadyExists,
                "taken name");
  ExpectRefused(storage()
                    .update_bucket({.name = "good", .access_mode = BucketAccessMode::kUnspecified})
                    .status(),
                StatusCode::kInvalidArgument, "update to unspecified access mode");
}

// ---------------------------------------------------------------------------------------
// Object keys

std::vector<std::string> InvalidKeys() {
  std::string multibyte_1026;
  for (int i = 0; i < 342; ++i) multibyte_1026 += "\xe6\x97\xa5";
  return {
      "",                      // empty
      std::string(1025, 'k'),  // too long
      multibyte_1026,          // too long, in bytes though not in characters
      "\xff",                  // never valid in UTF-8
      "bad\xfe",               // never valid in UTF-8
      "\x80"
      "abc",                   // lone continuation byte
      "\xc0\xaf",              // overlong '/'
      "\xe0\x80\xaf",          // overlong '/', 3 bytes
      "\xed\xa0\x80",          // UTF-16 surrogate
      "\xe2\x82",              // truncated sequence at the end
      "\xe2\x82x",             // truncated sequence in the middle
      "\xf4\x90\x80\x80",      // above U+10FFFF
      "\xf8\x88\x80\x80\x80",  // 5-byte form
      std::string("a\0b", 3),  // embedded NUL
      std::string("\0", 1),    // only NUL
  };
}

TEST_F(BadInputTest, InvalidKeysAreRefusedEverywhere) {
  for (const std::string& key : InvalidKeys()) {
    const std::string what = "key \"" + Printable(key) + "\"";
    ExpectRefused(storage().put_object("good", key, "v").status(), StatusCode::kInvalidArgument,
                  "put " + what);
    test::PieceReader reader{.data = "v"};
    ExpectRefused(storage().put_object_stream("good", key, reader.AsReader()).status(),
                  StatusCode::kInvalidArgument, "put_stream " + what);
    ExpectRefused(storage().get_object("good", key).status(), StatusCode::kInvalidArgument,
                  "get " + what);
    ExpectRefused(storage().head_object("good", key).status(), StatusCode::kInvalidArgument,
                  "head " + what);
    ExpectRefused(storage().delete_object("good", key), StatusCode::kInvalidArgument,
                  "delete " + what);
    ExpectRefused(
        storage()
            .copy_object({.source_bucket = "good", .source_key = "b", .bucket = "good", .key = key})
            .status(),
        StatusCode::kInvalidArgument, "copy to " + what);
    ExpectRefused(
        storage()
            .copy_object({.source_bucket = "good", .source_key = key, .bucket = "good", .key = "c"})
            .status(),
        StatusCode::kInvalidArgument, "copy from " + what);
    ExpectRefused(storage().create_multipart_upload("good", key).status(),
                  StatusCode::kInvalidArgument, "create upload " + what);
    auto deleted = storage().delete_objects("good", {key, "b"});
    if (deleted.ok()) {
      ASSERT_EQ(deleted->size(), 2u);
      EXPECT_EQ((*deleted)[0].status.code(), StatusCode::kInvalidArgument) << what;
      // The valid key in the same request was deleted; put it back for the next round.
      ASSERT_TRUE((*deleted)[1].status.ok());
      Put("good", "b", "bee");
      Baseline();
    } else {
      ExpectRefused(deleted.status(), StatusCode::kInvalidArgument, "delete many " + what);
    }
  }
  ExpectNoLeakedBlobs();
}

TEST_F(BadInputTest, PresignWithInvalidKeyIsRefused) {
  for (const std::string& key : InvalidKeys()) {
    PresignRequest req{.bucket = "good",
                       .key = key,
                       .method = PresignMethod::kPut,
                       .endpoint = "https://s3.example.com",
                       .access_key_id = "AK",
                       .secret_access_key = "SK"};
    EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kInvalidArgument)
        << Printable(key);
  }
}

// ---------------------------------------------------------------------------------------
// Put options

TEST_F(BadInputTest, MetadataAndContentTypeLimits) {
  std::vector<std::pair<std::string, PutObjectOptions>> bad = {
      {"one value over 2 KiB", {.metadata = {{"big", std::string(2100, 'v')}}}},
      {"many keys over 2 KiB", {}},
      {"empty metadata key", {.metadata = {{"", "v"}}}},
      {"metadata key of 129 bytes", {.metadata = {{std::string(129, 'k'), "v"}}}},
      {"metadata value not UTF-8", {.metadata = {{"k", "\xff"}}}},
      {"metadata key not UTF-8", {.metadata = {{"\xc0\xaf", "v"}}}},
      {"content type over 256 bytes", {.content_type = std::string(257, 't')}},
      {"content type not UTF-8", {.content_type = "text/\xff"}},
  };
  for (int i = 0; i < 40; ++i)
    bad[1].second.metadata["key-" + std::to_string(i)] = std::string(50, 'x');
  // Exactly at the limits is fine (checked first, so that the refusals below are about size).
  PutObjectOptions at_limit{.content_type = std::string(256, 't'),
                            .metadata = {{std::string(128, 'k'), std::string(2048 - 128, 'v')}}};
  ASSERT_TRUE(storage().put_object("good", "limits", "x", at_limit).ok());
  ASSERT_TRUE(storage().delete_object("good", "limits").ok());
  Baseline();

  for (const auto& [what, options] : bad) {
    ExpectRefused(storage().put_object("good", "m", "x", options).status(),
                  StatusCode::kInvalidArgument, "put: " + what);
    test::PieceReader reader{.data = "x"};
    ExpectRefused(storage().put_object_stream("good", "m", reader.AsReader(), options).status(),
                  StatusCode::kInvalidArgument, "put_stream: " + what);
    ExpectRefused(storage().put_object("good", "m", PatternBytes(9 * kMiB, 2), options).status(),
                  StatusCode::kInvalidArgument, "large put: " + what);
    ExpectRefused(storage().create_multipart_upload("good", "m", options).status(),
                  StatusCode::kInvalidArgument, "create upload: " + what);
    ExpectRefused(storage()
                      .copy_object({.source_bucket = "good",
                                    .source_key = "b",
                                    .bucket = "good",
                                    .key = "m",
                                    .metadata_directive = MetadataDirective::kReplace,
                                    .content_type = options.content_type,
                                    .metadata = options.metadata})
                      .status(),
                  StatusCode::kInvalidArgument, "copy REPLACE: " + what);
  }
  ExpectNoLeakedBlobs();
}

TEST_F(BadInputTest, ConditionalHeadersOnPut) {
  for (const std::string& inm : {std::string("abc"), Md5Hex("one"), std::string("\"*\""),
                                 std::string(""), std::string("**"), std::string(" *")}) {
    ExpectRefused(storage().put_object("good", "b", "new", {.if_none_match = inm}).status(),
                  StatusCode::kInvalidArgument, "If-None-Match \"" + inm + "\"");
    ExpectRefused(storage().put_object("good", "fresh", "new", {.if_none_match = inm}).status(),
                  StatusCode::kInvalidArgument, "If-None-Match \"" + inm + "\" on a new key");
  }
  for (const std::string& im : {std::string(""), std::string("\"\"")}) {
    ExpectRefused(storage().put_object("good", "b", "new", {.if_match = im}).status(),
                  StatusCode::kInvalidArgument, "If-Match \"" + im + "\"");
  }
  // Conditions that are well-formed but false.
  ExpectRefused(storage().put_object("good", "b", "new", {.if_none_match = "*"}).status(),
                StatusCode::kFailedPrecondition, "If-None-Match * on an existing key");
  ExpectRefused(storage().put_object("good", "b", "new", {.if_match = Md5Hex("nope")}).status(),
                StatusCode::kFailedPrecondition, "If-Match stale");
  ExpectRefused(storage().put_object("good", "zz", "new", {.if_match = Md5Hex("bee")}).status(),
                StatusCode::kFailedPrecondition, "If-Match on a missing key");
  // Multipart uploads take no conditions.
  ExpectRefused(storage().create_multipart_upload("good", "mp", {.if_none_match = "*"}).status(),
                StatusCode::kInvalidArgument, "conditional multipart");
  ExpectRefused(
      storage().create_multipart_upload("good", "mp", {.if_match = Md5Hex("bee")}).status(),
      StatusCode::kInvalidArgument, "conditional multipart (If-Match)");
}

// ---------------------------------------------------------------------------------------
// Multipart completes

class BadCompleteTest : public BadInputTest {
 protected:
  void SetUp() override {
    BadInputTest::SetUp();
    p1_ = PatternBytes(kMinPartSize, 11);
    p2_ = PatternBytes(kMinPartSize, 12);
    p3_ = "the small last part";
    e1_ = storage().upload_part("good", "upload", upload_id_, 1, p1_).value().etag;
    e2_ = storage().upload_part("good", "upload", upload_id_, 2, p2_).value().etag;
    e3_ = storage().upload_part("good", "upload", upload_id_, 3, p3_).value().etag;
    e4_ = storage().upload_part("good", "upload", upload_id_, 4, "tiny").value().etag;
    Baseline();
  }

  void ExpectCompleteRefused(const std::vector<CompletedPart>& parts, StatusCode code,
                             const std::string& what, std::string_view key = "upload",
                             std::string_view upload_id = {}, std::string_view bucket = "good") {
    ExpectRefused(storage()
                      .complete_multipart_upload(bucket, key,
                                                 upload_id.empty() ? upload_id_ : upload_id, parts)
                      .status(),
                  code, what);
  }

  std::string p1_, p2_, p3_, e1_, e2_, e3_, e4_;
};

TEST_F(BadCompleteTest, EveryMalformedPartListIsRefusedAndTheUploadSurvives) {
  ExpectCompleteRefused({{2, e2_}, {1, e1_}, {3, e3_}}, StatusCode::kInvalidArgument,
                        "wrong order");
  ExpectCompleteRefused({{1, e1_}, {1, e1_}, {3, e3_}}, StatusCode::kInvalidArgument,
                        "duplicate part");
  ExpectCompleteRefused({{1, e1_}, {2, e2_}, {5, Md5Hex("x")}}, StatusCode::kInvalidArgument,
                        "part never uploaded");
  ExpectCompleteRefused({{1, e1_}, {9999, e3_}}, StatusCode::kInvalidArgument, "unknown part");
  ExpectCompleteRefused({{0, e1_}}, StatusCode::kInvalidArgument, "part number 0");
  ExpectCompleteRefused({{1, e1_}, {3, e3_}, {4, e4_}}, StatusCode::kInvalidArgument,
                        "a too-small middle part");
  ExpectCompleteRefused({{1, e1_}, {2, e3_}, {3, e3_}}, StatusCode::kInvalidArgument, "wrong ETag");
  ExpectCompleteRefused({{1, e1_}, {2, e2_}, {3, ""}}, StatusCode::kInvalidArgument, "empty ETag");
  ExpectCompleteRefused({{1, e1_ + "-1"}}, StatusCode::kInvalidArgument, "ETag with a suffix");
  ExpectCompleteRefused({}, StatusCode::kInvalidArgument, "empty part list");
  ExpectCompleteRefused({{1, e1_}}, StatusCode::kNotFound, "unknown upload id", "upload",
                        "mpu_01NOSUCHUPLOAD0000000000");
  ExpectCompleteRefused({{1, e1_}}, StatusCode::kNotFound, "upload id of another key", "other");
  ExpectCompleteRefused({{1, e1_}}, StatusCode::kNotFound, "missing bucket", "upload", {},
                        "nobucket");
  MakeBucket("good2");
  Baseline();
  ExpectCompleteRefused({{1, e1_}}, StatusCode::kNotFound, "upload id of another bucket", "upload",
                        {}, "good2");

  // The error names the problem.
  Status wrong =
      storage()
          .complete_multipart_upload("good", "upload", upload_id_, {{1, e1_}, {3, e3_}, {4, e4_}})
          .status();
  EXPECT_NE(wrong.message().find("5 MiB"), std::string::npos) << wrong.message();

  // After all that, the upload still completes, with every part intact.
  auto done = storage().complete_multipart_upload("good", "upload", upload_id_,
                                                  {{1, e1_}, {2, e2_}, {3, e3_}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, test::MultipartEtag({p1_, p2_, p3_}));
  EXPECT_TRUE(storage().get_object("good", "upload")->body == p1_ + p2_ + p3_);
  ExpectNoLeakedBlobs();
}

TEST_F(BadCompleteTest, PartNumbersOutOfRange) {
  ExpectRefused(storage().upload_part("good", "upload", upload_id_, 0, "x").status(),
                StatusCode::kInvalidArgument, "part 0");
  ExpectRefused(storage().upload_part("good", "upload", upload_id_, 10001, "x").status(),
                StatusCode::kInvalidArgument, "part 10001");
  ExpectRefused(storage().upload_part("good", "upload", upload_id_, 0xFFFFFFFFu, "x").status(),
                StatusCode::kInvalidArgument, "part 2^32-1");
  test::PieceReader reader{.data = "x"};
  ExpectRefused(
      storage().upload_part_stream("good", "upload", upload_id_, 0, reader.AsReader()).status(),
      StatusCode::kInvalidArgument, "stream part 0");
  ExpectRefused(storage().upload_part("good", "upload", "mpu_nope", 1, "x").status(),
                StatusCode::kNotFound, "unknown upload");
  ExpectRefused(storage().upload_part("good", "other", upload_id_, 1, "x").status(),
                StatusCode::kNotFound, "upload of another key");
  ExpectRefused(
      storage().upload_part_stream("good", "upload", upload_id_, 1, ObjectReader()).status(),
      StatusCode::kInvalidArgument, "null reader");
  test::PieceReader failing{
      .data = PatternBytes(2 * kMiB, 3), .pieces = {65536}, .fail_after = kMiB + 5};
  ExpectRefused(
      storage().upload_part_stream("good", "upload", upload_id_, 1, failing.AsReader()).status(),
      StatusCode::kAborted, "part reader fails midway (part 1 keeps its old bytes)");
  ExpectRefused(storage().abort_multipart_upload("good", "upload", "mpu_nope"),
                StatusCode::kNotFound, "abort unknown upload");
  ExpectRefused(storage().list_parts("good", "upload", upload_id_, -1).status(),
                StatusCode::kInvalidArgument, "negative max_parts");
  ExpectNoLeakedBlobs();
}

// ---------------------------------------------------------------------------------------
// Ranges

TEST_F(BadInputTest, UnsatisfiableRangesAreOutOfRange) {
  const uint64_t big = kMiB + 10;
  struct Case {
    std::string key, range;
  };
  const std::vector<Case> cases = {
      {"b", "bytes=3-"},       // start == size
      {"b", "bytes=3-5"},      // start == size, with a last
      {"b", "bytes=100-200"},  // start beyond the end
      {"b", "bytes=-0"},       // empty suffix
      {"big", "bytes=" + std::to_string(big) + "-"},
      {"big", "bytes=" + std::to_string(big) + "-" + std::to_string(big + 100)},
      {"big", "bytes=-0"},
      {"empty", "bytes=0-0"},  // any range on an empty object
      {"empty", "bytes=0-"},
      {"empty", "bytes=-1"},
      {"empty", "bytes=-100"},
      {"empty", "bytes=5-10"},
  };
  for (const Case& c : cases) {
    auto range = ByteRange::Parse(c.range);
    ASSERT_TRUE(range.ok()) << c.range << ": " << range.status().ToString();
    ExpectRefused(storage().get_object("good", c.key, {.range = *range}).status(),
                  StatusCode::kOutOfRange, c.key + " " + c.range);
    int calls = 0;
    ExpectRefused(storage()
                      .get_object_stream("good", c.key,
                                         [&](std::string_view) {
                                           ++calls;
                                           return Status();
                                         },
                                         {.range = *range})
                      .status(),
                  StatusCode::kOutOfRange, "stream " + c.key + " " + c.range);
    EXPECT_EQ(calls, 0);
  }
}

TEST_F(BadInputTest, MalformedRangeStringsAreInvalidArgument) {
  for (const std::string& header : {std::string(""),
                                    std::string("bytes"),
                                    std::string("bytes="),
                                    std::string("bytes=-"),
                                    std::string("bytes=a-b"),
                                    std::string("bytes=1-a"),
                                    std::string("bytes=5-2"),
                                    std::string("bytes=0-1,3-4"),
                                    std::string("bytes=0-1,"),
                                    std::string("bits=0-1"),
                                    std::string("bytes 0-1"),
                                    std::string(" bytes=0-1"),
                                    std::string("bytes=0-1 "),
                                    std::string("bytes= 0-1"),
                                    std::string("bytes=--1"),
                                    std::string("bytes=1--2"),
                                    std::string("bytes=+1-2"),
                                    std::string("bytes=-+1"),
                                    std::string("bytes=0x10-"),
                                    std::string("bytes=1-2-3"),
                                    std::string("bytes=99999999999999999999-"),
                                    std::string("bytes=-99999999999999999999"),
                                    std::string("bytes=\xef\xbc\x91-2")}) {
    auto r = ByteRange::Parse(header);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "\"" << Printable(header) << "\"";
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST_F(BadInputTest, HandBuiltRangeWithLastBeforeFirstIsRefused) {
  // ByteRange is a public struct, so a host can build one that Parse would refuse.
  GetObjectOptions options;
  options.range = ByteRange{.first = 5, .last = 2};
  Status s = storage().get_object("good", "big", options).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  std::string streamed;
  Status t = storage()
                 .get_object_stream(
                     "good", "big",
                     [&](std::string_view b) {
                       streamed.append(b);
                       return Status();
                     },
                     options)
                 .status();
  EXPECT_EQ(t.code(), StatusCode::kInvalidArgument) << t.ToString();
  EXPECT_EQ(streamed.size(), 0u);
}

TEST_F(BadInputTest, HandBuiltRangeWithNoFormOrTwoFormsIsRefused) {
  for (const ByteRange& range : {ByteRange{}, ByteRange{.first = 1, .suffix_length = 2},
                                 ByteRange{.last = 3, .suffix_length = 2}}) {
    GetObjectOptions options;
    options.range = range;
    Status s = storage().get_object("good", "big", options).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  }
}

// ---------------------------------------------------------------------------------------
// Quota

TEST_F(BadInputTest, QuotaExceededWritesNothing) {
  MakeBucket("capped", 1000);
  Put("capped", "a", std::string(600, 'a'));
  Baseline();
  const std::string fits(400, 'b'), over(401, 'b');

  ExpectRefused(storage().put_object("capped", "b", over).status(), StatusCode::kResourceExhausted,
                "put one byte over");
  ExpectRefused(storage().put_object("capped", "b", PatternBytes(9 * kMiB, 4)).status(),
                StatusCode::kResourceExhausted, "large put");
  test::PieceReader small_stream{.data = over, .pieces = {100}};
  ExpectRefused(storage().put_object_stream("capped", "b", small_stream.AsReader()).status(),
                StatusCode::kResourceExhausted, "stream one byte over");
  test::PieceReader big_stream{.data = PatternBytes(3 * kMiB, 5), .pieces = {kMiB / 3}};
  ExpectRefused(storage().put_object_stream("capped", "b", big_stream.AsReader()).status(),
                StatusCode::kResourceExhausted, "stream far over");
  // Overwriting "a" may grow it only up to the quota.
  ExpectRefused(storage().put_object("capped", "a", std::string(1001, 'a')).status(),
                StatusCode::kResourceExhausted, "overwrite over");
  ExpectRefused(
      storage()
          .copy_object(
              {.source_bucket = "good", .source_key = "big", .bucket = "capped", .key = "c"})
          .status(),
      StatusCode::kResourceExhausted, "copy over");

  // Multipart: the parts are not counted, the completed object is.
  auto up = storage().create_multipart_upload("capped", "mp");
  ASSERT_TRUE(up.ok());
  auto part = storage().upload_part("capped", "mp", up->upload_id, 1, over);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  Baseline();
  ExpectRefused(storage()
                    .complete_multipart_upload("capped", "mp", up->upload_id, {{1, part->etag}})
                    .status(),
                StatusCode::kResourceExhausted, "multipart complete over");
  // The upload survives the refusal and can be aborted.
  ASSERT_TRUE(storage().abort_multipart_upload("capped", "mp", up->upload_id).ok());
  Baseline();

  // Exactly at the quota is allowed.
  ASSERT_TRUE(storage().put_object("capped", "b", fits).ok());
  EXPECT_EQ(GetBucket("capped").storage_used_bytes, 1000u);
  // Below a lowered quota, growth is refused but deletes still work.
  ASSERT_TRUE(storage().update_bucket({.name = "capped", .storage_quota_bytes = 100}).ok());
  Baseline();
  ExpectRefused(storage().put_object("capped", "c", "1").status(), StatusCode::kResourceExhausted,
                "put while over a lowered quota");
  ASSERT_TRUE(storage().delete_object("capped", "a").ok());
  EXPECT_EQ(GetBucket("capped").storage_used_bytes, 400u);
  ExpectNoLeakedBlobs();
}

// ---------------------------------------------------------------------------------------
// Buckets that are not empty or do not exist

TEST_F(BadInputTest, DeletingANonEmptyBucketIsRefused) {
  ExpectRefused(storage().delete_bucket({.name = "good"}), StatusCode::kFailedPrecondition,
                "objects and an upload");
  ASSERT_TRUE(storage().abort_multipart_upload("good", "upload", upload_id_).ok());
  Baseline();
  ExpectRefused(storage().delete_bucket({.name = "good"}), StatusCode::kFailedPrecondition,
                "objects only");
}

TEST_F(BadInputTest, EveryOperationOnAMissingBucketIsNotFound) {
  const std::string m = "missing";
  const auto nf = StatusCode::kNotFound;
  test::PieceReader reader{.data = "x"};
  ExpectRefused(storage().get_bucket(m).status(), nf, "get_bucket");
  ExpectRefused(storage().update_bucket({.name = m, .description = "d"}).status(), nf, "update");
  ExpectRefused(storage().delete_bucket({.name = m}), nf, "delete_bucket");
  ExpectRefused(storage().delete_bucket({.name = m, .force = true}), nf, "delete_bucket force");
  ExpectRefused(storage().put_object(m, "k", "v").status(), nf, "put");
  ExpectRefused(storage().put_object(m, "k", PatternBytes(9 * kMiB, 6)).status(), nf, "large put");
  ExpectRefused(storage().put_object_stream(m, "k", reader.AsReader()).status(), nf, "put_stream");
  ExpectRefused(storage().get_object(m, "k").status(), nf, "get");
  ExpectRefused(
      storage().get_object_stream(m, "k", [](std::string_view) { return Status(); }).status(), nf,
      "get_stream");
  ExpectRefused(storage().head_object(m, "k").status(), nf, "head");
  ExpectRefused(storage().delete_object(m, "k"), nf, "delete");
  ExpectRefused(storage().delete_objects(m, {"k"}).status(), nf, "delete_objects");
  ExpectRefused(
      storage()
          .copy_object({.source_bucket = m, .source_key = "b", .bucket = "good", .key = "c"})
          .status(),
      nf, "copy from");
  ExpectRefused(
      storage()
          .copy_object({.source_bucket = "good", .source_key = "b", .bucket = m, .key = "c"})
          .status(),
      nf, "copy to");
  ExpectRefused(storage().list_objects({.bucket = m}).status(), nf, "list_objects");
  ExpectRefused(storage().create_multipart_upload(m, "k").status(), nf, "create upload");
  ExpectRefused(storage().upload_part(m, "upload", upload_id_, 1, "x").status(), nf, "upload_part");
  ExpectRefused(storage().list_parts(m, "upload", upload_id_).status(), nf, "list_parts");
  ExpectRefused(storage().list_multipart_uploads(m).status(), nf, "list uploads");
  ExpectRefused(storage().complete_multipart_upload(m, "upload", upload_id_, {{1, "e"}}).status(),
                nf, "complete");
  ExpectRefused(storage().abort_multipart_upload(m, "upload", upload_id_), nf, "abort");
  ExpectRefused(
      storage().put_bucket_policy(
          m, R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})"),
      nf, "put policy");
  ExpectRefused(storage().get_bucket_policy(m).status(), nf, "get policy");
  ExpectRefused(storage().delete_bucket_policy(m), nf, "delete policy");
  ExpectRefused(storage().put_bucket_cors(
                    m, {.cors_rules = {{.allowed_origins = {"*"}, .allowed_methods = {"GET"}}}}),
                nf, "put cors");
  ExpectRefused(storage().get_bucket_cors(m).status(), nf, "get cors");
  ExpectRefused(storage().delete_bucket_cors(m), nf, "delete cors");
  ExpectRefused(storage()
                    .presign_url({.bucket = m,
                                  .key = "k",
                                  .method = PresignMethod::kPut,
                                  .endpoint = "https://s3.example.com",
                                  .access_key_id = "AK",
                                  .secret_access_key = "SK"})
                    .status(),
                nf, "presign");
}

// ---------------------------------------------------------------------------------------
// Listing arguments

TEST_F(BadInputTest, ListObjectsArguments) {
  auto first = storage().list_objects({.bucket = "good", .prefix = "a/", .max_keys = 1});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->is_truncated);
  const std::string token = first->next_continuation_token;
  auto whole = storage().list_objects({.bucket = "good", .max_keys = 1});
  ASSERT_TRUE(whole.ok());
  ASSERT_TRUE(whole->is_truncated);

  const auto bad = StatusCode::kInvalidArgument;
  ExpectRefused(
      storage().list_objects({.bucket = "good", .continuation_token = "garbage"}).status(), bad,
      "garbage token");
  ExpectRefused(storage().list_objects({.bucket = "good", .continuation_token = "!!!"}).status(),
                bad, "token that is not base64");
  std::string tampered = token;  // a character inside the check bytes
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  ExpectRefused(
      storage()
          .list_objects({.bucket = "good", .prefix = "a/", .continuation_token = tampered})
          .status(),
      bad, "tampered token");
  ExpectRefused(storage()
                    .list_objects({.bucket = "good", .prefix = "b", .continuation_token = token})
                    .status(),
                bad, "token from another prefix");
  ExpectRefused(storage().list_objects({.bucket = "good", .continuation_token = token}).status(),
                bad, "token from a prefix, used without one");
  ExpectRefused(
      storage()
          .list_objects(
              {.bucket = "good", .prefix = "a/", .delimiter = "/", .continuation_token = token})
          .status(),
      bad, "token from another delimiter");
  MakeBucket("good2");
  Baseline();
  ExpectRefused(storage()
                    .list_objects({.bucket = "good2", .prefix = "a/", .continuation_token = token})
                    .status(),
                bad, "token from another bucket");
  ExpectRefused(
      storage().list_multipart_uploads("good", "", 0, whole->next_continuation_token).status(), bad,
      "an objects token used for uploads");
  ExpectRefused(storage().list_objects({.bucket = "good", .max_keys = -1}).status(), bad,
                "max_keys -1");
  ExpectRefused(storage().list_objects({.bucket = "good", .max_keys = -1000}).status(), bad,
                "max_keys -1000");
  ExpectRefused(storage().list_objects({.bucket = "good", .prefix = "\xff"}).status(), bad,
                "prefix not UTF-8");
  ExpectRefused(storage().list_objects({.bucket = "good", .delimiter = "\xc0\xaf"}).status(), bad,
                "delimiter not UTF-8");
  ExpectRefused(storage().list_objects({.bucket = "good", .start_after = "\xed\xa0\x80"}).status(),
                bad, "start_after not UTF-8");
  ExpectRefused(storage().list_multipart_uploads("good", "", -1).status(), bad,
                "max_uploads negative");
  ExpectRefused(storage().list_multipart_uploads("good", "", 0, "garbage").status(), bad,
                "uploads: garbage token");
  ExpectRefused(storage().list_buckets({.page_size = -1}).status(), bad, "page_size negative");
  ExpectRefused(storage().list_buckets({.page_token = token}).status(), bad,
                "an objects token used for buckets");

  // The genuine token still works where it belongs.
  auto second =
      storage().list_objects({.bucket = "good", .prefix = "a/", .continuation_token = token});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->objects.size(), 1u);
  EXPECT_EQ(second->objects[0].key, "a/2");
  // max_keys above 1000 is capped, not refused.
  EXPECT_TRUE(storage().list_objects({.bucket = "good", .max_keys = 5000}).ok());
}

TEST_F(BadInputTest, DeleteObjectsOverOneThousandKeys) {
  std::vector<std::string> keys(1001, "b");
  ExpectRefused(storage().delete_objects("good", keys).status(), StatusCode::kInvalidArgument,
                "1001 keys");
}

TEST_F(BadInputTest, PolicyAndCorsDocuments) {
  for (
      const std::string& doc :
      {std::string(""), std::string("{"), std::string("[]"), std::string("{}"),
       std::string(R"({"Statement":[]})"),
       std::string(
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:Get","Resource":"*","Extra":1}})"),
       std::string(
           R"({"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})"),
       std::string(20 * 1024 + 1, ' ')}) {
    ExpectRefused(storage().put_bucket_policy("good", doc), StatusCode::kInvalidArgument,
                  "policy " + doc.substr(0, 60));
  }
  CorsConfiguration too_many;
  for (int i = 0; i < 101; ++i) {
    too_many.cors_rules.push_back({.allowed_origins = {"*"}, .allowed_methods = {"GET"}});
  }
  ExpectRefused(storage().put_bucket_cors("good", too_many), StatusCode::kInvalidArgument,
                "101 CORS rules");
  ExpectRefused(
      storage().put_bucket_cors(
          "good", {.cors_rules = {{.allowed_origins = {"*"}, .allowed_methods = {"PATCH"}}}}),
      StatusCode::kInvalidArgument, "CORS method PATCH");
  ExpectRefused(storage().put_bucket_cors("good", {.cors_rules = {{.allowed_origins = {"*"},
                                                                   .allowed_methods = {"GET"},
                                                                   .expose_headers = {"*"}}}}),
                StatusCode::kInvalidArgument, "CORS expose header *");
}

}  // namespace
}  // namespace k3
