// Durability of StorageService across a process crash: a child process (k3_crash_child
// storage) puts and deletes objects and is killed with SIGKILL at a random point, several
// rounds on the same data directory. After each kill the directory is reopened and checked
// against a model of everything the child acknowledged:
//   - every acknowledged put reads back with its bytes and ETag, every acknowledged delete is
//     gone, and nothing else exists (the one operation in flight at the kill may have landed
//     or not — the parent replays the child's deterministic workload, so it knows exactly
//     which operation that is and accepts exactly its two outcomes);
//   - no partial object: every object's bytes hash to its ETag and have its size;
//   - the bucket's object_count and storage_used_bytes equal a recount through list_objects;
//   - the events log holds exactly one event per acknowledged write, in order (plus one for
//     the in-flight operation when it landed);
//   - the chunks column family holds exactly the chunks of live objects and no blob is left
//     pending (checked through the internal kv::Store after the Db is closed).
// Set K3_CRASH_SEED to replay a run; the seed in use is printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crash/child_process.h"
#include "crash/workload.h"
#include "k3/k3.hpp"
#include "kv/codec.h"
#include "kv/store.h"
#include "storage/records.h"
#include "support/temp_dir.h"
#include "util/hash.h"

namespace k3 {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan makes each round several times slower
#else
constexpr bool kSanitized = false;
#endif
constexpr int kRounds = kSanitized ? 4 : 6;
constexpr int kMinLines = 5;                       // kill after this many lines at least...
constexpr int kMaxLines = kSanitized ? 200 : 400;  // ...and at most this many
constexpr char kBucket[] = "crash";

std::string EtagOf(std::string_view bytes) { return util::HexEncode(util::Md5Digest(bytes)); }

std::vector<std::string> Split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

struct ObjectVersion {
  std::string etag;
  uint64_t size = 0;
  uint64_t version = 0;
};

struct ExpectedEvent {
  std::string type;
  std::string key;
  std::string etag;
  uint64_t size = 0;
};

// What the store must hold: the objects of bucket "crash" and its events, in order.
struct Model {
  std::map<std::string, ObjectVersion> objects;
  std::vector<ExpectedEvent> events;

