#include "util/clock.h"

#include <chrono>

namespace k3::util {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace k3::util
