// StorageService objects: put (bytes and streams), get (whole, ranges, streamed,
// conditional), head, delete, delete many, copy, unusual keys, the events log, and multipart
// uploads.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/storage_fixture.h"
#include "support/temp_dir.h"

namespace k3 {
namespace {

using test::Md5Hex;
using test::PatternBytes;
using test::StorageTest;

constexpr uint64_t kMiB = 1ull << 20;

class ObjectTest : public StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    MakeBucket("bkt");
  }

  GetObjectResult MustGet(const std::string& key, const GetObjectOptions& options = {}) {
    auto got = storage().get_object("bkt", key, options);
    EXPECT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    return got.ok() ? *got : GetObjectResult{};
  }

  GetObjectOptions Range(std::string_view header) {
    auto r = ByteRange::Parse(header);
    EXPECT_TRUE(r.ok()) << header << ": " << r.status().ToString();
    GetObjectOptions o;
    if (r.ok()) o.range = *r;
    return o;
  }
};

// ---------------------------------------------------------------------------------------
// Put and get

TEST_F(ObjectTest, EtagIsMd5HexOfTheBytes) {
  EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592");  // anchors the helper
  EXPECT_EQ(Put("bkt", "h", "hello").etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Put("bkt", "e", "").etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Put("bkt", "fox", "The quick brown fox jumps over the lazy dog").etag,
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(storage().head_object("bkt", "h")->etag, "5d41402abc4b2a76b9719d911017c592");
}

TEST_F(ObjectTest, PutAndGetBytesRoundTrip) {
  std::string bytes("bin\0ary\xff\x80 data", 15);
  ObjectInfo put = Put("bkt", "docs/a.bin", bytes);
  EXPECT_EQ(put.bucket, "bkt");
  EXPECT_EQ(put.key, "docs/a.bin");
  EXPECT_EQ(put.size, bytes.size());
  EXPECT_EQ(put.etag, Md5Hex(bytes));
  EXPECT_EQ(put.content_type, "application/octet-stream");
  EXPECT_TRUE(put.metadata.empty());
  EXPECT_EQ(put.parts_count, 0u);
  EXPECT_GT(put.created_at, 0);
  EXPECT_EQ(put.created_at, put.updated_at);

  GetObjectResult got = MustGet("docs/a.bin");
  EXPECT_EQ(got.body, bytes);
  EXPECT_FALSE(got.partial);
  EXPECT_FALSE(got.not_modified);
  EXPECT_EQ(got.info.key, "docs/a.bin");
  EXPECT_EQ(got.info.bucket, "bkt");
  EXPECT_EQ(got.info.size, bytes.size());
  EXPECT_EQ(got.info.etag, put.etag);
  EXPECT_EQ(got.info.created_at, put.created_at);
  EXPECT_EQ(got.info.updated_at, put.updated_at);
}

TEST_F(ObjectTest, EmptyObject) {
  Put("bkt", "empty", "");
  GetObjectResult got = MustGet("empty");
  EXPECT_EQ(got.body, "");
  EXPECT_EQ(got.info.size, 0u);
  std::string streamed;
  int calls = 0;
  auto s = storage().get_object_stream("bkt", "empty", [&](std::string_view b) {
    ++calls;
    streamed.append(b);
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(streamed, "");
  EXPECT_LE(calls, 1);
  EXPECT_EQ(s->info.etag, Md5Hex(""));
}

TEST_F(ObjectTest, ContentTypeAndMetadataAreStoredAndReplacedOnOverwrite) {
  PutObjectOptions opts{.content_type = "text/markdown; charset=utf-8",
                        .metadata = {{"author", "ana"}, {"lang", "pt-BR"}, {"empty", ""}}};
  ObjectInfo first = Put("bkt", "doc.md", "# hi", opts);
  EXPECT_EQ(first.content_type, "text/markdown; charset=utf-8");
  EXPECT_EQ(first.metadata, opts.metadata);
  auto head = storage().head_object("bkt", "doc.md");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->content_type, opts.content_type);
  EXPECT_EQ(head->metadata, opts.metadata);
  EXPECT_EQ(head->etag, first.etag);
  EXPECT_EQ(head->size, 4u);

  // An overwrite replaces type and metadata wholesale, and keeps created_at.
  ObjectInfo second = Put("bkt", "doc.md", "# bye");
  EXPECT_EQ(second.content_type, "application/octet-stream");
  EXPECT_TRUE(second.metadata.empty());
  EXPECT_EQ(second.created_at, first.created_at);
  EXPECT_GE(second.updated_at, first.updated_at);
  auto again = storage().head_object("bkt", "doc.md");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->metadata.empty());
  EXPECT_EQ(again->created_at, first.created_at);
  EXPECT_EQ(MustGet("doc.md").body, "# bye");
}

TEST_F(ObjectTest, LargeBytesPutRoundTripsThroughTheStreamingPath) {
  const std::string bytes = PatternBytes(9 * kMiB + 17, 9);
  ObjectInfo put = Put("bkt", "large", bytes);
  EXPECT_EQ(put.size, bytes.size());
  EXPECT_EQ(put.etag, Md5Hex(bytes));
  EXPECT_EQ(MustGet("large").body, bytes);
  EXPECT_EQ(GetBucket("bkt").storage_used_bytes, bytes.size());
}

// ---------------------------------------------------------------------------------------
// Streaming put

TEST_F(ObjectTest, PutStreamWithSmallAndOddSizedPieces) {
  const std::string bytes = PatternBytes(3 * kMiB + 12345, 3);
  test::PieceReader reader{.data = bytes, .pieces = {1, 7, 4093, 65537, kMiB + 3, 2}};
  auto info = storage().put_object_stream(
      "bkt", "streamed", reader.AsReader(),
      {.content_type = "application/x-test", .metadata = {{"via", "stream"}}});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, bytes.size());
  EXPECT_EQ(info->etag, Md5Hex(bytes));
  EXPECT_EQ(info->content_type, "application/x-test");
  EXPECT_EQ(info->metadata.at("via"), "stream");
  EXPECT_EQ(reader.pos, bytes.size());
  GetObjectResult got = MustGet("streamed");
  EXPECT_EQ(got.body.size(), bytes.size());
  EXPECT_TRUE(got.body == bytes);
  EXPECT_EQ(got.info.etag, Md5Hex(bytes));
}

