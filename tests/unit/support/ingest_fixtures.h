// Shared pieces of the IngestService tests: a scriptable host embedder (blocks, fails on
// cue, logs what it embeds) and a fixture that opens a Db in a temporary directory with
// helpers to create pipelines and rules, page through jobs and count output.
// Thread-safety: ScriptedEmbedder is safe for concurrent calls (k3 calls it from workers
// while the test thread scripts it); IngestFixture is used by the test's thread (its read
// helpers may be called from several threads, as the services they call are thread-safe).
#ifndef K3_TESTS_UNIT_SUPPORT_INGEST_FIXTURES_H_
#define K3_TESTS_UNIT_SUPPORT_INGEST_FIXTURES_H_

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3::test {

// A host embedder the test drives. Vectors are a bag of letters and digits folded into
// dimensions() floats (deterministic; similar texts score close). Scripting applies only to
// batches in which some text contains the `marker` given to the call that set it up, so that
// pipeline creation or searches never trip it by accident.
class ScriptedEmbedder : public Embedder {
 public:
  explicit ScriptedEmbedder(std::string name, int dimensions = 16);

  std::string name() const override { return name_; }
  int dimensions() const override { return dimensions_; }
  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override;

  // Batches mentioning `marker` block in embed() until Release() (or the embedder is
  // released by its destructor's caller). Entered() counts the blocked entries.
  void BlockOn(std::string marker);
  void Release();
  // Waits until at least `n` calls are blocked or have been blocked; false on the deadline.
  bool WaitEntered(int n, std::chrono::milliseconds timeout);

  // The next `times` batches mentioning `marker` fail with `error` (times < 0: every one).
  void FailOn(std::string marker, int times, Status error);

  // Every batch embed() was called with, in call order (failed and blocked ones included).
  std::vector<std::vector<std::string>> Log() const;
  int Calls() const;

 private:
  const std::string name_;
  const int dimensions_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string block_marker_;
  bool blocking_ = false;
  int entered_ = 0;
  std::string fail_marker_;
  int fail_times_ = 0;
  Status fail_error_;
  std::vector<std::vector<std::string>> log_;
};

// Calls `done` until it returns true or `timeout` passes (then false). Waits on a condition,
// never for a fixed time: the poll interval only bounds the CPU spent.
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Deadline of every wait_idle / wait in these tests, in milliseconds (generous: sanitizers).
inline constexpr int64_t kIdleTimeoutMs = 120000;

class IngestFixture : public ::testing::Test {
 protected:
  // Opens (or reopens) the Db on dir_ with `options`.
  void Open(Options options = {});
  void Close() { db_.reset(); }
  void CreateBucket(const std::string& bucket);

  Db& db() { return db_.value(); }  // throws (a test failure) when Open failed
  IngestService& ingest() { return db_.value().ingest(); }

  ObjectInfo Put(const std::string& bucket, const std::string& key, const std::string& body,
                 const std::string& type = "text/plain");
  Pipeline CreatePipeline(const std::string& bucket, const std::string& name,
                          const std::string& template_id,
                          std::map<std::string, std::string> options = {},
                          const std::string& dest = "");
  // A vector pipeline with the hash embedder (64 dimensions) and fixed chunks of
  // `chunk_size` characters without overlap, or the named embedder.
  Pipeline VectorPipeline(const std::string& bucket, const std::string& name, int chunk_size = 200,
                          const std::string& embedder = "hash");
  IngestRule CreateRule(IngestRule rule);

  // Every job of the bucket (all pages, page_size 7 to exercise paging), newest first.
  std::vector<IngestJob> AllJobs(const std::string& bucket,
                                 std::optional<IngestStatus> status = std::nullopt,
                                 const std::string& rule_id = "");
  void WaitIdle(const std::string& bucket);

  uint64_t VectorCount(const std::string& bucket, const std::string& collection);
  // The ids in `ids` that the collection lacks.
  std::vector<std::string> MissingVectors(const std::string& bucket, const std::string& collection,
                                          const std::vector<std::string>& ids);
  int64_t Scalar(const std::string& bucket, const std::string& sql);

  TempDir dir_;
  std::optional<Db> db_;
};

// "<key>#0" .. "<key>#<n-1>": the vector ids of an object's n chunks.
std::vector<std::string> ChunkIds(const std::string& key, uint64_t n);

}  // namespace k3::test

#endif  // K3_TESTS_UNIT_SUPPORT_INGEST_FIXTURES_H_