  // Applies an operation that happened; `etag` is the ETag of a put's bytes.
  void Apply(const crash::StorageOp& op, const std::string& etag) {
    if (op.is_delete) {
      auto it = objects.find(op.key);
      if (it == objects.end()) return;  // deleting a missing key appends no event
      events.push_back({kEventObjectDeleted, op.key, it->second.etag, it->second.size});
      objects.erase(it);
      return;
    }
    objects[op.key] = {etag, op.size, op.version};
    events.push_back({kEventObjectCreated, op.key, etag, op.size});
  }
};

std::string Describe(const crash::StorageOp& op) {
  if (op.is_delete) return "DEL " + op.key;
  return "PUT " + op.key + " size " + std::to_string(op.size) + " version " +
         std::to_string(op.version) + (op.stream ? " (streamed)" : "");
}

// Runs one round: the child from `seed` on `dir`, SIGKILLed once `kill_after` lines were
// read; then every line it managed to write is read too. Applies the acknowledged operations
// to `model` (checking each report against the replayed workload) and returns the operation
// that was in flight.
void RunRound(const std::string& dir, uint64_t seed, int kill_after, Model* model,
              crash::StorageOp* in_flight, int* acked) {
  std::string error;
  auto run =
      crash::RunAndKill({K3_CRASH_CHILD, "storage", dir, std::to_string(seed)}, kill_after, &error);
  ASSERT_TRUE(run.has_value()) << error;
  const std::vector<std::string>& lines = run->lines;
  ASSERT_TRUE(WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGKILL)
      << "the child was not killed by us: " << crash::ChildProcess::Describe(run->status)
      << " after " << lines.size() << " lines";
  // Each report is one write() of a short line, so it arrives whole or not at all.
  ASSERT_EQ(run->partial, "") << "a torn report line";
  ASSERT_GE(lines.size(), 1u);
  ASSERT_EQ(lines[0], "READY");

  crash::StorageWorkload workload(seed);
  for (size_t i = 1; i < lines.size(); ++i) {
    const crash::StorageOp op = workload.Next();
    const std::vector<std::string> words = Split(lines[i]);
    if (op.is_delete) {
      ASSERT_EQ(words, (std::vector<std::string>{"DEL", op.key})) << "line " << i;
      model->Apply(op, "");
    } else {
      const std::string etag = EtagOf(crash::Bytes(op.key, op.version, op.size));
      ASSERT_EQ(words, (std::vector<std::string>{"PUT", op.key, etag, std::to_string(op.size),
                                                 std::to_string(op.version)}))
          << "line " << i << ": the acknowledged ETag must be the MD5 of the bytes";
      model->Apply(op, etag);
    }
  }
  *in_flight = workload.Next();
  *acked = static_cast<int>(lines.size()) - 1;
}

// Reopens `dir` and checks it against `model`, first applying the in-flight operation to the
// model when the store shows it landed.
void VerifyReopened(const std::string& dir, Model* model, const crash::StorageOp& in_flight,
                    bool* landed) {
  auto db = Db::open(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  StorageService& storage = db->storage();

  // The events log: one event per acknowledged write, plus one if the in-flight op landed.
  const uint64_t acked_events = model->events.size();
  const uint64_t last = db->events().last_offset();
  ASSERT_TRUE(last == acked_events || last == acked_events + 1)
      << "the events log has " << last << " events for " << acked_events
      << " acknowledged writes; in flight: " << Describe(in_flight);
  *landed = last == acked_events + 1;
  if (*landed) {
    ASSERT_TRUE(!in_flight.is_delete || model->objects.count(in_flight.key) > 0)
        << "an extra event, but the in-flight operation (" << Describe(in_flight)
        << ") deletes a missing key and writes none";
    model->Apply(in_flight,
                 in_flight.is_delete
                     ? std::string()
                     : EtagOf(crash::Bytes(in_flight.key, in_flight.version, in_flight.size)));
  }
  uint64_t next = 1;
  while (next <= last) {
    auto page = db->events().read(next, 500);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_FALSE(page->empty()) << "events log ends early at offset " << next;
    for (const Event& e : *page) {
      ASSERT_EQ(e.offset, next);
      ASSERT_LE(e.offset, model->events.size());
      const ExpectedEvent& want = model->events[e.offset - 1];
      EXPECT_EQ(e.bucket, kBucket) << "offset " << e.offset;
      EXPECT_EQ(e.type, want.type) << "offset " << e.offset;
      EXPECT_EQ(e.key, want.key) << "offset " << e.offset;
      EXPECT_EQ(e.etag, want.etag) << "offset " << e.offset;
      EXPECT_EQ(e.size, want.size) << "offset " << e.offset;
      ++next;
    }
  }

  // Every object of the model reads back whole, with its bytes and ETag.
  for (const auto& [key, want] : model->objects) {
    auto got = storage.get_object(kBucket, key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(got->info.size, want.size) << key;
    EXPECT_EQ(got->info.etag, want.etag) << key;
    ASSERT_EQ(got->body.size(), want.size) << key;
    EXPECT_EQ(EtagOf(got->body), got->info.etag) << key << ": bytes do not hash to the ETag";
    EXPECT_TRUE(got->body == crash::Bytes(key, want.version, want.size))
        << key << ": bytes differ from version " << want.version;
  }

  // Nothing else exists, and the counters equal a recount.
  std::map<std::string, ObjectInfo> listed;
  ListObjectsRequest list{.bucket = kBucket, .max_keys = 64};
  for (;;) {
    auto page = storage.list_objects(list);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (ObjectInfo& info : page->objects) listed[info.key] = std::move(info);
    if (!page->is_truncated) break;
    list.continuation_token = page->next_continuation_token;
  }
  uint64_t used = 0;
  for (const auto& [key, info] : listed) {
    used += info.size;
    auto it = model->objects.find(key);
    if (it == model->objects.end()) {
      ADD_FAILURE() << key << " exists but was deleted or never acknowledged";
      continue;
    }
    EXPECT_EQ(info.size, it->second.size) << key;
    EXPECT_EQ(info.etag, it->second.etag) << key;
  }
  EXPECT_EQ(listed.size(), model->objects.size());
  auto bucket = storage.get_bucket(kBucket);
  ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
  EXPECT_EQ(bucket->object_count, listed.size());
  EXPECT_EQ(bucket->storage_used_bytes, used);
}

// With the Db closed: the chunks column family holds exactly the chunks of the live objects'
// blobs (each of its expected length) and no blob is marked pending.
void VerifyNoGarbage(const std::string& dir, const Model& model) {
  auto store = kv::Store::Open(dir, Options{}, util::Logger());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  std::map<std::string, uint64_t> expected;  // chunk key -> its length
  uint64_t records = 0;
  {
    std::string prefix = std::string(kBucket) + '\0';
    std::string end = std::string(kBucket) + '\1';
    auto it = (*store)->NewIterator(kv::Cf::kObjects, end);
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      ++records;
      storage::ObjectRecord record;
      ASSERT_TRUE(storage::DecodeObject(it->value(), &record));
      uint64_t total = 0;
      for (const storage::Segment& seg : record.segments) {
        ASSERT_EQ(seg.blob_id.size(), storage::kBlobIdSize);
        total += seg.size;
        for (uint64_t start = 0, index = 0; start < seg.size;
             start += storage::kChunkSize, ++index) {
          std::string key = seg.blob_id;
          kv::AppendBigEndian32(&key, static_cast<uint32_t>(index));
          expected[key] = std::min(storage::kChunkSize, seg.size - start);
        }
      }
      EXPECT_EQ(total, record.size) << "segments do not add up to the object's size";
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }
  EXPECT_EQ(records, model.objects.size());
  uint64_t model_chunks = 0;
  for (const auto& [key, v] : model.objects) {
    model_chunks += (v.size + storage::kChunkSize - 1) / storage::kChunkSize;
  }
  EXPECT_EQ(expected.size(), model_chunks);

  uint64_t found = 0, stray = 0;
  auto it = (*store)->NewIterator(kv::Cf::kChunks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++found;
    auto want = expected.find(std::string(it->key()));
    if (want == expected.end()) {
      ++stray;
      continue;
    }
    EXPECT_EQ(it->value().size(), want->second) << "chunk of the wrong length";
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(stray, 0u) << "chunks that belong to no object (leaked by a crash)";
  EXPECT_EQ(found - stray, expected.size()) << "chunks of live objects are missing";

  auto meta = (*store)->NewIterator(kv::Cf::kMeta, "pending0");
  uint64_t pending = 0;
  for (meta->Seek("pending/"); meta->Valid(); meta->Next()) ++pending;
  EXPECT_EQ(pending, 0u) << "blobs still marked pending after recovery";
}

TEST(StorageCrash, KilledWriterLosesNoAcknowledgedWrite) {
  const uint64_t seed = crash::CrashTestSeed();
  std::printf("K3_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("K3_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  Model model;
  int landed_rounds = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const uint64_t child_seed = rng() % 1000000000 + 1;
    const int kill_after = kMinLines + static_cast<int>(rng() % (kMaxLines - kMinLines + 1));
    crash::StorageOp in_flight;
    int acked = 0;
    ASSERT_NO_FATAL_FAILURE(
        RunRound(dir.path(), child_seed, kill_after, &model, &in_flight, &acked));
    bool landed = false;
    ASSERT_NO_FATAL_FAILURE(VerifyReopened(dir.path(), &model, in_flight, &landed));
    ASSERT_NO_FATAL_FAILURE(VerifyNoGarbage(dir.path(), model));
    if (HasFailure()) return;
    landed_rounds += landed ? 1 : 0;
    std::printf("round %d: %d acknowledged, in flight %s (%s); %zu objects, %zu events\n", round,
                acked, Describe(in_flight).c_str(), landed ? "landed" : "not landed",
                model.objects.size(), model.events.size());
  }
  // The rounds did real work: the model is not trivially empty.
  EXPECT_GT(model.events.size(), static_cast<size_t>(kRounds));
}

}  // namespace
}  // namespace k3
