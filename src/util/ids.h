// util/ids.h: identifiers of the form <prefix>_<26 Crockford base32 chars> (a ULID: 48 bits
// of milliseconds then 80 random bits). Ids from one process sort by creation time, also
// within one millisecond. Thread-safe.
#ifndef K3_UTIL_IDS_H_
#define K3_UTIL_IDS_H_

#include <string>
#include <string_view>

namespace k3::util {

// NewId("job") == "job_01J..."; the prefix must be non-empty.
std::string NewId(std::string_view prefix);

// 16 random bytes from the OS's CSPRNG (for blob ids and tokens).
std::string RandomBytes(size_t n);

}  // namespace k3::util

#endif  // K3_UTIL_IDS_H_
