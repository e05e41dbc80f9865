// A model-based test of StorageService: thousands of random puts, deletes, copies and
// paginated listings, checked step by step against a std::map model with S3's ListObjectsV2
// semantics (prefix, delimiter -> common prefixes, start_after, max_keys, continuation
// tokens, byte order of UTF-8 keys). Keys come from a small alphabet of tokens (ASCII,
// multi-byte UTF-8 and the delimiters themselves) so that prefixes are shared and common
// prefixes straddle page boundaries. The seed is fixed and printed; set K3_MODEL_SEED to
// replay another.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/storage_fixture.h"

namespace k3 {
namespace {

constexpr uint64_t kDefaultSeed = 0x6b33'2024'0611ull;
constexpr int kOps = 3000;
// Writes aim new keys at the bucket until it holds about this many, then mostly overwrite,
// so that listings stay long enough to page but short enough to walk often.
constexpr size_t kTargetKeys = 150;

// Key material: ASCII letters, the delimiters, bytes on both sides of them in byte order
// ('.' < '/' < '0'; ',' < '-' < '.'), and 2-, 3- and 4-byte UTF-8 sequences.
const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> tokens = {"a",
                                                  "b",
                                                  "/",
                                                  "-",
                                                  "a/b",
                                                  ".",
                                                  "0",
                                                  "\xc3\xa9" /* é */,
                                                  "\xe6\x97\xa5" /* 日 */,
                                                  "\xf0\x9f\x98\x80" /* 😀 */};
  return tokens;
}

const std::vector<std::string>& Delimiters() {
  static const std::vector<std::string> delimiters = {"", "/", "-", "a/b", "\xc3\xa9", "/"};
  return delimiters;
}

struct Entry {
  std::string name;
  bool is_prefix = false;
  bool operator==(const Entry&) const = default;
};

class ModelTest : public test::StorageTest {
 protected:
  void SetUp() override {
    test::StorageTest::SetUp();
    MakeBucket("model");
    MakeBucket("model-src");
    seed_ = kDefaultSeed;
    if (const char* env = std::getenv("K3_MODEL_SEED")) seed_ = std::strtoull(env, nullptr, 0);
    rng_.seed(seed_);
  }

  uint64_t Rand(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return Rand(100) < static_cast<uint64_t>(percent); }

  std::string RandomTokens(int min_tokens, int max_tokens) {
    const int n = min_tokens + static_cast<int>(Rand(max_tokens - min_tokens + 1));
    std::string out;
    for (int i = 0; i < n; ++i) out += Tokens()[Rand(Tokens().size())];
    return out;
  }

  std::string RandomKey() { return RandomTokens(1, 3); }

  // An existing key most of the time (when there is one), else a fresh random one.
  std::string SomeKey(const std::map<std::string, std::string>& model, int existing_percent) {
    if (!model.empty() && Chance(existing_percent)) {
      auto it = model.begin();
      std::advance(it, Rand(model.size()));
      return it->first;
    }
    return RandomKey();
  }

  // What S3 lists for `req` over `model`, all pages concatenated, in byte order.
  static std::vector<Entry> Expected(const std::map<std::string, std::string>& model,
                                     const ListObjectsRequest& req) {
    std::vector<Entry> out;
    for (auto it = model.lower_bound(req.prefix);
         it != model.end() && it->first.starts_with(req.prefix); ++it) {
      const std::string& key = it->first;
      if (!req.start_after.empty() && key <= req.start_after) continue;
      if (!req.delimiter.empty()) {
        const size_t cut = key.find(req.delimiter, req.prefix.size());
        if (cut != std::string::npos) {
          Entry cp{key.substr(0, cut + req.delimiter.size()), true};
          if (out.empty() || !(out.back() == cp)) out.push_back(std::move(cp));
          continue;
        }
      }
      out.push_back({key, false});
    }
    return out;
  }

  static std::string Describe(const ListObjectsRequest& req) {
    return "prefix=\"" + req.prefix + "\" delimiter=\"" + req.delimiter + "\" start_after=\"" +
           req.start_after + "\" max_keys=" + std::to_string(req.max_keys);
  }

