// StorageService buckets: create/get/list/update/delete, the internal source that lives and
// dies with a bucket, exact counters, policy and CORS documents, presigned URLs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "k3/k3.hpp"
#include "support/storage_fixture.h"
#include "support/temp_dir.h"

namespace k3 {
namespace {

using test::StorageTest;

std::vector<std::string> Names(const std::vector<Bucket>& buckets) {
  std::vector<std::string> out;
  for (const Bucket& b : buckets) out.push_back(b.name);
  return out;
}

// ---------------------------------------------------------------------------------------
// Create / get

TEST_F(StorageTest, CreateBucketReturnsEverySetting) {
  auto b = storage().create_bucket({.name = "kb-prod",
                                    .description = "knowledge base",
                                    .storage_quota_bytes = 1 << 20,
                                    .access_mode = BucketAccessMode::kPublicRead});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->name, "kb-prod");
  EXPECT_EQ(b->description, "knowledge base");
  EXPECT_EQ(b->storage_quota_bytes, 1u << 20);
  EXPECT_EQ(b->access_mode, BucketAccessMode::kPublicRead);
  EXPECT_EQ(b->status, BucketStatus::kActive);
  EXPECT_EQ(b->object_count, 0u);
  EXPECT_EQ(b->storage_used_bytes, 0u);
  EXPECT_EQ(b->source_count, 1u);
  EXPECT_TRUE(b->internal_source_id.starts_with("src_")) << b->internal_source_id;
  EXPECT_GT(b->created_at, 0);
  EXPECT_EQ(b->created_at, b->updated_at);

  Bucket got = GetBucket("kb-prod");
  EXPECT_EQ(got.name, b->name);
  EXPECT_EQ(got.description, b->description);
  EXPECT_EQ(got.storage_quota_bytes, b->storage_quota_bytes);
  EXPECT_EQ(got.access_mode, b->access_mode);
  EXPECT_EQ(got.internal_source_id, b->internal_source_id);
  EXPECT_EQ(got.created_at, b->created_at);
  EXPECT_EQ(got.updated_at, b->updated_at);
}

TEST_F(StorageTest, CreateBucketDefaultsArePrivateUnlimited) {
  Bucket b = MakeBucket("plain");
  EXPECT_EQ(b.access_mode, BucketAccessMode::kPrivate);
  EXPECT_EQ(b.storage_quota_bytes, 0u);
  EXPECT_EQ(b.description, "");
}

TEST_F(StorageTest, CreateTakenNameIsAlreadyExistsAndKeepsTheFirst) {
  Bucket first = MakeBucket("taken");
  auto again = storage().create_bucket({.name = "taken", .description = "second"});
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  Bucket got = GetBucket("taken");
  EXPECT_EQ(got.description, "");
  EXPECT_EQ(got.internal_source_id, first.internal_source_id);
  auto sources = db().sources().list_sources({.bucket = "taken"});
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->sources.size(), 1u);
}

