// vectors/faiss_index.h: one collection's FAISS index, derived from its rows, and its
// checkpoint file.
//
// FAISS stores vectors at sequential positions 0..ntotal-1. FaissIndex keeps, for each
// position, the row label it holds (labels are the collection's write sequence, see
// records.h) and a liveness bit; deleted or replaced rows stay in the index as tombstones,
// excluded at search time by an IDSelector on the inner index (IndexIDMap2 is not used: in
// FAISS 1.7.3 it refuses search parameters on HNSW), until a rebuild drops them.
//
// Checkpoint file layout (all integers little-endian):
//   "K3VIDX01" | u64 covered_next_label | u32 dims | u32 metric | u32 kind | u32 reserved
//   | u64 n | n × u64 label | u64 faiss_bytes | FAISS write_index bytes | 32-byte SHA-256 of
//   everything before it.
// A file that is short, fails the checksum, or does not match the collection is refused.
// Thread-safety: none; LiveCollection (live_collection.h) serializes access.
#ifndef K3_VECTORS_FAISS_INDEX_H_
#define K3_VECTORS_FAISS_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "k3/vectors.h"

namespace faiss {
struct Index;
struct IDSelector;
}  // namespace faiss

namespace k3::vectors {

// What a collection's index is made of.
struct IndexConfig {
  int dims = 0;
  VectorMetric metric = VectorMetric::kCosine;
  VectorIndexType type = VectorIndexType::kHnsw;
  HnswParams hnsw;
  IvfParams ivf;
};

// The structure actually built: IVF_FLAT collections are flat until trained.
enum class IndexKind : uint32_t { kFlat = 1, kHnsw = 2, kIvfFlat = 3 };

// The least number of vectors an IVF_FLAT collection needs before it is trained.
size_t IvfTrainThreshold(const IvfParams& p);

// One nearest-neighbour candidate: a position and FAISS's raw distance.
struct RawHit {
  int64_t pos = -1;
  float distance = 0;
};

// Scales the `dims` floats at `v` to unit L2 length (a zero vector stays zero). Unlike
// faiss::fvec_renorm_L2 it opens no OpenMP parallel region, whose idle threads spin after
// every call: per-vector normalization on the write and search paths must not pay that.
void NormalizeL2(float* v, size_t dims);

class FaissIndex {
 public:
  // Builds an index over `n` vectors (row-major, already normalized for COSINE) holding the
  // given labels, in that order. IVF_FLAT is trained on them when n reaches the threshold,
  // flat otherwise. Errors (FAISS exceptions) are INTERNAL.
  static Result<std::unique_ptr<FaissIndex>> Build(const IndexConfig& config,
                                                   const std::vector<uint64_t>& labels,
                                                   const float* data);
  // Parses a checkpoint's bytes. DATA_LOSS when the file is damaged or does not match
  // `config`; *covered_next_label receives the label high-water mark it covers.
  static Result<std::unique_ptr<FaissIndex>> FromCheckpoint(const IndexConfig& config,
                                                            const std::string& bytes,
                                                            uint64_t* covered_next_label);
  ~FaissIndex();

  // The checkpoint bytes of this index, covering labels < covered_next_label.
  Result<std::string> Serialize(uint64_t covered_next_label) const;

  // Appends vectors; `labels` must be new. INTERNAL on a FAISS error.
  Status Add(const std::vector<uint64_t>& labels, const float* data);
  // Marks the position of `label` dead; false when the label is not indexed.
  bool Remove(uint64_t label);

  // Up to k nearest positions accepted by `selector` (nullptr: the live ones), best first.
  // `widen` (>= 1) multiplies the search breadth (efSearch / nprobe) for selective filters.
  Status Search(const float* query, int k, const faiss::IDSelector* selector, double widen,
                std::vector<RawHit>* out) const;

  IndexKind kind() const { return kind_; }
  size_t size() const { return labels_.size(); }
  size_t dead() const { return dead_; }
  uint64_t label_at(int64_t pos) const { return labels_[pos]; }
  bool live_at(int64_t pos) const { return (live_[pos >> 3] >> (pos & 7)) & 1; }
  const uint8_t* live_bitmap() const { return live_.data(); }
  size_t live_bitmap_bytes() const { return live_.size(); }
  // Whether adding has made an untrained IVF_FLAT collection big enough to be trained.
  bool WantsTraining() const;

 private:
  FaissIndex(const IndexConfig& config, IndexKind kind, std::unique_ptr<faiss::Index> index);
  void Track(uint64_t label);

  IndexConfig config_;
  IndexKind kind_;
  std::unique_ptr<faiss::Index> index_;
  std::vector<uint64_t> labels_;  // by position
  std::vector<uint8_t> live_;     // bitmap by position
  std::unordered_map<uint64_t, int64_t> pos_by_label_;
  size_t dead_ = 0;
};

}  // namespace k3::vectors

#endif  // K3_VECTORS_FAISS_INDEX_H_
