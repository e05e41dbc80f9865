// util/clock.h: wall-clock time in Unix milliseconds. Thread-safe.
#ifndef K3_UTIL_CLOCK_H_
#define K3_UTIL_CLOCK_H_

#include <cstdint>

namespace k3::util {

int64_t NowMs();

}  // namespace k3::util

#endif  // K3_UTIL_CLOCK_H_
