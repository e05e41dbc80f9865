// Shared helpers for the StorageService suites: a fixture with a fresh Db in a temporary
// directory, deterministic test bytes, MD5 helpers, a reader that hands out bytes in chosen
// piece sizes, and a textual description of everything the store holds (so a test can check
// that a refused operation changed nothing).
#ifndef K3_TESTS_SUPPORT_STORAGE_FIXTURE_H_
#define K3_TESTS_SUPPORT_STORAGE_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k3/k3.hpp"
#include "kv/store.h"
#include "storage/records.h"
#include "support/temp_dir.h"
#include "util/hash.h"

namespace k3::test {

// MD5 of `bytes` as lowercase hex (anchored by a known-value test in storage_object_test).
inline std::string Md5Hex(std::string_view bytes) {
  return util::HexEncode(util::Md5Digest(bytes));
}

// The S3 multipart ETag: md5 of the concatenated binary part MD5s, "-", the part count.
inline std::string MultipartEtag(const std::vector<std::string>& part_bytes) {
  std::string md5s;
  for (const std::string& p : part_bytes) md5s += util::Md5Digest(p);
  return util::HexEncode(util::Md5Digest(md5s)) + "-" + std::to_string(part_bytes.size());
}

// `n` pseudo-random bytes determined by `seed` (xorshift), fast enough for many MiB.
inline std::string PatternBytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

// An ObjectReader over `data` that returns at most the next of `pieces` (cycled) per call,
// never more than asked. When fail_after is set, the call that would pass that many bytes
// returns `failure` instead.
struct PieceReader {
  std::string data;
  std::vector<size_t> pieces = {1};
  std::optional<size_t> fail_after;
  Status failure = Status(StatusCode::kAborted, "reader failed on purpose");
  size_t pos = 0;
  size_t calls = 0;

  ObjectReader AsReader() {
    return [this](char* buf, size_t cap) -> Result<size_t> {
      const size_t want = pieces[calls++ % pieces.size()];
      const size_t n = std::min({want, cap, data.size() - pos});
      if (fail_after && pos + n >= *fail_after) return failure;
      std::copy_n(data.data() + pos, n, buf);
      pos += n;
      return n;
    };
  }
};

// Every event with offset > after, in order.
inline std::vector<Event> EventsAfter(EventLog& log, uint64_t after) {
  std::vector<Event> out;
  uint64_t next = after + 1;
  while (true) {
    auto page = log.read(next, 1000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->empty()) break;
    for (Event& e : *page) out.push_back(std::move(e));
    next = out.back().offset + 1;
  }
  return out;
}

// Every key of a bucket with its size and ETag, walked through all pages of list_objects.
inline std::vector<ObjectInfo> ListAll(StorageService& s, const std::string& bucket,
                                       int max_keys = 1000) {
  std::vector<ObjectInfo> out;
  ListObjectsRequest req{.bucket = bucket, .max_keys = max_keys};
  while (true) {
    auto page = s.list_objects(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (ObjectInfo& o : page->objects) out.push_back(std::move(o));
    if (!page->is_truncated) break;
    req.continuation_token = page->next_continuation_token;
  }
  return out;
}

// A readable account of everything the store holds: buckets (settings and counters), every
// object (key, size, ETag, type, metadata, times), policy/CORS presence, open uploads with
// their parts, and the events log's last offset. Two equal descriptions mean nothing changed.
inline std::string DescribeStore(Db& db) {
  StorageService& s = db.storage();
  std::string out;
  ListBucketsRequest breq{.page_size = 1000};
  auto buckets = s.list_buckets(breq);
  EXPECT_TRUE(buckets.ok()) << buckets.status().ToString();
  if (!buckets.ok()) return "<list_buckets failed>";
  for (const Bucket& b : buckets->buckets) {
    out += "bucket " + b.name + " desc=" + b.description +
           " quota=" + std::to_string(b.storage_quota_bytes) +
           " mode=" + std::to_string(static_cast<int>(b.access_mode)) +
           " objects=" + std::to_string(b.object_count) +
           " bytes=" + std::to_string(b.storage_used_bytes) + " source=" + b.internal_source_id +
           " sources=" + std::to_string(b.source_count) +
           " updated=" + std::to_string(b.updated_at) + "\n";
    for (const ObjectInfo& o : ListAll(s, b.name)) {
      out += "  " + o.key + " size=" + std::to_string(o.size) + " etag=" + o.etag +
             " type=" + o.content_type + " parts=" + std::to_string(o.parts_count) +
             " t=" + std::to_string(o.created_at) + "/" + std::to_string(o.updated_at);
      for (const auto& [k, v] : o.metadata) out += " " + k + "=" + v;
      out += "\n";
    }
    auto policy = s.get_bucket_policy(b.name);
    out += "  policy=" +
           (policy.ok() ? *policy : std::string(StatusCodeName(policy.status().code()))) + "\n";
    auto cors = s.get_bucket_cors(b.name);
    out += "  cors=" +
           (cors.ok() ? std::to_string(cors->cors_rules.size()) + " rules"
                      : std::string(StatusCodeName(cors.status().code()))) +
           "\n";
    auto uploads = s.list_multipart_uploads(b.name);
    EXPECT_TRUE(uploads.ok()) << uploads.status().ToString();
    if (!uploads.ok()) continue;
    for (const MultipartUpload& u : uploads->uploads) {
      out += "  upload " + u.key + " " + u.upload_id + ":";
      auto parts = s.list_parts(b.name, u.key, u.upload_id);
      EXPECT_TRUE(parts.ok()) << parts.status().ToString();
      if (!parts.ok()) continue;
      for (const PartInfo& p : parts->parts) {
        out += " " + std::to_string(p.part_number) + "/" + std::to_string(p.size) + "/" + p.etag;
      }
      out += "\n";
    }
  }
  out += "events.last_offset=" + std::to_string(db.events().last_offset()) + "\n";
  return out;
}

// What a closed data directory's chunks column family holds against what references it:
// blobs with chunks, blobs named by object records or part records (non-empty ones; an
// empty blob has no chunks), and blobs still marked pending.
struct BlobAudit {
  std::set<std::string> stored;
  std::set<std::string> referenced;
  size_t pending = 0;
  size_t objects = 0;
  size_t parts = 0;
};

// Opens the store of the (closed) data directory `dir` directly and audits it.
inline BlobAudit AuditBlobs(const std::string& dir) {
  BlobAudit out;
  auto store = kv::Store::Open(dir, Options{}, util::Logger());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return out;
  auto chunks = (*store)->NewIterator(kv::Cf::kChunks);
  for (chunks->SeekToFirst(); chunks->Valid(); chunks->Next()) {
    out.stored.insert(std::string(chunks->key().substr(0, storage::kBlobIdSize)));
  }
  auto objects = (*store)->NewIterator(kv::Cf::kObjects);
  for (objects->SeekToFirst(); objects->Valid(); objects->Next()) {
    storage::ObjectRecord record;
    EXPECT_TRUE(storage::DecodeObject(objects->value(), &record));
    ++out.objects;
    for (const storage::Segment& seg : record.segments) {
      if (seg.size > 0) out.referenced.insert(seg.blob_id);
    }
  }
  auto uploads = (*store)->NewIterator(kv::Cf::kUploads);
  for (uploads->SeekToFirst(); uploads->Valid(); uploads->Next()) {
    if (!uploads->key().starts_with("p/")) continue;
    storage::PartRecord part;
    EXPECT_TRUE(storage::DecodePart(uploads->value(), &part));
    ++out.parts;
    if (part.segment.size > 0) out.referenced.insert(part.segment.blob_id);
  }
  auto meta = (*store)->NewIterator(kv::Cf::kMeta);
  for (meta->SeekToFirst(); meta->Valid(); meta->Next()) {
    if (meta->key().starts_with("pending/")) ++out.pending;
  }
  return out;
}

// A fresh data directory with an open Db per test.
class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(data_dir());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
  }

