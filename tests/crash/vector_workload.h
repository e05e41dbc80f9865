// crash/vector_workload.h: the deterministic VectorService workload of `k3_crash_child
// vectors`, shared with the test that checks what survives its SIGKILL. Given the same seed
// and round, child and parent produce the same batches, so the parent knows the batch that
// was in flight at the kill and accepts exactly its two outcomes (all of it, or none).
// Header-only, no dependency on k3. Thread-safety: values; one thread at a time.
#ifndef K3_TESTS_CRASH_VECTOR_WORKLOAD_H_
#define K3_TESTS_CRASH_VECTOR_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "workload.h"

namespace k3::crash {

inline constexpr int kVectorDims = 8;
inline constexpr int kVectorPool = 300;  // ids "id0".."id299"
inline constexpr char kVectorBucket[] = "vcrash";
inline constexpr char kVectorCollection[] = "c";

// One atomic batch: an upsert of `ids` (each written as version `version`) or a delete.
struct VectorOp {
  bool is_delete = false;
  uint64_t version = 0;  // unique over all rounds: round * 1e6 + index
  std::vector<std::string> ids;
};

// The values of `id` at `version`: deterministic, distinct, in [-1, 1).
inline std::vector<float> VectorValues(const std::string& id, uint64_t version) {
  std::vector<float> v(kVectorDims);
  for (int d = 0; d < kVectorDims; ++d) {
    uint64_t x = Mix64(KeyHash(id) ^ Mix64(version * 131 + d));
    v[d] = static_cast<float>((x >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
  }
  return v;
}

class VectorWorkload {
 public:
  VectorWorkload(uint64_t seed, uint64_t round) : rng_(seed * 1000003 + round), round_(round) {}

  VectorOp Next() {
    VectorOp op;
    op.version = round_ * 1000000 + index_++;
    op.is_delete = std::uniform_int_distribution<int>(0, 3)(rng_) == 0;
    const int n = std::uniform_int_distribution<int>(1, op.is_delete ? 15 : 25)(rng_);
    std::uniform_int_distribution<int> pick(0, kVectorPool - 1);
    for (int i = 0; i < n; ++i) {
      std::string id = "id" + std::to_string(pick(rng_));
      bool dup = false;
      for (const auto& e : op.ids) dup |= e == id;
      if (!dup) op.ids.push_back(id);
    }
    return op;
  }

 private:
  std::mt19937_64 rng_;
  uint64_t round_;
  uint64_t index_ = 0;
};

}  // namespace k3::crash

#endif  // K3_TESTS_CRASH_VECTOR_WORKLOAD_H_