TEST_F(ObjectTest, PutStreamOneByteAtATime) {
  const std::string bytes = PatternBytes(5000, 4);
  test::PieceReader reader{.data = bytes, .pieces = {1}};
  auto info = storage().put_object_stream("bkt", "bytewise", reader.AsReader());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->etag, Md5Hex(bytes));
  EXPECT_EQ(MustGet("bytewise").body, bytes);
}

TEST_F(ObjectTest, PutStreamOfNothingMakesAnEmptyObject) {
  test::PieceReader reader{.data = ""};
  auto info = storage().put_object_stream("bkt", "nothing", reader.AsReader());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->etag, Md5Hex(""));
  EXPECT_EQ(MustGet("nothing").body, "");
  EXPECT_EQ(GetBucket("bkt").object_count, 1u);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, PutStreamThatFailsMidwayLeavesNothing) {
  const std::string old_bytes = "the old version";
  Put("bkt", "keep", old_bytes);
  const std::string before = test::DescribeStore(db());
  const uint64_t offset = events().last_offset();

  for (const std::string key : {"new-key", "keep"}) {
    SCOPED_TRACE(key);
    // Fails after more than two chunks have been written out.
    test::PieceReader reader{
        .data = PatternBytes(4 * kMiB, 5), .pieces = {300000}, .fail_after = 2 * kMiB + kMiB / 2};
    auto info = storage().put_object_stream("bkt", key, reader.AsReader());
    EXPECT_EQ(info.status().code(), StatusCode::kAborted) << info.status().ToString();
    EXPECT_EQ(info.status().message(), "reader failed on purpose");
  }
  // Fails on the very first call.
  test::PieceReader first{.data = "abc", .fail_after = 0};
  EXPECT_EQ(storage().put_object_stream("bkt", "new-key", first.AsReader()).status().code(),
            StatusCode::kAborted);

  EXPECT_EQ(test::DescribeStore(db()), before);
  EXPECT_EQ(events().last_offset(), offset);
  EXPECT_EQ(storage().get_object("bkt", "new-key").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MustGet("keep").body, old_bytes);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, PutStreamReaderThatOverfillsIsRefused) {
  int calls = 0;
  ObjectReader liar = [&](char* buf, size_t cap) -> Result<size_t> {
    if (calls++ > 0) return size_t{0};
    buf[0] = 'x';  // writes within bounds, but claims more than it was offered
    return cap + 1;
  };
  EXPECT_EQ(storage().put_object_stream("bkt", "liar", liar).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().head_object("bkt", "liar").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().put_object_stream("bkt", "null", ObjectReader()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GetBucket("bkt").object_count, 0u);
  ExpectNoLeakedBlobs();
}

// ---------------------------------------------------------------------------------------
// Conditional put

TEST_F(ObjectTest, IfNoneMatchStarIsCreateOnly) {
  ObjectInfo first = Put("bkt", "once", "one", {.if_none_match = "*"});
  EXPECT_EQ(first.etag, Md5Hex("one"));
  const uint64_t offset = events().last_offset();
  auto second = storage().put_object("bkt", "once", "two", {.if_none_match = "*"});
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  test::PieceReader reader{.data = "three"};
  EXPECT_EQ(storage()
                .put_object_stream("bkt", "once", reader.AsReader(), {.if_none_match = "*"})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("once").body, "one");
  EXPECT_EQ(events().last_offset(), offset);
  // Once deleted, the key may be created again.
  ASSERT_TRUE(storage().delete_object("bkt", "once").ok());
  EXPECT_TRUE(storage().put_object("bkt", "once", "four", {.if_none_match = "*"}).ok());
}

TEST_F(ObjectTest, IfMatchWritesOnlyOverTheGivenVersion) {
  ObjectInfo v1 = Put("bkt", "cas", "v1");
  ObjectInfo v2 = Put("bkt", "cas", "v2", {.if_match = v1.etag});
  EXPECT_EQ(v2.etag, Md5Hex("v2"));
  // Quoted ETags, as HTTP sends them, work too.
  ObjectInfo v3 = Put("bkt", "cas", "v3", {.if_match = "\"" + v2.etag + "\""});
  EXPECT_EQ(MustGet("cas").body, "v3");
  const uint64_t offset = events().last_offset();
  // A stale ETag is refused, by bytes and by stream.
  EXPECT_EQ(storage().put_object("bkt", "cas", "lost", {.if_match = v1.etag}).status().code(),
            StatusCode::kFailedPrecondition);
  test::PieceReader reader{.data = "lost"};
  EXPECT_EQ(storage()
                .put_object_stream("bkt", "cas", reader.AsReader(), {.if_match = v2.etag})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  // No current object: If-Match fails.
  EXPECT_EQ(storage().put_object("bkt", "absent", "x", {.if_match = v3.etag}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(MustGet("cas").body, "v3");
  EXPECT_EQ(storage().head_object("bkt", "absent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(events().last_offset(), offset);
  test::PieceReader ok_reader{.data = "v4"};
  EXPECT_TRUE(
      storage().put_object_stream("bkt", "cas", ok_reader.AsReader(), {.if_match = v3.etag}).ok());
  EXPECT_EQ(MustGet("cas").body, "v4");
}

// ---------------------------------------------------------------------------------------
// Ranges

class RangeTest : public ObjectTest {
 protected:
  void SetUp() override {
    ObjectTest::SetUp();
    bytes_ = PatternBytes(3 * kMiB + 4321, 7);
    Put("bkt", "big", bytes_);
  }

  // Checks that `header` serves bytes [first, last] of the object.
  void ExpectRange(std::string_view header, uint64_t first, uint64_t last) {
    SCOPED_TRACE(std::string(header));
    GetObjectResult got = MustGet("big", Range(header));
    EXPECT_TRUE(got.partial);
    EXPECT_EQ(got.range_first, first);
    EXPECT_EQ(got.range_last, last);
    EXPECT_EQ(got.info.size, bytes_.size());
    ASSERT_EQ(got.body.size(), last - first + 1);
    EXPECT_TRUE(got.body == bytes_.substr(first, last - first + 1));
    // The streaming form serves the same bytes.
    std::string streamed;
    auto s = storage().get_object_stream(
        "bkt", "big",
        [&](std::string_view b) {
          streamed.append(b);
          return Status();
        },
        Range(header));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE(s->partial);
    EXPECT_EQ(s->range_first, first);
    EXPECT_EQ(s->range_last, last);
    EXPECT_TRUE(s->body.empty());
    EXPECT_TRUE(streamed == got.body);
  }

  std::string bytes_;
};

TEST_F(RangeTest, FirstByteOnly) { ExpectRange("bytes=0-0", 0, 0); }

TEST_F(RangeTest, MiddleOfTheFirstChunk) { ExpectRange("bytes=1000-1999", 1000, 1999); }

TEST_F(RangeTest, AcrossOneChunkBoundary) {
  ExpectRange("bytes=1048566-1048585", kMiB - 10, kMiB + 9);
  ExpectRange("bytes=1048575-1048576", kMiB - 1, kMiB);
  ExpectRange("bytes=1048576-1048576", kMiB, kMiB);
}

TEST_F(RangeTest, AcrossSeveralChunkBoundaries) {
  ExpectRange("bytes=1048575-3145728", kMiB - 1, 3 * kMiB);
}

TEST_F(RangeTest, OpenEndedReadsToTheEnd) {
  const uint64_t size = 3 * kMiB + 4321;
  ExpectRange("bytes=3145000-", 3145000, size - 1);
  ExpectRange("bytes=0-", 0, size - 1);
  ExpectRange("bytes=" + std::to_string(size - 1) + "-", size - 1, size - 1);
}

TEST_F(RangeTest, SuffixReadsTheLastBytes) {
  const uint64_t size = 3 * kMiB + 4321;
  ExpectRange("bytes=-1", size - 1, size - 1);
  ExpectRange("bytes=-4322", size - 4322, size - 1);  // starts one byte before the chunk edge
  ExpectRange("bytes=-" + std::to_string(size), 0, size - 1);
  // A suffix longer than the object is the whole object.
  ExpectRange("bytes=-99999999", 0, size - 1);
}

TEST_F(RangeTest, LastByteBeyondTheEndIsClamped) {
  const uint64_t size = 3 * kMiB + 4321;
  ExpectRange("bytes=10-99999999999", 10, size - 1);
  ExpectRange("bytes=3145700-" + std::to_string(size), 3145700, size - 1);
}

TEST_F(RangeTest, WholeObjectStreamsInSeveralPieces) {
  std::string streamed;
  int pieces = 0;
  auto s = storage().get_object_stream("bkt", "big", [&](std::string_view b) {
    ++pieces;
    EXPECT_LE(b.size(), kMiB);
    streamed.append(b);
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->partial);
  EXPECT_TRUE(s->body.empty());
  EXPECT_EQ(s->info.etag, Md5Hex(bytes_));
  EXPECT_GE(pieces, 4);
  EXPECT_TRUE(streamed == bytes_);
}

TEST_F(RangeTest, WriterErrorStopsTheRead) {
  int pieces = 0;
  auto s = storage().get_object_stream("bkt", "big", [&](std::string_view) {
    ++pieces;
    return Status(StatusCode::kCancelled, "host gave up");
  });
  EXPECT_EQ(s.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(pieces, 1);
  EXPECT_EQ(storage().get_object_stream("bkt", "big", ObjectWriter()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RangeTest, ByteRangeParse) {
  auto a = ByteRange::Parse("bytes=5-9");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, 5u);
  EXPECT_EQ(a->last, 9u);
  EXPECT_FALSE(a->suffix_length.has_value());
  auto b = ByteRange::Parse("bytes=5-");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, 5u);
  EXPECT_FALSE(b->last.has_value());
  auto c = ByteRange::Parse("bytes=-5");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->first.has_value());
  EXPECT_EQ(c->suffix_length, 5u);
}

// ---------------------------------------------------------------------------------------
// Conditional get

TEST_F(ObjectTest, ConditionalGetIfMatch) {
  ObjectInfo info = Put("bkt", "c", "content");
  EXPECT_EQ(MustGet("c", {.if_match = info.etag}).body, "content");
  EXPECT_EQ(MustGet("c", {.if_match = "\"" + info.etag + "\""}).body, "content");
  EXPECT_EQ(MustGet("c", {.if_match = "*"}).body, "content");
  EXPECT_EQ(storage().get_object("bkt", "c", {.if_match = Md5Hex("other")}).status().code(),
            StatusCode::kFailedPrecondition);
  int calls = 0;
  EXPECT_EQ(storage()
                .get_object_stream("bkt", "c",
                                   [&](std::string_view) {
                                     ++calls;
                                     return Status();
                                   },
                                   {.if_match = "nope"})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(calls, 0);
}

TEST_F(ObjectTest, ConditionalGetIfNoneMatch) {
  ObjectInfo info = Put("bkt", "c", "content");
  GetObjectResult same = MustGet("c", {.if_none_match = info.etag});
  EXPECT_TRUE(same.not_modified);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(same.info.etag, info.etag);
  EXPECT_EQ(same.info.size, 7u);
  EXPECT_TRUE(MustGet("c", {.if_none_match = "\"" + info.etag + "\""}).not_modified);
  EXPECT_TRUE(MustGet("c", {.if_none_match = "*"}).not_modified);
  GetObjectResult other = MustGet("c", {.if_none_match = Md5Hex("older")});
  EXPECT_FALSE(other.not_modified);
  EXPECT_EQ(other.body, "content");
  // Not modified: the writer is not called.
  int calls = 0;
  auto s = storage().get_object_stream("bkt", "c",
                                       [&](std::string_view) {
                                         ++calls;
                                         return Status();
                                       },
                                       {.if_none_match = info.etag});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->not_modified);
  EXPECT_EQ(calls, 0);
}

TEST_F(ObjectTest, ConditionalGetByTime) {
  ObjectInfo info = Put("bkt", "t", "timed");
  const TimestampMs t = info.updated_at;
  // If-Modified-Since: not modified at or after the write's second, modified before it.
  EXPECT_TRUE(MustGet("t", {.if_modified_since = t}).not_modified);
  EXPECT_TRUE(MustGet("t", {.if_modified_since = t + 60000}).not_modified);
  GetObjectResult modified = MustGet("t", {.if_modified_since = t - 2000});
  EXPECT_FALSE(modified.not_modified);
  EXPECT_EQ(modified.body, "timed");
  // If-Unmodified-Since: fine at or after the write, refused before it.
  EXPECT_EQ(MustGet("t", {.if_unmodified_since = t}).body, "timed");
  EXPECT_EQ(MustGet("t", {.if_unmodified_since = t + 60000}).body, "timed");
  EXPECT_EQ(storage().get_object("bkt", "t", {.if_unmodified_since = t - 2000}).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ObjectTest, ConditionalGetPrecedenceFollowsRfc9110) {
  ObjectInfo info = Put("bkt", "p", "prec");
  const TimestampMs t = info.updated_at;
  // If-Match present: If-Unmodified-Since is not evaluated.
  EXPECT_EQ(MustGet("p", {.if_match = info.etag, .if_unmodified_since = t - 10000}).body, "prec");
  // If-None-Match present: If-Modified-Since is not evaluated.
  GetObjectResult r = MustGet("p", {.if_none_match = Md5Hex("x"), .if_modified_since = t + 60000});
  EXPECT_FALSE(r.not_modified);
  EXPECT_EQ(r.body, "prec");
  // If-Match failing wins over If-None-Match.
  EXPECT_EQ(storage()
                .get_object("bkt", "p", {.if_match = Md5Hex("x"), .if_none_match = info.etag})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ObjectTest, ConditionalGetOfMissingObjectIsNotFound) {
  EXPECT_EQ(storage().get_object("bkt", "ghost", {.if_none_match = "*"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage().get_object("bkt", "ghost", {.if_match = "*"}).status().code(),
            StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------
// Head and delete

TEST_F(ObjectTest, HeadReturnsInfoWithoutBytes) {
  ObjectInfo put =
      Put("bkt", "h", "head me", {.content_type = "text/plain", .metadata = {{"a", "b"}}});
  auto head = storage().head_object("bkt", "h");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->key, "h");
  EXPECT_EQ(head->bucket, "bkt");
  EXPECT_EQ(head->size, 7u);
  EXPECT_EQ(head->etag, put.etag);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(head->metadata, put.metadata);
  EXPECT_EQ(head->updated_at, put.updated_at);
  EXPECT_EQ(storage().head_object("bkt", "missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().head_object("nobucket", "h").status().code(), StatusCode::kNotFound);
}

TEST_F(ObjectTest, DeleteIsIdempotentAndOnlyRealDeletesLogEvents) {
  ObjectInfo put = Put("bkt", "d", "delete me");
  const uint64_t offset = events().last_offset();
  ASSERT_TRUE(storage().delete_object("bkt", "d").ok());
  EXPECT_EQ(storage().get_object("bkt", "d").status().code(), StatusCode::kNotFound);
  auto evs = test::EventsAfter(events(), offset);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, kEventObjectDeleted);
  EXPECT_EQ(evs[0].bucket, "bkt");
  EXPECT_EQ(evs[0].key, "d");
  EXPECT_EQ(evs[0].etag, put.etag);
  EXPECT_EQ(evs[0].size, 9u);
  // Again, and a key that never existed: OK, and no event.
  EXPECT_TRUE(storage().delete_object("bkt", "d").ok());
  EXPECT_TRUE(storage().delete_object("bkt", "never-was").ok());
  EXPECT_EQ(events().last_offset(), offset + 1);
  EXPECT_EQ(GetBucket("bkt").object_count, 0u);
  EXPECT_EQ(storage().delete_object("nobucket", "d").code(), StatusCode::kNotFound);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, DeleteObjectsReportsPerKeyInOrder) {
  Put("bkt", "a", "1");
  Put("bkt", "b", "22");
  Put("bkt", "c", "333");
  const uint64_t offset = events().last_offset();
  const std::vector<std::string> keys = {"a", "missing", "", "b", "bad\xff", "a"};
  auto results = storage().delete_objects("bkt", keys);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), keys.size());
  const std::vector<StatusCode> want = {StatusCode::kOk,
                                        StatusCode::kOk,
                                        StatusCode::kInvalidArgument,
                                        StatusCode::kOk,
                                        StatusCode::kInvalidArgument,
                                        StatusCode::kOk};
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ((*results)[i].key, keys[i]) << i;
    EXPECT_EQ((*results)[i].status.code(), want[i]) << i << ": " << (*results)[i].status.ToString();
  }
  auto evs = test::EventsAfter(events(), offset);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].key, "a");
  EXPECT_EQ(evs[1].key, "b");
  EXPECT_EQ(evs[1].size, 2u);
  Bucket b = GetBucket("bkt");
  EXPECT_EQ(b.object_count, 1u);
  EXPECT_EQ(b.storage_used_bytes, 3u);
  EXPECT_EQ(MustGet("c").body, "333");

  auto none = storage().delete_objects("bkt", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(storage().delete_objects("nobucket", {"c"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().delete_objects("bkt", std::vector<std::string>(1001, "c")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MustGet("c").body, "333");
}

// ---------------------------------------------------------------------------------------
// Copy

TEST_F(ObjectTest, CopyWithinBucketCopiesBytesAndMetadata) {
  ObjectInfo src =
      Put("bkt", "src", "copy me", {.content_type = "text/plain", .metadata = {{"k", "v"}}});
  auto copy = storage().copy_object(
      {.source_bucket = "bkt", .source_key = "src", .bucket = "bkt", .key = "dst"});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->key, "dst");
  EXPECT_EQ(copy->etag, src.etag);
  EXPECT_EQ(copy->size, src.size);
  EXPECT_EQ(copy->content_type, "text/plain");
  EXPECT_EQ(copy->metadata, src.metadata);
  EXPECT_GE(copy->created_at, src.created_at);
  EXPECT_EQ(MustGet("dst").body, "copy me");
  // The source is untouched, and later writes to it do not show through the copy.
  Put("bkt", "src", "changed");
  EXPECT_EQ(MustGet("dst").body, "copy me");
  ASSERT_TRUE(storage().delete_object("bkt", "src").ok());
  EXPECT_EQ(MustGet("dst").body, "copy me");
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, CopyWithReplaceUsesTheRequestMetadata) {
  Put("bkt", "src", "bytes", {.content_type = "text/plain", .metadata = {{"old", "1"}}});
  auto copy = storage().copy_object({.source_bucket = "bkt",
                                     .source_key = "src",
                                     .bucket = "bkt",
                                     .key = "dst",
                                     .metadata_directive = MetadataDirective::kReplace,
                                     .content_type = "application/json",
                                     .metadata = {{"new", "2"}}});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->content_type, "application/json");
  EXPECT_EQ(copy->metadata, (std::map<std::string, std::string>{{"new", "2"}}));
  auto head = storage().head_object("bkt", "dst");
  EXPECT_EQ(head->content_type, "application/json");
  EXPECT_EQ(head->metadata, copy->metadata);
  // Replace with nothing: default type, no metadata.
  auto bare = storage().copy_object({.source_bucket = "bkt",
                                     .source_key = "src",
                                     .bucket = "bkt",
                                     .key = "bare",
                                     .metadata_directive = MetadataDirective::kReplace});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->content_type, "application/octet-stream");
  EXPECT_TRUE(bare->metadata.empty());
  // Copying onto itself with REPLACE changes the metadata and keeps the bytes.
  auto self = storage().copy_object({.source_bucket = "bkt",
                                     .source_key = "src",
                                     .bucket = "bkt",
                                     .key = "src",
                                     .metadata_directive = MetadataDirective::kReplace,
                                     .content_type = "text/csv"});
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(MustGet("src").body, "bytes");
  EXPECT_EQ(MustGet("src").info.content_type, "text/csv");
  EXPECT_EQ(GetBucket("bkt").object_count, 3u);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, CopyAcrossBucketsIncludingLargeObjects) {
  MakeBucket("other");
  const std::string big = PatternBytes(2 * kMiB + 77, 11);
  ObjectInfo src = Put("bkt", "big", big, {.metadata = {{"m", "x"}}});
  auto copy = storage().copy_object(
      {.source_bucket = "bkt", .source_key = "big", .bucket = "other", .key = "copied/big"});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->bucket, "other");
  EXPECT_EQ(copy->etag, src.etag);
  EXPECT_EQ(copy->metadata, src.metadata);
  auto got = storage().get_object("other", "copied/big");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->body == big);
  EXPECT_EQ(GetBucket("other").storage_used_bytes, big.size());
  EXPECT_EQ(GetBucket("bkt").storage_used_bytes, big.size());
}

TEST_F(ObjectTest, CopySourceConditionsAndErrors) {
  ObjectInfo src = Put("bkt", "src", "x");
  EXPECT_TRUE(storage()
                  .copy_object({.source_bucket = "bkt",
                                .source_key = "src",
                                .bucket = "bkt",
                                .key = "ok",
                                .source_if_match = src.etag})
                  .ok());
  const std::string before = test::DescribeStore(db());
  EXPECT_EQ(storage()
                .copy_object({.source_bucket = "bkt",
                              .source_key = "src",
                              .bucket = "bkt",
                              .key = "no",
                              .source_if_match = Md5Hex("y")})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage()
                .copy_object(
                    {.source_bucket = "bkt", .source_key = "absent", .bucket = "bkt", .key = "no"})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      storage()
          .copy_object(
              {.source_bucket = "nobucket", .source_key = "src", .bucket = "bkt", .key = "no"})
          .status()
          .code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      storage()
          .copy_object(
              {.source_bucket = "bkt", .source_key = "src", .bucket = "nobucket", .key = "no"})
          .status()
          .code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      storage()
          .copy_object({.source_bucket = "bkt", .source_key = "src", .bucket = "bkt", .key = ""})
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(test::DescribeStore(db()), before);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, CopyOfMultipartObjectHasAPlainEtag) {
  const std::string p1 = PatternBytes(kMinPartSize, 21), p2 = "end";
  auto up = storage().create_multipart_upload("bkt", "mp");
  ASSERT_TRUE(up.ok());
  auto e1 = storage().upload_part("bkt", "mp", up->upload_id, 1, p1);
  auto e2 = storage().upload_part("bkt", "mp", up->upload_id, 2, p2);
  ASSERT_TRUE(e1.ok() && e2.ok());
  ASSERT_TRUE(
      storage()
          .complete_multipart_upload("bkt", "mp", up->upload_id, {{1, e1->etag}, {2, e2->etag}})
          .ok());
  auto copy = storage().copy_object(
      {.source_bucket = "bkt", .source_key = "mp", .bucket = "bkt", .key = "mp-copy"});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->etag, Md5Hex(p1 + p2));
  EXPECT_EQ(copy->parts_count, 0u);
  EXPECT_TRUE(MustGet("mp-copy").body == p1 + p2);
}

// ---------------------------------------------------------------------------------------
// Keys

TEST_F(ObjectTest, UnusualKeysAreStoredVerbatim) {
  std::vector<std::string> keys = {"a/b/c.txt",
                                   "with space.txt",
                                   " leading and trailing ",
                                   "\xc3\xbcn\xc3\xaf"
                                   "c\xc3\xb6"
                                   "d\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt",
                                   "emoji-\xf0\x9f\x98\x80",
                                   "..",
                                   "../up",
                                   "a/../b",
                                   "./x",
                                   "//double//slash",
                                   "trailing/",
                                   "/",
                                   "tab\tnew\nline",
                                   "%2F?#&=+",
                                   std::string(1024, 'k')};
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < keys.size(); ++i) Put("bkt", keys[i], "v" + std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(i);
    GetObjectResult got = MustGet(keys[i]);
    EXPECT_EQ(got.body, "v" + std::to_string(i));
    EXPECT_EQ(got.info.key, keys[i]);
  }
  std::vector<std::string> listed;
  for (const ObjectInfo& o : test::ListAll(storage(), "bkt")) listed.push_back(o.key);
  EXPECT_EQ(listed, sorted);
  // "a/../b" is not "b", and ".." is not the bucket.
  EXPECT_EQ(storage().head_object("bkt", "b").status().code(), StatusCode::kNotFound);
  for (const std::string& k : keys) ASSERT_TRUE(storage().delete_object("bkt", k).ok()) << k;
  EXPECT_EQ(GetBucket("bkt").object_count, 0u);
}

// ---------------------------------------------------------------------------------------
// The events log

TEST_F(ObjectTest, ExactlyOneEventPerAcknowledgedWrite) {
  MakeBucket("other");
  const uint64_t start = events().last_offset();
  struct Want {
    std::string type, bucket, key, etag;
    uint64_t size;
    std::string content_type;
  };
  std::vector<Want> want;
  auto created = [&](const std::string& bucket, const ObjectInfo& info) {
    want.push_back(
        {kEventObjectCreated, bucket, info.key, info.etag, info.size, info.content_type});
  };

  created("bkt", Put("bkt", "a", "first", {.content_type = "text/plain"}));
  created("bkt", Put("bkt", "a", "second"));
  test::PieceReader reader{.data = PatternBytes(kMiB + 5, 1), .pieces = {9999}};
  created("bkt", storage().put_object_stream("bkt", "s", reader.AsReader()).value());
  created("other",
          storage()
              .copy_object(
                  {.source_bucket = "bkt", .source_key = "a", .bucket = "other", .key = "a-copy"})
              .value());
  // Refused writes: no events.
  EXPECT_FALSE(storage().put_object("bkt", "a", "x", {.if_none_match = "*"}).ok());
  EXPECT_FALSE(storage().put_object("nobucket", "a", "x").ok());
  EXPECT_FALSE(storage().put_object("bkt", "", "x").ok());
  EXPECT_TRUE(storage().delete_object("bkt", "not-there").ok());
  // A delete logs the deleted version.
  ObjectInfo s_info = storage().head_object("bkt", "s").value();
  ASSERT_TRUE(storage().delete_object("bkt", "s").ok());
  want.push_back({kEventObjectDeleted, "bkt", "s", s_info.etag, s_info.size, s_info.content_type});
  // Multipart: nothing until complete, then one event.
  auto up = storage().create_multipart_upload("bkt", "mp", {.content_type = "video/mp4"});
  ASSERT_TRUE(up.ok());
  auto part = storage().upload_part("bkt", "mp", up->upload_id, 1, "tiny");
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(events().last_offset(), start + want.size());
  created(
      "bkt",
      storage().complete_multipart_upload("bkt", "mp", up->upload_id, {{1, part->etag}}).value());
  ObjectInfo a_info = storage().head_object("bkt", "a").value();
  ASSERT_TRUE(storage().delete_objects("bkt", {"a", "gone"}).ok());
  want.push_back({kEventObjectDeleted, "bkt", "a", a_info.etag, a_info.size, a_info.content_type});

  auto evs = test::EventsAfter(events(), start);
  ASSERT_EQ(evs.size(), want.size());
  for (size_t i = 0; i < evs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(evs[i].offset, start + 1 + i);
    EXPECT_EQ(evs[i].type, want[i].type);
    EXPECT_EQ(evs[i].bucket, want[i].bucket);
    EXPECT_EQ(evs[i].key, want[i].key);
    EXPECT_EQ(evs[i].etag, want[i].etag);
    EXPECT_EQ(evs[i].size, want[i].size);
    EXPECT_EQ(evs[i].content_type, want[i].content_type);
    EXPECT_GT(evs[i].time, 0);
    if (i > 0) EXPECT_GE(evs[i].time, evs[i - 1].time);
  }
  EXPECT_EQ(evs[0].content_type, "text/plain");
  EXPECT_EQ(evs[5].content_type, "video/mp4");
  EXPECT_EQ(evs[5].etag, test::MultipartEtag({"tiny"}));
  EXPECT_EQ(events().last_offset(), start + want.size());
  // read() honors from_offset and max_events.
  auto two = events().read(start + 2, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].offset, start + 2);
  EXPECT_EQ((*two)[1].offset, start + 3);
  auto past = events().read(start + want.size() + 1);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
}

// ---------------------------------------------------------------------------------------
// Multipart uploads

TEST_F(ObjectTest, MultipartFullFlow) {
  const std::string p1 = PatternBytes(kMinPartSize, 31), p2 = PatternBytes(kMinPartSize, 32),
                    p3 = PatternBytes(12345, 33);
  auto up = storage().create_multipart_upload(
      "bkt", "videos/clip.mp4", {.content_type = "video/mp4", .metadata = {{"camera", "a7"}}});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_TRUE(up->upload_id.starts_with("mpu_")) << up->upload_id;
  EXPECT_EQ(up->bucket, "bkt");
  EXPECT_EQ(up->key, "videos/clip.mp4");
  EXPECT_EQ(up->content_type, "video/mp4");
  EXPECT_GT(up->initiated_at, 0);
  const uint64_t offset = events().last_offset();

  // Out of order on purpose: parts are listed by number.
  auto i3 = storage().upload_part("bkt", "videos/clip.mp4", up->upload_id, 3, p3);
  auto i1 = storage().upload_part("bkt", "videos/clip.mp4", up->upload_id, 1, p1);
  test::PieceReader r2{.data = p2, .pieces = {333333, 17}};
  auto i2 = storage().upload_part_stream("bkt", "videos/clip.mp4", up->upload_id, 2, r2.AsReader());
  ASSERT_TRUE(i1.ok() && i2.ok() && i3.ok());
  EXPECT_EQ(i1->part_number, 1u);
  EXPECT_EQ(i1->size, kMinPartSize);
  EXPECT_EQ(i1->etag, Md5Hex(p1));
  EXPECT_EQ(i2->etag, Md5Hex(p2));
  EXPECT_EQ(i3->etag, Md5Hex(p3));
  EXPECT_EQ(i3->size, 12345u);

  auto all = storage().list_parts("bkt", "videos/clip.mp4", up->upload_id);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->parts.size(), 3u);
  for (uint32_t n = 1; n <= 3; ++n) EXPECT_EQ(all->parts[n - 1].part_number, n);
  EXPECT_EQ(all->parts[1].etag, i2->etag);
  EXPECT_EQ(all->parts[2].size, 12345u);
  EXPECT_FALSE(all->is_truncated);
  auto first2 = storage().list_parts("bkt", "videos/clip.mp4", up->upload_id, 2);
  ASSERT_TRUE(first2.ok());
  ASSERT_EQ(first2->parts.size(), 2u);
  EXPECT_TRUE(first2->is_truncated);
  EXPECT_EQ(first2->next_part_number_marker, 2u);
  auto rest = storage().list_parts("bkt", "videos/clip.mp4", up->upload_id, 2,
                                   first2->next_part_number_marker);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->parts.size(), 1u);
  EXPECT_EQ(rest->parts[0].part_number, 3u);
  EXPECT_FALSE(rest->is_truncated);
  auto after1 = storage().list_parts("bkt", "videos/clip.mp4", up->upload_id, 0, 1);
  ASSERT_TRUE(after1.ok());
  EXPECT_EQ(after1->parts.size(), 2u);
  auto after3 = storage().list_parts("bkt", "videos/clip.mp4", up->upload_id, 0, 3);
  ASSERT_TRUE(after3.ok());
  EXPECT_TRUE(after3->parts.empty());
  EXPECT_FALSE(after3->is_truncated);

  // Uploading parts writes no events and no object.
  EXPECT_EQ(events().last_offset(), offset);
  EXPECT_EQ(storage().head_object("bkt", "videos/clip.mp4").status().code(), StatusCode::kNotFound);

  auto done = storage().complete_multipart_upload(
      "bkt", "videos/clip.mp4", up->upload_id,
      {{1, i1->etag}, {2, "\"" + i2->etag + "\""}, {3, i3->etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, test::MultipartEtag({p1, p2, p3}));
  EXPECT_TRUE(done->etag.ends_with("-3"));
  EXPECT_EQ(done->parts_count, 3u);
  EXPECT_EQ(done->size, p1.size() + p2.size() + p3.size());
  EXPECT_EQ(done->content_type, "video/mp4");
  EXPECT_EQ(done->metadata, (std::map<std::string, std::string>{{"camera", "a7"}}));

  const std::string whole = p1 + p2 + p3;
  GetObjectResult got = MustGet("videos/clip.mp4");
  EXPECT_TRUE(got.body == whole);
  EXPECT_EQ(got.info.etag, done->etag);
  EXPECT_EQ(got.info.parts_count, 3u);
  // A range across the boundary between parts 1 and 2, and one spanning part 3.
  const uint64_t b = kMinPartSize;
  GetObjectResult cross = MustGet(
      "videos/clip.mp4", Range("bytes=" + std::to_string(b - 5) + "-" + std::to_string(b + 5)));
  EXPECT_EQ(cross.body, whole.substr(b - 5, 11));
  GetObjectResult tail = MustGet("videos/clip.mp4", Range("bytes=-12350"));
  EXPECT_EQ(tail.body, whole.substr(whole.size() - 12350));

  // The upload is gone; one event was logged.
  EXPECT_EQ(storage().list_parts("bkt", "videos/clip.mp4", up->upload_id).status().code(),
            StatusCode::kNotFound);
  auto uploads = storage().list_multipart_uploads("bkt");
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->uploads.empty());
  auto evs = test::EventsAfter(events(), offset);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, kEventObjectCreated);
  EXPECT_EQ(evs[0].etag, done->etag);
  EXPECT_EQ(evs[0].size, whole.size());
  // Completing twice: the upload no longer exists.
  EXPECT_EQ(storage()
                .complete_multipart_upload("bkt", "videos/clip.mp4", up->upload_id,
                                           {{1, i1->etag}, {2, i2->etag}, {3, i3->etag}})
                .status()
                .code(),
            StatusCode::kNotFound);
  test::BlobAudit audit = ExpectNoLeakedBlobs();
  EXPECT_EQ(audit.parts, 0u);
  EXPECT_EQ(audit.referenced.size(), 3u);  // the parts' blobs became the object's: no copy
  EXPECT_TRUE(MustGet("videos/clip.mp4").body == whole);
}

TEST_F(ObjectTest, MultipartSinglePartMayBeSmall) {
  auto up = storage().create_multipart_upload("bkt", "small");
  ASSERT_TRUE(up.ok());
  auto p = storage().upload_part("bkt", "small", up->upload_id, 7, "just this");
  ASSERT_TRUE(p.ok());
  auto done = storage().complete_multipart_upload("bkt", "small", up->upload_id, {{7, p->etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, test::MultipartEtag({"just this"}));
  EXPECT_EQ(done->content_type, "application/octet-stream");
  EXPECT_EQ(MustGet("small").body, "just this");
}

TEST_F(ObjectTest, MultipartReuploadingAPartReplacesIt) {
  const std::string old_bytes = PatternBytes(kMinPartSize, 41);
  const std::string new_bytes = PatternBytes(kMinPartSize + 1, 42);
  auto up = storage().create_multipart_upload("bkt", "re");
  ASSERT_TRUE(up.ok());
  auto old_part = storage().upload_part("bkt", "re", up->upload_id, 1, old_bytes);
  auto new_part = storage().upload_part("bkt", "re", up->upload_id, 1, new_bytes);
  auto last = storage().upload_part("bkt", "re", up->upload_id, 2, "z");
  ASSERT_TRUE(old_part.ok() && new_part.ok() && last.ok());
  auto parts = storage().list_parts("bkt", "re", up->upload_id);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[0].etag, Md5Hex(new_bytes));
  EXPECT_EQ(parts->parts[0].size, new_bytes.size());
  // The replaced part's ETag no longer completes.
  EXPECT_EQ(storage()
                .complete_multipart_upload("bkt", "re", up->upload_id,
                                           {{1, old_part->etag}, {2, last->etag}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  auto done = storage().complete_multipart_upload("bkt", "re", up->upload_id,
                                                  {{1, new_part->etag}, {2, last->etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, test::MultipartEtag({new_bytes, "z"}));
  EXPECT_TRUE(MustGet("re").body == new_bytes + "z");
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, MultipartAbortFreesTheUpload) {
  auto up = storage().create_multipart_upload("bkt", "ab");
  ASSERT_TRUE(up.ok());
  auto p = storage().upload_part("bkt", "ab", up->upload_id, 1, PatternBytes(kMiB + 1, 51));
  ASSERT_TRUE(p.ok());
  auto keep = storage().create_multipart_upload("bkt", "ab");  // a second upload, same key
  ASSERT_TRUE(keep.ok());
  ASSERT_TRUE(storage().upload_part("bkt", "ab", keep->upload_id, 1, "keep").ok());
  const uint64_t offset = events().last_offset();

  ASSERT_TRUE(storage().abort_multipart_upload("bkt", "ab", up->upload_id).ok());
  EXPECT_EQ(storage().list_parts("bkt", "ab", up->upload_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage().upload_part("bkt", "ab", up->upload_id, 2, "x").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage()
                .complete_multipart_upload("bkt", "ab", up->upload_id, {{1, p->etag}})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage().abort_multipart_upload("bkt", "ab", up->upload_id).code(),
            StatusCode::kNotFound);
  auto uploads = storage().list_multipart_uploads("bkt");
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].upload_id, keep->upload_id);
  EXPECT_EQ(events().last_offset(), offset);
  EXPECT_EQ(storage().head_object("bkt", "ab").status().code(), StatusCode::kNotFound);
  test::BlobAudit audit = ExpectNoLeakedBlobs();
  EXPECT_EQ(audit.parts, 1u);
  // The other upload is intact.
  auto kept = storage().list_parts("bkt", "ab", keep->upload_id);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->parts.size(), 1u);
  EXPECT_EQ(kept->parts[0].etag, Md5Hex("keep"));
}

TEST_F(ObjectTest, MultipartCompleteFreesUnlistedParts) {
  const std::string p1 = PatternBytes(kMinPartSize, 61), p2 = PatternBytes(kMiB, 62),
                    p3 = PatternBytes(100, 63), p5 = "five";
  auto up = storage().create_multipart_upload("bkt", "subset");
  ASSERT_TRUE(up.ok());
  auto i1 = storage().upload_part("bkt", "subset", up->upload_id, 1, p1);
  auto i2 = storage().upload_part("bkt", "subset", up->upload_id, 2, p2);
  auto i3 = storage().upload_part("bkt", "subset", up->upload_id, 3, p3);
  auto i5 = storage().upload_part("bkt", "subset", up->upload_id, 5, p5);
  ASSERT_TRUE(i1.ok() && i2.ok() && i3.ok() && i5.ok());
  // Parts 2 and 5 are left out; 3 is the last listed, so it may be small.
  auto done = storage().complete_multipart_upload("bkt", "subset", up->upload_id,
                                                  {{1, i1->etag}, {3, i3->etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, test::MultipartEtag({p1, p3}));
  EXPECT_EQ(done->size, p1.size() + p3.size());
  EXPECT_EQ(GetBucket("bkt").storage_used_bytes, p1.size() + p3.size());
  EXPECT_TRUE(MustGet("subset").body == p1 + p3);
  test::BlobAudit audit = ExpectNoLeakedBlobs();
  EXPECT_EQ(audit.parts, 0u);
  EXPECT_EQ(audit.stored.size(), 2u);
}

TEST_F(ObjectTest, MultipartCompleteOverAnExistingObjectReplacesIt) {
  Put("bkt", "over", "old bytes");
  auto up = storage().create_multipart_upload("bkt", "over");
  ASSERT_TRUE(up.ok());
  auto p = storage().upload_part("bkt", "over", up->upload_id, 1, "new");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(
      storage().complete_multipart_upload("bkt", "over", up->upload_id, {{1, p->etag}}).ok());
  EXPECT_EQ(MustGet("over").body, "new");
  EXPECT_EQ(GetBucket("bkt").object_count, 1u);
  EXPECT_EQ(GetBucket("bkt").storage_used_bytes, 3u);
  ExpectNoLeakedBlobs();
}

TEST_F(ObjectTest, MultipartPartNumberLimits) {
  auto up = storage().create_multipart_upload("bkt", "limits");
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(storage().upload_part("bkt", "limits", up->upload_id, 10000, "last").ok());
  EXPECT_EQ(storage().upload_part("bkt", "limits", up->upload_id, 0, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().upload_part("bkt", "limits", up->upload_id, 10001, "x").status().code(),
            StatusCode::kInvalidArgument);
  // The upload belongs to its key.
  EXPECT_EQ(storage().upload_part("bkt", "other-key", up->upload_id, 1, "x").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage().list_parts("bkt", "other-key", up->upload_id).status().code(),
            StatusCode::kNotFound);
  auto parts = storage().list_parts("bkt", "limits", up->upload_id);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->parts.size(), 1u);
  EXPECT_EQ(parts->parts[0].part_number, 10000u);
}

TEST_F(ObjectTest, ListPartsMarkerAtOrPastTheLastPartListsNothing) {
  auto up = storage().create_multipart_upload("bkt", "marker");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(storage().upload_part("bkt", "marker", up->upload_id, 1, "a").ok());
  ASSERT_TRUE(storage().upload_part("bkt", "marker", up->upload_id, 10000, "b").ok());
  for (uint32_t marker : {10000u, 10001u, 0xFFFFFFFFu}) {
    auto parts = storage().list_parts("bkt", "marker", up->upload_id, 0, marker);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    EXPECT_TRUE(parts->parts.empty())
        << "marker " << marker << " listed part " << parts->parts[0].part_number;
    EXPECT_FALSE(parts->is_truncated);
  }
}

TEST_F(ObjectTest, ListMultipartUploadsByKeyWithPrefixAndPaging) {
  std::vector<MultipartUpload> made;
  for (const char* key : {"b/1", "a/2", "a/1", "a/2", "c"}) {
    auto up = storage().create_multipart_upload("bkt", key, {.content_type = "text/plain"});
    ASSERT_TRUE(up.ok());
    made.push_back(*up);
  }
  // By key, then by initiation: a/1, a/2 (first), a/2 (second), b/1, c.
  const std::vector<std::string> want_ids = {made[2].upload_id, made[1].upload_id,
                                             made[3].upload_id, made[0].upload_id,
                                             made[4].upload_id};
  auto ids = [](const std::vector<MultipartUpload>& ups) {
    std::vector<std::string> out;
    for (const auto& u : ups) out.push_back(u.upload_id);
    return out;
  };
  auto all = storage().list_multipart_uploads("bkt");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids(all->uploads), want_ids);
  EXPECT_FALSE(all->is_truncated);
  EXPECT_EQ(all->uploads[0].key, "a/1");
  EXPECT_EQ(all->uploads[0].bucket, "bkt");
  EXPECT_EQ(all->uploads[0].content_type, "text/plain");
  EXPECT_EQ(all->uploads[0].initiated_at, made[2].initiated_at);

  std::vector<std::string> paged;
  std::vector<size_t> sizes;
  std::string token;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = storage().list_multipart_uploads("bkt", "", 2, token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->uploads.size());
    for (const auto& id : ids(page->uploads)) paged.push_back(id);
    if (!page->is_truncated) break;
    token = page->next_page_token;
  }
  EXPECT_EQ(paged, want_ids);
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));

  auto a = storage().list_multipart_uploads("bkt", "a/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(ids(a->uploads), (std::vector<std::string>(want_ids.begin(), want_ids.begin() + 3)));
  auto a1 = storage().list_multipart_uploads("bkt", "a/", 2);
  ASSERT_TRUE(a1.ok());
  EXPECT_TRUE(a1->is_truncated);
  auto a2 = storage().list_multipart_uploads("bkt", "a/", 2, a1->next_page_token);
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(ids(a2->uploads), (std::vector<std::string>{want_ids[2]}));
  EXPECT_FALSE(a2->is_truncated);
  auto none = storage().list_multipart_uploads("bkt", "zzz");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->uploads.empty());
}

}  // namespace
}  // namespace k3
