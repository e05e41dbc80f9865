// k3/types.h: small value types shared by every service (pagination, times).
// Thread-safety: plain values.
#ifndef K3_TYPES_H_
#define K3_TYPES_H_

#include <cstdint>
#include <string>

namespace k3 {

// Unix time in milliseconds: every k3 timestamp.
using TimestampMs = int64_t;

// The state of a bucket's table or vector engine. k3's embedded engines are ACTIVE once
// configured; the other states exist for K3's hosted engines.
enum class EngineStatus : int {
  kUnspecified = 0,
  kPending = 1,
  kProvisioning = 2,
  kActive = 3,
  kError = 4,
};

// The listing cursor returned with every page. An empty next_page_token means the last page.
// total_count is the number of items across all pages, or -1 when unknown.
struct Pagination {
  std::string next_page_token;
  int64_t total_count = -1;
};

// Default and maximum page sizes of listings that take page_size (0 = the default).
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

}  // namespace k3

#endif  // K3_TYPES_H_