  Db& db() { return *db_; }
  StorageService& storage() { return db_->storage(); }
  EventLog& events() { return db_->events(); }

  // Creates `name` or fails the test.
  Bucket MakeBucket(const std::string& name, uint64_t quota = 0) {
    auto b = storage().create_bucket({.name = name, .storage_quota_bytes = quota});
    EXPECT_TRUE(b.ok()) << name << ": " << b.status().ToString();
    return b.ok() ? *b : Bucket{};
  }

  // Puts `bytes` or fails the test.
  ObjectInfo Put(const std::string& bucket, const std::string& key, std::string_view bytes,
                 const PutObjectOptions& options = {}) {
    auto info = storage().put_object(bucket, key, bytes, options);
    EXPECT_TRUE(info.ok()) << key << ": " << info.status().ToString();
    return info.ok() ? *info : ObjectInfo{};
  }

  // The object's bytes, or "<CODE>" when the get fails.
  std::string Body(const std::string& bucket, const std::string& key,
                   const GetObjectOptions& options = {}) {
    auto got = storage().get_object(bucket, key, options);
    if (!got.ok()) return "<" + std::string(StatusCodeName(got.status().code())) + ">";
    return got->body;
  }

  Bucket GetBucket(const std::string& name) {
    auto b = storage().get_bucket(name);
    EXPECT_TRUE(b.ok()) << name << ": " << b.status().ToString();
    return b.ok() ? *b : Bucket{};
  }

  std::string data_dir() const { return dir_.path() + "/data"; }

  // Closes the Db and opens it again.
  void Reopen() {
    db_.reset();
    auto db = Db::open(data_dir());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
  }

  // Closes the Db, checks that every stored blob is referenced by an object or a part and
  // every referenced blob is stored, with no pending marks, then reopens. Returns the audit.
  BlobAudit ExpectNoLeakedBlobs() {
    db_.reset();
    BlobAudit audit = AuditBlobs(data_dir());
    std::vector<std::string> orphans, missing;
    for (const std::string& b : audit.stored) {
      if (!audit.referenced.count(b)) orphans.push_back(util::HexEncode(b));
    }
    for (const std::string& b : audit.referenced) {
      if (!audit.stored.count(b)) missing.push_back(util::HexEncode(b));
    }
    EXPECT_TRUE(orphans.empty()) << orphans.size() << " blob(s) stored but not referenced";
    EXPECT_TRUE(missing.empty()) << missing.size() << " blob(s) referenced but not stored";
    EXPECT_EQ(audit.pending, 0u);
    Reopen();
    return audit;
  }

  TempDir dir_;
  std::optional<Db> db_;
};

}  // namespace k3::test

#endif  // K3_TESTS_SUPPORT_STORAGE_FIXTURE_H_