  // Walks every page of `req` and compares each page with its slice of the model's listing.
  void CheckList(const std::map<std::string, std::string>& model, ListObjectsRequest req, int op) {
    const std::vector<Entry> want = Expected(model, req);
    const size_t page_size = req.max_keys == 0 ? 1000 : static_cast<size_t>(req.max_keys);
    const std::string what = "op " + std::to_string(op) + ": " + Describe(req);
    size_t at = 0;
    for (int page_no = 0;; ++page_no) {
      auto page = storage().list_objects(req);
      ASSERT_TRUE(page.ok()) << what << ": " << page.status().ToString();
      const size_t end = std::min(want.size(), at + page_size);
      std::vector<std::string> want_keys, want_prefixes, got_keys;
      for (size_t i = at; i < end; ++i) {
        (want[i].is_prefix ? want_prefixes : want_keys).push_back(want[i].name);
      }
      for (const ObjectInfo& o : page->objects) {
        got_keys.push_back(o.key);
        auto m = model.find(o.key);
        if (m == model.end()) continue;  // reported by the key comparison below
        ASSERT_EQ(o.size, m->second.size()) << what << " key " << o.key;
        ASSERT_EQ(o.etag, test::Md5Hex(m->second)) << what << " key " << o.key;
      }
      ASSERT_EQ(got_keys, want_keys) << what << " page " << page_no;
      ASSERT_EQ(page->common_prefixes, want_prefixes) << what << " page " << page_no;
      const bool more = end < want.size();
      ASSERT_EQ(page->is_truncated, more) << what << " page " << page_no;
      ASSERT_EQ(page->next_continuation_token.empty(), !more) << what << " page " << page_no;
      at = end;
      if (!more) break;
      req.continuation_token = page->next_continuation_token;
      ++list_pages_;
    }
    ASSERT_EQ(at, want.size()) << what;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  int list_pages_ = 0;
};

TEST_F(ModelTest, RandomOperationsMatchAMapModel) {
  std::cout << "[ model    ] seed=" << seed_ << " (set K3_MODEL_SEED to replay)" << std::endl;
  RecordProperty("seed", std::to_string(seed_));
  std::map<std::string, std::string> model, src_model;
  uint64_t acknowledged_writes = 0;  // each must have logged exactly one event
  const uint64_t first_offset = events().last_offset();
  // The copy source bucket holds a few fixed objects.
  for (int i = 0; i < 8; ++i) {
    const std::string key = "src/" + std::to_string(i);
    src_model[key] = test::PatternBytes(i * 9, 100 + i);
    Put("model-src", key, src_model[key]);
    ++acknowledged_writes;
  }
  int counts[8] = {};

  for (int op = 0; op < kOps; ++op) {
    const uint64_t dice = Rand(100);
    if (dice < 34) {  // put
      ++counts[0];
      const std::string key = SomeKey(model, model.size() < kTargetKeys ? 25 : 85);
      std::string bytes = test::PatternBytes(Rand(48), rng_());
      auto info = storage().put_object("model", key, bytes);
      ASSERT_TRUE(info.ok()) << "op " << op << " put " << key << ": " << info.status().ToString();
      ASSERT_EQ(info->etag, test::Md5Hex(bytes));
      model[key] = std::move(bytes);
      ++acknowledged_writes;
    } else if (dice < 48) {  // delete, mostly of existing keys
      ++counts[1];
      const std::string key = SomeKey(model, 70);
      Status s = storage().delete_object("model", key);
      ASSERT_TRUE(s.ok()) << "op " << op << " delete " << key << ": " << s.ToString();
      acknowledged_writes += model.erase(key);
    } else if (dice < 52) {  // delete many
      ++counts[2];
      std::vector<std::string> keys;
      for (uint64_t n = 1 + Rand(4); n > 0; --n) keys.push_back(SomeKey(model, 50));
      auto results = storage().delete_objects("model", keys);
      ASSERT_TRUE(results.ok()) << "op " << op << ": " << results.status().ToString();
      ASSERT_EQ(results->size(), keys.size());
      for (size_t i = 0; i < keys.size(); ++i) {
        ASSERT_TRUE((*results)[i].status.ok()) << (*results)[i].status.ToString();
        acknowledged_writes += model.erase(keys[i]);
      }
    } else if (dice < 66) {  // copy, within the bucket or from the other one
      ++counts[3];
      const bool across = Chance(30);
      const auto& from = across ? src_model : model;
      const std::string src_bucket = across ? "model-src" : "model";
      const std::string src_key = across ? "src/" + std::to_string(Rand(9))  // src/8 is absent
                                         : SomeKey(model, 85);
      const std::string dst_key = SomeKey(model, model.size() < kTargetKeys ? 25 : 85);
      auto info = storage().copy_object(
          {.source_bucket = src_bucket, .source_key = src_key, .bucket = "model", .key = dst_key});
      auto source = from.find(src_key);
      if (source == from.end()) {
        ASSERT_EQ(info.status().code(), StatusCode::kNotFound)
            << "op " << op << " copy " << src_key;
      } else {
        ASSERT_TRUE(info.ok()) << "op " << op << " copy " << src_key << " -> " << dst_key << ": "
                               << info.status().ToString();
        ASSERT_EQ(info->etag, test::Md5Hex(source->second));
        std::string bytes = source->second;  // `source` may point into model itself
        model[dst_key] = std::move(bytes);
        ++acknowledged_writes;
      }
    } else if (dice < 70) {  // read back one key
      ++counts[4];
      const std::string key = SomeKey(model, 70);
      auto got = storage().get_object("model", key);
      auto m = model.find(key);
      if (m == model.end()) {
        ASSERT_EQ(got.status().code(), StatusCode::kNotFound) << "op " << op << " get " << key;
      } else {
        ASSERT_TRUE(got.ok()) << "op " << op << " get " << key << ": " << got.status().ToString();
        ASSERT_EQ(got->body, m->second) << "op " << op << " get " << key;
      }
    } else {  // list, walking every page
      ++counts[5];
      ListObjectsRequest req{.bucket = "model"};
      if (Chance(50)) req.prefix = RandomTokens(1, 2);
      req.delimiter = Delimiters()[Rand(Delimiters().size())];
      if (Chance(25)) req.start_after = Chance(50) ? SomeKey(model, 100) : RandomKey();
      static constexpr int kMaxKeys[] = {1, 2, 3, 5, 8, 13, 0, 1000};
      req.max_keys = kMaxKeys[Rand(std::size(kMaxKeys))];
      ASSERT_NO_FATAL_FAILURE(CheckList(model, req, op));
    }
    if (op == kOps / 2) {
      ASSERT_NO_FATAL_FAILURE(Reopen());  // the model must also hold across a reopen
    }
  }

  // Final: a full listing in every delimiter, the counters, and the events log.
  for (const std::string& d : Delimiters()) {
    ASSERT_NO_FATAL_FAILURE(
        CheckList(model, {.bucket = "model", .delimiter = d, .max_keys = 4}, kOps));
  }
  uint64_t bytes = 0;
  for (const auto& [k, v] : model) bytes += v.size();
  Bucket b = GetBucket("model");
  EXPECT_EQ(b.object_count, model.size());
  EXPECT_EQ(b.storage_used_bytes, bytes);
  Bucket src = GetBucket("model-src");
  EXPECT_EQ(src.object_count, src_model.size());
  EXPECT_EQ(events().last_offset() - first_offset, acknowledged_writes);
  std::cout << "[ model    ] ops: put=" << counts[0] << " delete=" << counts[1]
            << " delete_many=" << counts[2] << " copy=" << counts[3] << " get=" << counts[4]
            << " list=" << counts[5] << " (+" << list_pages_ << " continuation pages); final "
            << model.size() << " keys, " << bytes << " bytes, " << acknowledged_writes << " events"
            << std::endl;
  // Sanity of the test itself: the mix really exercised what it claims.
  EXPECT_GT(model.size(), kTargetKeys / 2);
  EXPECT_GT(list_pages_, 1000);
  ExpectNoLeakedBlobs();
}

// Deterministic companions of the random test: the S3 examples everybody gets wrong.
TEST_F(ModelTest, CommonPrefixesStraddlePageBoundaries) {
  std::map<std::string, std::string> model;
  for (const char* k : {"a", "a/1", "a/2", "a/3", "a-b", "a0", "b/x/1", "b/x/2", "b/y", "c"}) {
    model[k] = k;
    Put("model", k, k);
  }
  for (int max_keys : {1, 2, 3, 4, 1000}) {
    for (const char* d : {"/", "-", ""}) {
      ASSERT_NO_FATAL_FAILURE(
          CheckList(model, {.bucket = "model", .delimiter = d, .max_keys = max_keys}, 0));
      ASSERT_NO_FATAL_FAILURE(CheckList(
          model, {.bucket = "model", .prefix = "b/", .delimiter = d, .max_keys = max_keys}, 0));
      ASSERT_NO_FATAL_FAILURE(CheckList(
          model, {.bucket = "model", .delimiter = d, .start_after = "a/1", .max_keys = max_keys},
          0));
    }
  }
  // Spot-check the model itself against hand-written S3 answers.
  auto page = storage().list_objects({.bucket = "model", .delimiter = "/"});
  ASSERT_TRUE(page.ok());
  std::vector<std::string> keys;
  for (const auto& o : page->objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "a-b", "a0", "c"}));
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  auto nested = storage().list_objects({.bucket = "model", .prefix = "b/", .delimiter = "/"});
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ(nested->objects.size(), 1u);
  EXPECT_EQ(nested->objects[0].key, "b/y");
  EXPECT_EQ(nested->common_prefixes, (std::vector<std::string>{"b/x/"}));
  // start_after inside a group still shows the group when later keys fall into it.
  auto inside = storage().list_objects({.bucket = "model", .delimiter = "/", .start_after = "a/2"});
  ASSERT_TRUE(inside.ok());
  ASSERT_FALSE(inside->common_prefixes.empty());
  EXPECT_EQ(inside->common_prefixes[0], "a/");
  auto past = storage().list_objects({.bucket = "model", .delimiter = "/", .start_after = "a/3"});
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(past->common_prefixes, (std::vector<std::string>{"b/"}));
}

