// crash/workload.h: the deterministic workloads of k3_crash_child, shared with the tests that
// run it. Given the same seed, the child and the parent produce the same operation sequence
// and the same object bytes, so the parent knows not only what was acknowledged but also the
// exact operation that was in flight when the child was killed.
// Header-only, no dependency on k3. Thread-safety: values; one thread at a time.
#ifndef K3_TESTS_CRASH_WORKLOAD_H_
#define K3_TESTS_CRASH_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

namespace k3::crash {

// SplitMix64's output function: a good 64-bit mix, cheap enough to generate gigabytes.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// FNV-1a: a hash of a key that is the same in every build (std::hash is not specified).
inline uint64_t KeyHash(std::string_view key) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : key) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

// Writes bytes [offset, offset + n) of the endless deterministic stream named `stream` to
// `out`. Byte i of the stream is byte (i % 8) (little-endian) of Mix64(stream + i / 8), so any
// range can be produced without the bytes before it.
inline void FillStream(uint64_t stream, uint64_t offset, char* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    const uint64_t pos = offset + done;
    const uint64_t word = Mix64(stream + pos / 8);
    const size_t skip = pos % 8;
    if (skip == 0 && n - done >= 8) {
      std::memcpy(out + done, &word, 8);  // little-endian hosts only (x86-64, aarch64)
      done += 8;
      continue;
    }
    out[done++] = static_cast<char>(word >> (8 * skip));
  }
}

// The bytes of version `version` of `key` in the storage workload.
inline std::string Bytes(std::string_view key, uint64_t version, size_t size) {
  std::string out(size, '\0');
  FillStream(KeyHash(key) ^ (version * 0x9E3779B97F4A7C15ull), 0, out.data(), size);
  return out;
}

// One operation of the storage workload.
struct StorageOp {
  bool is_delete = false;
  std::string key;       // "k/<n>", n < kStorageKeys
  uint64_t version = 0;  // puts: names the bytes (see Bytes)
  size_t size = 0;       // puts: 0 .. 3 MiB
  bool stream = false;   // puts: through put_object_stream rather than put_object
};

inline constexpr int kStorageKeys = 200;

// The storage workload of seed `seed`: Next() returns operation 0, 1, 2, ...
class StorageWorkload {
 public:
  explicit StorageWorkload(uint64_t seed) : seed_(seed), rng_(seed) {}

  StorageOp Next() {
    StorageOp op;
    op.key = "k/" + std::to_string(rng_() % kStorageKeys);
    if (rng_() % 5 == 0) {
      op.is_delete = true;
    } else {
      op.version = seed_ * 1000003 + index_;
      switch (rng_() % 4) {
        case 0:
          op.size = 0;
          break;
        case 1:
          op.size = rng_() % 4096;
          break;
        case 2:
          op.size = rng_() % (64 << 10);
          break;
        default:
          op.size = rng_() % (3 << 20);
          break;
      }
      op.stream = rng_() % 2 == 0;
    }
    ++index_;
    return op;
  }

 private:
  uint64_t seed_;
  std::mt19937_64 rng_;
  uint64_t index_ = 0;
};

// The large-object workload: one object of kLargeObjectSize bytes, byte i being byte i of
// stream kLargeObjectStream (see FillStream), and one range read in its middle.
inline constexpr uint64_t kLargeObjectSize = 1ull << 30;
inline constexpr uint64_t kLargeObjectStream = 0x6B33'1A26'0B1E'C700ull;
inline constexpr uint64_t kLargeRangeFirst = 500000000;
inline constexpr uint64_t kLargeRangeLast = 500999999;

}  // namespace k3::crash

#endif  // K3_TESTS_CRASH_WORKLOAD_H_