TEST_F(StorageTest, GetMissingBucketIsNotFound) {
  EXPECT_EQ(storage().get_bucket("nope").status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------
// The internal source

TEST_F(StorageTest, InternalSourceIsCreatedWithTheBucketAndRemovedWithIt) {
  Bucket b = MakeBucket("with-source");
  auto src = db().sources().get_source("with-source", b.internal_source_id);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ(src->source_id, b.internal_source_id);
  EXPECT_EQ(src->bucket, "with-source");
  EXPECT_EQ(src->provider, SourceProvider::kInternalS3);
  EXPECT_EQ(src->status, SourceStatus::kActive);
  EXPECT_TRUE(src->enabled);

  auto list = db().sources().list_sources({.bucket = "with-source"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->sources.size(), 1u);
  EXPECT_EQ(list->sources[0].source_id, b.internal_source_id);
  EXPECT_EQ(list->pagination.total_count, 1);
  EXPECT_EQ(list->pagination.next_page_token, "");

  // Another bucket's source is not listed under this one.
  Bucket other = MakeBucket("with-source-2");
  EXPECT_NE(other.internal_source_id, b.internal_source_id);
  EXPECT_EQ(db().sources().get_source("with-source", other.internal_source_id).status().code(),
            StatusCode::kNotFound);

  ASSERT_TRUE(storage().delete_bucket({.name = "with-source"}).ok());
  EXPECT_EQ(db().sources().get_source("with-source", b.internal_source_id).status().code(),
            StatusCode::kNotFound);
  auto after = db().sources().list_sources({.bucket = "with-source"});
  if (after.ok()) {
    EXPECT_TRUE(after->sources.empty());
  } else {
    EXPECT_EQ(after.status().code(), StatusCode::kNotFound);
  }
  // The other bucket keeps its own.
  EXPECT_TRUE(db().sources().get_source("with-source-2", other.internal_source_id).ok());

  // Re-creating the name makes a new source, and only one.
  Bucket again = MakeBucket("with-source");
  EXPECT_NE(again.internal_source_id, b.internal_source_id);
  auto relisted = db().sources().list_sources({.bucket = "with-source"});
  ASSERT_TRUE(relisted.ok());
  ASSERT_EQ(relisted->sources.size(), 1u);
  EXPECT_EQ(relisted->sources[0].source_id, again.internal_source_id);
}

// ---------------------------------------------------------------------------------------
// List

TEST_F(StorageTest, ListBucketsPagesInNameOrderWithTotalCount) {
  const std::vector<std::string> names = {"delta", "alpha", "echo",   "charlie",
                                          "bravo", "golf",  "foxtrot"};
  for (const std::string& n : names) MakeBucket(n);
  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  ListBucketsRequest req{.page_size = 3};
  for (int guard = 0; guard < 10; ++guard) {
    auto page = storage().list_buckets(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->pagination.total_count, 7);
    page_sizes.push_back(page->buckets.size());
    for (const std::string& n : Names(page->buckets)) seen.push_back(n);
    if (page->pagination.next_page_token.empty()) break;
    req.page_token = page->pagination.next_page_token;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{3, 3, 1}));
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(seen, sorted);
}

TEST_F(StorageTest, ListBucketsExactMultipleOfPageSizeEndsWithoutEmptyPage) {
  for (const char* n : {"aaa", "bbb", "ccc", "ddd"}) MakeBucket(n);
  auto first = storage().list_buckets({.page_size = 2});
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->pagination.next_page_token.empty());
  auto second =
      storage().list_buckets({.page_size = 2, .page_token = first->pagination.next_page_token});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Names(second->buckets), (std::vector<std::string>{"ccc", "ddd"}));
  EXPECT_EQ(second->pagination.next_page_token, "");
}

TEST_F(StorageTest, ListBucketsDefaultPageSizeIsFifty) {
  for (int i = 0; i < 52; ++i) MakeBucket("bucket-" + std::to_string(100 + i));
  auto page = storage().list_buckets();
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->buckets.size(), 50u);
  EXPECT_EQ(page->pagination.total_count, 52);
  EXPECT_FALSE(page->pagination.next_page_token.empty());
  auto big = storage().list_buckets({.page_size = 5000});  // capped at 1000
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->buckets.size(), 52u);
  EXPECT_EQ(big->pagination.next_page_token, "");
}

TEST_F(StorageTest, ListBucketsSearchIsCaseInsensitiveSubstringAndPages) {
  for (const char* n : {"kb-prod", "prod-logs", "staging", "my.production.site", "dev"}) {
    MakeBucket(n);
  }
  auto all = storage().list_buckets({.search = "PROD"});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Names(all->buckets),
            (std::vector<std::string>{"kb-prod", "my.production.site", "prod-logs"}));
  EXPECT_EQ(all->pagination.total_count, 3);

  auto p1 = storage().list_buckets({.page_size = 2, .search = "prod"});
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(Names(p1->buckets), (std::vector<std::string>{"kb-prod", "my.production.site"}));
  EXPECT_EQ(p1->pagination.total_count, 3);
  auto p2 = storage().list_buckets(
      {.page_size = 2, .page_token = p1->pagination.next_page_token, .search = "prod"});
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(Names(p2->buckets), (std::vector<std::string>{"prod-logs"}));
  EXPECT_EQ(p2->pagination.next_page_token, "");

  // A token belongs to its search.
  auto mixed = storage().list_buckets(
      {.page_size = 2, .page_token = p1->pagination.next_page_token, .search = "dev"});
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);

  auto none = storage().list_buckets({.search = "zzz"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->buckets.empty());
  EXPECT_EQ(none->pagination.total_count, 0);
}