TEST_F(ModelTest, Utf8KeysListInByteOrder) {
  // Byte order, not code point order of UTF-16 or locale order: U+FF5E (EF BD 9E) sorts
  // before U+1F600 (F0 9F 98 80); "Z" < "a" < "é".
  const std::vector<std::string> keys = {"\xf0\x9f\x98\x80", "\xef\xbd\x9e",  "\xc3\xa9", "a", "Z",
                                         "\xe6\x97\xa5/x",   "\xe6\x97\xa5/y"};
  std::map<std::string, std::string> model;
  for (const std::string& k : keys) {
    model[k] = k;
    Put("model", k, k);
  }
  auto page = storage().list_objects({.bucket = "model"});
  ASSERT_TRUE(page.ok());
  std::vector<std::string> listed;
  for (const auto& o : page->objects) listed.push_back(o.key);
  EXPECT_EQ(listed,
            (std::vector<std::string>{"Z", "a", "\xc3\xa9", "\xe6\x97\xa5/x", "\xe6\x97\xa5/y",
                                      "\xef\xbd\x9e", "\xf0\x9f\x98\x80"}));
  for (int max_keys : {1, 2, 1000}) {
    for (const char* d : {"/", "\xc3\xa9", ""}) {
      ASSERT_NO_FATAL_FAILURE(
          CheckList(model, {.bucket = "model", .delimiter = d, .max_keys = max_keys}, 0));
    }
  }
}

}  // namespace
}  // namespace k3
