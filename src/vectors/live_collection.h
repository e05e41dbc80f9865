// vectors/live_collection.h: one collection in memory — its live vectors (decoded rows), the
// FAISS index derived from them, searches, and index maintenance (rebuild, checkpoint).
//
// Locking: `mu_` (shared) guards the slots and the index: searches take it shared; Apply and
// the swap at the end of a rebuild take it exclusively, so a search sees a batch entirely or
// not at all. write_mu() serializes the collection's writers: a writer holds it from checking
// ids, through writing its batch to the store, to Apply, so the store and memory change in the
// same order. Rebuilds build the new index from a snapshot without holding `mu_`, then take it
// exclusively only to add what was written meanwhile and swap.
#ifndef K3_VECTORS_LIVE_COLLECTION_H_
#define K3_VECTORS_LIVE_COLLECTION_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "k3/vectors.h"
#include "kv/store.h"
#include "util/log.h"
#include "vectors/faiss_index.h"
#include "vectors/records.h"

namespace k3::vectors {

// A live vector in memory. `values` are normalized for COSINE collections.
struct Slot {
  std::string id;
  Metadata metadata;
  std::vector<float> values;
};

// What one write batch changed, applied to memory after the batch is in the store.
struct Change {
  std::vector<std::pair<uint64_t, Slot>> adds;  // new labels, ascending
  std::vector<uint64_t> removes;                // labels deleted or replaced
  uint64_t next_label = 0;                      // the record's next_label after the batch
};

struct Hit {
  std::string id;
  float score = 0;
  Metadata metadata;
};

// Scores are higher-is-better; see k3/vectors.h for the formulas.
float ScoreOf(VectorMetric metric, float faiss_distance);
IndexConfig ConfigOf(const Collection& c);

class LiveCollection {
 public:
  // Tombstones trigger a background rebuild above this share of the index (and kMinDead).
  static constexpr double kRebuildDeadRatio = 0.2;
  static constexpr size_t kMinDead = 64;
  // The background worker checkpoints once this many labels are not covered by the file.
  static constexpr uint64_t kCheckpointEvery = 20000;
  // Filtered searches whose estimated selectivity is below this run as brute force over the
  // matching vectors; above it FAISS searches with the filter as an IDSelector.
  static constexpr double kBruteForceSelectivity = 0.05;

  LiveCollection(CollectionRecord record, std::string checkpoint_path, util::Logger logger);
  ~LiveCollection();

  // Reads the collection's rows from `store` at `snapshot` (at which `record` was read too),
  // loads the checkpoint when it is valid and catches it up with the rows it does not cover,
  // or rebuilds the index from the rows (and checkpoints it) when the file is missing or
  // damaged. Called once, before the collection is shared.
  Status Load(const kv::Store& store, const kv::Snapshot* snapshot);

  std::mutex& write_mu() { return write_mu_; }
  // Require write_mu().
  CollectionRecord& record() { return record_; }
  std::optional<uint64_t> LabelOf(const std::string& id) const;
  bool dropped() const { return dropped_; }
  void MarkDropped() { dropped_ = true; }
  // Never change over the collection's life.
  const std::string& collection_id() const { return collection_id_; }
  const std::string& name() const { return name_; }
  const std::string& bucket() const { return bucket_; }
  // Applies a change already written to the store. An error leaves the collection unusable
  // (broken()); the owner drops it from memory so that it is loaded again from the rows.
  Status Apply(Change change);
  bool broken() const { return broken_; }

  // Up to k hits for one query (normalized for COSINE), best first, those below min_score
  // dropped. `filter` (validated) may be null.
  Status Search(const float* query, int k, const VectorFilter* filter,
                std::optional<float> min_score, std::vector<Hit>* out) const;

  // Whether the background worker has work: tombstones over the threshold, an IVF_FLAT
  // collection ready to be trained, or many labels not yet checkpointed.
  bool NeedsMaintenance() const;
  // Runs the maintenance NeedsMaintenance asked for. Called by one thread at a time.
  Status Maintain();
  // Rebuilds the index from the live vectors without blocking searches for the build.
  Status Rebuild();
  // Writes the checkpoint when the index changed since the last one.
  Status Checkpoint();
  // Removes the checkpoint file (the collection is being deleted).
  void RemoveCheckpoint();

  const IndexConfig& config() const { return config_; }
  bool building() const { return building_; }
  // Claims the one maintenance queue slot; false when already queued.
  bool TryQueue() { return !queued_.exchange(true); }
  void Unqueue() { queued_ = false; }

 private:
  Status BruteForce(const float* query, int k, const VectorFilter& filter,
                    std::vector<std::pair<float, uint64_t>>* best) const;
  Status RebuildLocked();  // requires mu_ exclusively; for Load

  const IndexConfig config_;
  const std::string collection_id_;
  const std::string name_;
  const std::string bucket_;
  const std::string checkpoint_path_;
  util::Logger logger_;

  std::mutex write_mu_;
  CollectionRecord record_;           // guarded by write_mu_
  std::atomic<bool> dropped_{false};  // set under write_mu_ and live_mu_ of the service

  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, Slot> slots_;                // by label; guarded by mu_
  std::unordered_map<std::string, uint64_t> labels_by_id_;  // guarded by mu_
  std::unique_ptr<FaissIndex> index_;                       // guarded by mu_
  uint64_t applied_next_label_ = 0;                         // guarded by mu_
  bool broken_ = false;

  std::mutex checkpoint_mu_;         // serializes checkpoint writes and removal
  uint64_t checkpointed_label_ = 0;  // guarded by mu_
  bool checkpoint_stale_ = false;    // guarded by mu_ (index rebuilt since the file)
  bool checkpoint_removed_ = false;  // guarded by checkpoint_mu_
  std::atomic<bool> building_{false};
  std::atomic<bool> queued_{false};
};

}  // namespace k3::vectors

#endif  // K3_VECTORS_LIVE_COLLECTION_H_