TEST_F(StorageTest, ListBucketsReportsCounters) {
  MakeBucket("counted");
  Put("counted", "a", "12345");
  Put("counted", "b", "678");
  auto page = storage().list_buckets();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->buckets.size(), 1u);
  EXPECT_EQ(page->buckets[0].object_count, 2u);
  EXPECT_EQ(page->buckets[0].storage_used_bytes, 8u);
  EXPECT_EQ(page->buckets[0].source_count, 1u);
}

TEST_F(StorageTest, ListBucketsRejectsNegativePageSizeAndGarbageToken) {
  MakeBucket("one");
  EXPECT_EQ(storage().list_buckets({.page_size = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().list_buckets({.page_token = "not-a-token"}).status().code(),
            StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------
// Update

TEST_F(StorageTest, UpdateBucketChangesOnlyTheFieldsGiven) {
  Bucket created = storage()
                       .create_bucket({.name = "patchy",
                                       .description = "first",
                                       .storage_quota_bytes = 1000,
                                       .access_mode = BucketAccessMode::kPublicRead})
                       .value();
  Put("patchy", "k", "abc");

  auto u1 = storage().update_bucket({.name = "patchy", .description = "second"});
  ASSERT_TRUE(u1.ok()) << u1.status().ToString();
  EXPECT_EQ(u1->description, "second");
  EXPECT_EQ(u1->storage_quota_bytes, 1000u);
  EXPECT_EQ(u1->access_mode, BucketAccessMode::kPublicRead);
  EXPECT_EQ(u1->object_count, 1u);
  EXPECT_EQ(u1->storage_used_bytes, 3u);
  EXPECT_EQ(u1->internal_source_id, created.internal_source_id);
  EXPECT_EQ(u1->created_at, created.created_at);
  EXPECT_GE(u1->updated_at, created.updated_at);

  auto u2 = storage().update_bucket({.name = "patchy", .storage_quota_bytes = 0});
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(u2->description, "second");
  EXPECT_EQ(u2->storage_quota_bytes, 0u);
  EXPECT_EQ(u2->access_mode, BucketAccessMode::kPublicRead);

  auto u3 = storage().update_bucket({.name = "patchy", .access_mode = BucketAccessMode::kPrivate});
  ASSERT_TRUE(u3.ok());
  EXPECT_EQ(u3->description, "second");
  EXPECT_EQ(u3->access_mode, BucketAccessMode::kPrivate);

  // A present-but-empty description clears it; an empty request changes nothing.
  auto u4 = storage().update_bucket({.name = "patchy", .description = ""});
  ASSERT_TRUE(u4.ok());
  EXPECT_EQ(u4->description, "");
  auto u5 = storage().update_bucket({.name = "patchy"});
  ASSERT_TRUE(u5.ok());
  EXPECT_EQ(u5->description, "");
  EXPECT_EQ(u5->storage_quota_bytes, 0u);
  EXPECT_EQ(u5->access_mode, BucketAccessMode::kPrivate);

  // And get agrees with what update returned.
  Bucket got = GetBucket("patchy");
  EXPECT_EQ(got.description, "");
  EXPECT_EQ(got.storage_quota_bytes, 0u);
  EXPECT_EQ(got.access_mode, BucketAccessMode::kPrivate);
  EXPECT_EQ(got.object_count, 1u);
}

TEST_F(StorageTest, UpdateBucketQuotaIsEnforcedOnNextPut) {
  MakeBucket("shrink");
  Put("shrink", "a", std::string(100, 'a'));
  ASSERT_TRUE(storage().update_bucket({.name = "shrink", .storage_quota_bytes = 150}).ok());
  EXPECT_EQ(storage().put_object("shrink", "b", std::string(51, 'b')).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(storage().put_object("shrink", "b", std::string(50, 'b')).ok());
}

TEST_F(StorageTest, OverQuotaBucketMayShrinkButNotGrow) {
  MakeBucket("over");
  Put("over", "a", std::string(100, 'a'));
  ASSERT_TRUE(storage().update_bucket({.name = "over", .storage_quota_bytes = 10}).ok());
  // Growing is refused; an overwrite that shrinks is allowed although still above the quota.
  EXPECT_EQ(storage().put_object("over", "a", std::string(101, 'a')).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(storage().put_object("over", "a", std::string(60, 'a')).ok());
  EXPECT_EQ(GetBucket("over").storage_used_bytes, 60u);
}

TEST_F(StorageTest, UpdateBucketErrors) {
  MakeBucket("exists");
  EXPECT_EQ(storage().update_bucket({.name = "missing", .description = "x"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage()
                .update_bucket({.name = "exists", .access_mode = BucketAccessMode::kUnspecified})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(storage()
                .update_bucket({.name = "exists", .description = std::string(5000, 'd')})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GetBucket("exists").access_mode, BucketAccessMode::kPrivate);
  EXPECT_EQ(GetBucket("exists").description, "");
}

// ---------------------------------------------------------------------------------------
// Delete

TEST_F(StorageTest, DeleteEmptyBucketRemovesItWithoutEvents) {
  MakeBucket("empty");
  const uint64_t before = events().last_offset();
  ASSERT_TRUE(storage().delete_bucket({.name = "empty"}).ok());
  EXPECT_EQ(storage().get_bucket("empty").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(events().last_offset(), before);
  EXPECT_EQ(storage().delete_bucket({.name = "empty"}).code(), StatusCode::kNotFound);
}

TEST_F(StorageTest, DeleteIsRefusedWhileObjectsExist) {
  MakeBucket("full");
  Put("full", "k", "v");
  const std::string before = test::DescribeStore(db());
  Status s = storage().delete_bucket({.name = "full"});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(test::DescribeStore(db()), before);
  EXPECT_EQ(Body("full", "k"), "v");
  // Emptied, it goes.
  ASSERT_TRUE(storage().delete_object("full", "k").ok());
  EXPECT_TRUE(storage().delete_bucket({.name = "full"}).ok());
}

TEST_F(StorageTest, DeleteIsRefusedWhileMultipartUploadsAreOpen) {
  MakeBucket("uploading");
  auto up = storage().create_multipart_upload("uploading", "big");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(storage().upload_part("uploading", "big", up->upload_id, 1, "part").ok());
  const std::string before = test::DescribeStore(db());
  EXPECT_EQ(storage().delete_bucket({.name = "uploading"}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(test::DescribeStore(db()), before);
  ASSERT_TRUE(storage().abort_multipart_upload("uploading", "big", up->upload_id).ok());
  EXPECT_TRUE(storage().delete_bucket({.name = "uploading"}).ok());
}

TEST_F(StorageTest, ForceDeleteRemovesEverythingAndAppendsDeletionEvents) {
  MakeBucket("doomed");
  MakeBucket("bystander");
  Put("bystander", "stay", "here");
  // More objects than one internal deletion batch.
  std::map<std::string, std::string> etags;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "obj/" + std::to_string(1000 + i);
    etags[key] = Put("doomed", key, std::string(i % 7, 'x') + key).etag;
  }
  auto up = storage().create_multipart_upload("doomed", "pending");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(storage().upload_part("doomed", "pending", up->upload_id, 1, "bytes").ok());
  ASSERT_TRUE(storage()
                  .put_bucket_policy("doomed", R"({"Statement":{"Effect":"Allow","Principal":"*",)"
                                               R"("Action":"s3:GetObject","Resource":"*"}})")
                  .ok());
  ASSERT_TRUE(storage()
                  .put_bucket_cors("doomed", {.cors_rules = {{.allowed_origins = {"*"},
                                                              .allowed_methods = {"GET"}}}})
                  .ok());
  const uint64_t before = events().last_offset();

  ASSERT_TRUE(storage().delete_bucket({.name = "doomed", .force = true}).ok());

  auto evs = test::EventsAfter(events(), before);
  ASSERT_EQ(evs.size(), 300u);
  std::map<std::string, std::string> deleted;
  for (size_t i = 0; i < evs.size(); ++i) {
    EXPECT_EQ(evs[i].offset, before + 1 + i);
    EXPECT_EQ(evs[i].type, kEventObjectDeleted);
    EXPECT_EQ(evs[i].bucket, "doomed");
    deleted[evs[i].key] = evs[i].etag;
  }
  EXPECT_EQ(deleted, etags);
  EXPECT_EQ(storage().get_bucket("doomed").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetBucket("bystander").object_count, 1u);
  EXPECT_EQ(Body("bystander", "stay"), "here");

  // A bucket re-created under the name starts empty: no objects, uploads, policy or CORS.
  MakeBucket("doomed");
  Bucket fresh = GetBucket("doomed");
  EXPECT_EQ(fresh.object_count, 0u);
  EXPECT_EQ(fresh.storage_used_bytes, 0u);
  EXPECT_TRUE(test::ListAll(storage(), "doomed").empty());
  auto uploads = storage().list_multipart_uploads("doomed");
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->uploads.empty());
  EXPECT_EQ(storage().list_parts("doomed", "pending", up->upload_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(storage().get_bucket_policy("doomed").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().get_bucket_cors("doomed").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().get_object("doomed", "obj/1000").status().code(), StatusCode::kNotFound);
  // Every byte of the forced bucket's objects and parts is gone.
  test::BlobAudit audit = ExpectNoLeakedBlobs();
  EXPECT_EQ(audit.objects, 1u);
  EXPECT_EQ(audit.parts, 0u);
}

TEST_F(StorageTest, ForceDeleteOfEmptyBucketWorks) {
  MakeBucket("hollow");
  const uint64_t before = events().last_offset();
  ASSERT_TRUE(storage().delete_bucket({.name = "hollow", .force = true}).ok());
  EXPECT_EQ(events().last_offset(), before);
  EXPECT_EQ(storage().get_bucket("hollow").status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------
// Counters

// Recounts a bucket through listing and checks the counters agree with it and with `want`.
void ExpectCounters(StorageService& s, const std::string& bucket, uint64_t want_count,
                    uint64_t want_bytes, int line) {
  SCOPED_TRACE("checked at line " + std::to_string(line));
  auto b = s.get_bucket(bucket);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->object_count, want_count);
  EXPECT_EQ(b->storage_used_bytes, want_bytes);
  uint64_t count = 0, bytes = 0;
  for (const ObjectInfo& o : test::ListAll(s, bucket)) {
    ++count;
    bytes += o.size;
  }
  EXPECT_EQ(count, want_count);
  EXPECT_EQ(bytes, want_bytes);
}

#define EXPECT_COUNTERS(bucket, count, bytes) \
  ExpectCounters(storage(), bucket, count, bytes, __LINE__)

TEST_F(StorageTest, CountersAreExactThroughEveryKindOfWrite) {
  MakeBucket("cnt");
  MakeBucket("cnt-other");
  EXPECT_COUNTERS("cnt", 0, 0);

  Put("cnt", "a", std::string(10, 'a'));
  EXPECT_COUNTERS("cnt", 1, 10);
  Put("cnt", "b", std::string(20, 'b'));
  EXPECT_COUNTERS("cnt", 2, 30);
  Put("cnt", "a", std::string(5, 'A'));  // overwrite, smaller
  EXPECT_COUNTERS("cnt", 2, 25);
  Put("cnt", "a", std::string(12, 'A'));  // overwrite, larger
  EXPECT_COUNTERS("cnt", 2, 32);
  Put("cnt", "empty", "");
  EXPECT_COUNTERS("cnt", 3, 32);

  // Copies: to a new key, over an existing key, across buckets.
  ASSERT_TRUE(
      storage()
          .copy_object({.source_bucket = "cnt", .source_key = "a", .bucket = "cnt", .key = "c"})
          .ok());
  EXPECT_COUNTERS("cnt", 4, 44);
  ASSERT_TRUE(
      storage()
          .copy_object({.source_bucket = "cnt", .source_key = "b", .bucket = "cnt", .key = "c"})
          .ok());
  EXPECT_COUNTERS("cnt", 4, 52);
  ASSERT_TRUE(
      storage()
          .copy_object(
              {.source_bucket = "cnt", .source_key = "b", .bucket = "cnt-other", .key = "b"})
          .ok());
  EXPECT_COUNTERS("cnt", 4, 52);
  EXPECT_COUNTERS("cnt-other", 1, 20);

  // Streaming put.
  test::PieceReader reader{.data = std::string(1000, 's'), .pieces = {7, 300}};
  ASSERT_TRUE(storage().put_object_stream("cnt", "s", reader.AsReader()).ok());
  EXPECT_COUNTERS("cnt", 5, 1052);

  // Deletes: present, absent, many.
  ASSERT_TRUE(storage().delete_object("cnt", "b").ok());
  EXPECT_COUNTERS("cnt", 4, 1032);
  ASSERT_TRUE(storage().delete_object("cnt", "b").ok());
  EXPECT_COUNTERS("cnt", 4, 1032);
  auto many = storage().delete_objects("cnt", {"c", "nope", "empty"});
  ASSERT_TRUE(many.ok());
  EXPECT_COUNTERS("cnt", 2, 1012);

  // Multipart: the object counts when completed, not while parts are uploaded; completing
  // over an existing key replaces its size.
  const std::string p1 = test::PatternBytes(kMinPartSize, 1), p2 = "tail";
  auto up = storage().create_multipart_upload("cnt", "a");
  ASSERT_TRUE(up.ok());
  auto i1 = storage().upload_part("cnt", "a", up->upload_id, 1, p1);
  auto i2 = storage().upload_part("cnt", "a", up->upload_id, 2, p2);
  ASSERT_TRUE(i1.ok() && i2.ok());
  EXPECT_COUNTERS("cnt", 2, 1012);
  ASSERT_TRUE(
      storage()
          .complete_multipart_upload("cnt", "a", up->upload_id, {{1, i1->etag}, {2, i2->etag}})
          .ok());
  EXPECT_COUNTERS("cnt", 2, 1000 + kMinPartSize + 4);
  auto up2 = storage().create_multipart_upload("cnt", "m");
  ASSERT_TRUE(up2.ok());
  auto j1 = storage().upload_part("cnt", "m", up2->upload_id, 1, "only");
  ASSERT_TRUE(j1.ok());
  ASSERT_TRUE(
      storage().complete_multipart_upload("cnt", "m", up2->upload_id, {{1, j1->etag}}).ok());
  EXPECT_COUNTERS("cnt", 3, 1000 + kMinPartSize + 8);

  // An aborted upload never counted.
  auto up3 = storage().create_multipart_upload("cnt", "never");
  ASSERT_TRUE(up3.ok());
  ASSERT_TRUE(storage().upload_part("cnt", "never", up3->upload_id, 1, "zzz").ok());
  ASSERT_TRUE(storage().abort_multipart_upload("cnt", "never", up3->upload_id).ok());
  EXPECT_COUNTERS("cnt", 3, 1000 + kMinPartSize + 8);

  // A copy of the multipart object counts its full size.
  ASSERT_TRUE(
      storage()
          .copy_object(
              {.source_bucket = "cnt", .source_key = "a", .bucket = "cnt-other", .key = "mp-copy"})
          .ok());
  EXPECT_COUNTERS("cnt-other", 2, 20 + kMinPartSize + 4);

  // The counters survive a reopen.
  Reopen();
  EXPECT_COUNTERS("cnt", 3, 1000 + kMinPartSize + 8);
  EXPECT_COUNTERS("cnt-other", 2, 20 + kMinPartSize + 4);
}

TEST_F(StorageTest, CountersStayExactUnderConcurrentWrites) {
  MakeBucket("race");
  const uint64_t start = events().last_offset();
  constexpr int kThreads = 4, kOpsPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = 0x9E3779B97F4A7C15ull * (t + 1);
      for (int i = 0; i < kOpsPerThread; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const std::string key = "k" + std::to_string(x % 16);
        bool ok = true;
        switch (x >> 60 & 3) {
          case 0:
          case 1:
            ok = storage().put_object("race", key, std::string(x % 97, 'a' + t)).ok();
            break;
          case 2:
            ok = storage().delete_object("race", key).ok();
            break;
          case 3: {
            auto c = storage().copy_object(
                {.source_bucket = "race", .source_key = key, .bucket = "race", .key = key + "c"});
            ok = c.ok() || c.status().code() == StatusCode::kNotFound;
            break;
          }
        }
        if (!ok) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  // Counters equal a recount, and replaying the events log in offset order reproduces the
  // bucket exactly (so events were logged in commit order, one per write).
  std::map<std::string, std::pair<std::string, uint64_t>> replay;
  for (const Event& e : test::EventsAfter(events(), start)) {
    if (e.type == kEventObjectCreated) {
      replay[e.key] = {e.etag, e.size};
    } else {
      EXPECT_EQ(replay.count(e.key), 1u) << "delete event for absent key " << e.key;
      replay.erase(e.key);
    }
  }
  std::map<std::string, std::pair<std::string, uint64_t>> listed;
  uint64_t bytes = 0;
  for (const ObjectInfo& o : test::ListAll(storage(), "race")) {
    listed[o.key] = {o.etag, o.size};
    bytes += o.size;
  }
  EXPECT_EQ(replay, listed);
  Bucket b = GetBucket("race");
  EXPECT_EQ(b.object_count, listed.size());
  EXPECT_EQ(b.storage_used_bytes, bytes);
  ExpectNoLeakedBlobs();
}

// ---------------------------------------------------------------------------------------
// Policy

constexpr const char* kPolicy = R"({
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": "arn:aws:s3:::pol/*"
  }]
})";

TEST_F(StorageTest, BucketPolicyPutGetDelete) {
  MakeBucket("pol");
  EXPECT_EQ(storage().get_bucket_policy("pol").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(storage().put_bucket_policy("pol", kPolicy).ok());
  auto got = storage().get_bucket_policy("pol");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, kPolicy);

  // An invalid document is refused and the stored one stays.
  const char* bad = R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject",)"
                    R"("Resource":"*"}]})";
  Status s = storage().put_bucket_policy("pol", bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Effect"), std::string::npos) << s.message();
  EXPECT_EQ(storage().put_bucket_policy("pol", "not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().put_bucket_policy("pol", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().get_bucket_policy("pol").value(), kPolicy);

  // Replacing works.
  const std::string second = R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"*",)"
                             R"("Resource":"*"}})";
  ASSERT_TRUE(storage().put_bucket_policy("pol", second).ok());
  EXPECT_EQ(storage().get_bucket_policy("pol").value(), second);

  ASSERT_TRUE(storage().delete_bucket_policy("pol").ok());
  EXPECT_EQ(storage().get_bucket_policy("pol").status().code(), StatusCode::kNotFound);
  // Deleting again is fine; a missing bucket is NOT_FOUND everywhere.
  EXPECT_TRUE(storage().delete_bucket_policy("pol").ok());
  EXPECT_EQ(storage().put_bucket_policy("nobucket", kPolicy).code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().get_bucket_policy("nobucket").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().delete_bucket_policy("nobucket").code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------
// CORS

TEST_F(StorageTest, BucketCorsPutGetDelete) {
  MakeBucket("cors");
  EXPECT_EQ(storage().get_bucket_cors("cors").status().code(), StatusCode::kNotFound);
  CorsConfiguration cors;
  cors.cors_rules.push_back({.allowed_origins = {"https://example.com", "https://*.example.org"},
                             .allowed_methods = {"GET", "HEAD"},
                             .allowed_headers = {"*"},
                             .expose_headers = {"ETag", "x-amz-meta-a"},
                             .max_age_seconds = 600});
  cors.cors_rules.push_back(
      {.allowed_origins = {"*"}, .allowed_methods = {"PUT", "POST", "DELETE"}});
  ASSERT_TRUE(storage().put_bucket_cors("cors", cors).ok());
  auto got = storage().get_bucket_cors("cors");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->cors_rules.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got->cors_rules[i].allowed_origins, cors.cors_rules[i].allowed_origins);
    EXPECT_EQ(got->cors_rules[i].allowed_methods, cors.cors_rules[i].allowed_methods);
    EXPECT_EQ(got->cors_rules[i].allowed_headers, cors.cors_rules[i].allowed_headers);
    EXPECT_EQ(got->cors_rules[i].expose_headers, cors.cors_rules[i].expose_headers);
    EXPECT_EQ(got->cors_rules[i].max_age_seconds, cors.cors_rules[i].max_age_seconds);
  }

  // Invalid configurations are refused and the stored one stays.
  CorsConfiguration lower;
  lower.cors_rules.push_back({.allowed_origins = {"*"}, .allowed_methods = {"get"}});
  Status s = storage().put_bucket_cors("cors", lower);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("allowedMethods"), std::string::npos) << s.message();
  EXPECT_EQ(storage().put_bucket_cors("cors", CorsConfiguration{}).code(),
            StatusCode::kInvalidArgument);
  CorsConfiguration no_origin;
  no_origin.cors_rules.push_back({.allowed_methods = {"GET"}});
  EXPECT_EQ(storage().put_bucket_cors("cors", no_origin).code(), StatusCode::kInvalidArgument);
  CorsConfiguration negative_age;
  negative_age.cors_rules.push_back(
      {.allowed_origins = {"*"}, .allowed_methods = {"GET"}, .max_age_seconds = -1});
  EXPECT_EQ(storage().put_bucket_cors("cors", negative_age).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage().get_bucket_cors("cors")->cors_rules.size(), 2u);

  ASSERT_TRUE(storage().delete_bucket_cors("cors").ok());
  EXPECT_EQ(storage().get_bucket_cors("cors").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(storage().delete_bucket_cors("cors").ok());
  EXPECT_EQ(storage().put_bucket_cors("nobucket", cors).code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().get_bucket_cors("nobucket").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage().delete_bucket_cors("nobucket").code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------
// Presigned URLs

PresignRequest Presign(std::string bucket, std::string key, PresignMethod method) {
  PresignRequest r;
  r.bucket = std::move(bucket);
  r.key = std::move(key);
  r.method = method;
  r.endpoint = "https://s3.example.com";
  r.access_key_id = "AKIDEXAMPLE";
  r.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  r.now = 1700000000123;  // 2023-11-14T22:13:20.123Z
  return r;
}

TEST_F(StorageTest, PresignGetNeedsTheObject) {
  MakeBucket("signed");
  PresignRequest req = Presign("signed", "docs/a b.txt", PresignMethod::kGet);
  EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kNotFound);
  Put("signed", "docs/a b.txt", "hi");
  auto url = storage().presign_url(req);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->method, "GET");
  EXPECT_TRUE(url->url.starts_with("https://s3.example.com/signed/docs/a%20b.txt?")) << url->url;
  EXPECT_NE(url->url.find("X-Amz-Expires=3600"), std::string::npos) << url->url;
  EXPECT_NE(url->url.find("X-Amz-Date=20231114T221320Z"), std::string::npos) << url->url;
  EXPECT_NE(url->url.find("X-Amz-Signature="), std::string::npos);
  EXPECT_EQ(url->expires_at, 1700000000000 + 3600 * 1000);

  // Deterministic for the same inputs; the secret matters.
  EXPECT_EQ(storage().presign_url(req)->url, url->url);
  PresignRequest other_secret = req;
  other_secret.secret_access_key = "another";
  EXPECT_NE(storage().presign_url(other_secret)->url, url->url);
}

TEST_F(StorageTest, PresignPutDoesNotNeedTheObject) {
  MakeBucket("signed");
  PresignRequest req = Presign("signed", "upload/new.bin", PresignMethod::kPut);
  req.virtual_hosted_style = true;
  auto url = storage().presign_url(req);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->method, "PUT");
  EXPECT_TRUE(url->url.starts_with("https://signed.s3.example.com/upload/new.bin?")) << url->url;
}

TEST_F(StorageTest, PresignExpiryBounds) {
  MakeBucket("signed");
  Put("signed", "k", "v");
  PresignRequest req = Presign("signed", "k", PresignMethod::kGet);
  req.expires_seconds = 86400;
  auto max = storage().presign_url(req);
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_NE(max->url.find("X-Amz-Expires=86400"), std::string::npos);
  EXPECT_EQ(max->expires_at, 1700000000000 + 86400ll * 1000);
  req.expires_seconds = 1;
  EXPECT_EQ(storage().presign_url(req)->expires_at, 1700000001000);
  for (int64_t bad : {int64_t{86401}, int64_t{0}, int64_t{-5}, int64_t{604800}}) {
    req.expires_seconds = bad;
    EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(StorageTest, PresignDefaultsToNowAndOneHour) {
  MakeBucket("signed");
  Put("signed", "k", "v");
  PresignRequest req = Presign("signed", "k", PresignMethod::kGet);
  req.now = 0;
  EXPECT_EQ(PresignRequest{}.expires_seconds, 3600);
  const Bucket b = GetBucket("signed");  // created_at: a lower bound for "now"
  auto url = storage().presign_url(req);
  ASSERT_TRUE(url.ok());
  EXPECT_GE(url->expires_at, b.created_at / 1000 * 1000 + 3600 * 1000);
  EXPECT_LT(url->expires_at, b.created_at + 3600 * 1000 + 600 * 1000);
}

TEST_F(StorageTest, PresignErrors) {
  MakeBucket("signed");
  PresignRequest req = Presign("nobucket", "k", PresignMethod::kPut);
  EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kNotFound);
  req = Presign("signed", "", PresignMethod::kPut);
  EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kInvalidArgument);
  req = Presign("signed", "k", PresignMethod::kPut);
  req.endpoint = "s3.example.com";  // no scheme
  EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kInvalidArgument);
  req = Presign("signed", "k", PresignMethod::kPut);
  req.access_key_id = "";
  EXPECT_EQ(storage().presign_url(req).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace k3
