#include "util/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include "util/clock.h"

namespace k3::util {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct UlidState {
  std::mutex mu;
  int64_t last_ms = -1;
  std::array<uint8_t, 10> last_random{};
};

UlidState& State() {
  static UlidState state;
  return state;
}

// Adds one to the 80-bit big-endian counter; returns false on overflow.
bool Increment(std::array<uint8_t, 10>& r) {
  for (int i = 9; i >= 0; --i) {
    if (++r[i] != 0) return true;
  }
  return false;
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // the OS's CSPRNG failing is not recoverable
  }
  return out;
}

std::string NewId(std::string_view prefix) {
  std::array<uint8_t, 16> bytes{};
  {
    UlidState& st = State();
    std::lock_guard lock(st.mu);
    int64_t now = NowMs();
    if (now <= st.last_ms) {
      now = st.last_ms;
      if (!Increment(st.last_random)) ++now;  // 2^80 ids in one ms: borrow the next ms
    } else {
      std::string r = RandomBytes(10);
      std::copy(r.begin(), r.end(), st.last_random.begin());
      st.last_random[0] &= 0x7f;  // leave room to increment within the millisecond
    }
    st.last_ms = now;
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(now >> (8 * (5 - i)));
    std::copy(st.last_random.begin(), st.last_random.end(), bytes.begin() + 6);
  }
  // 128 bits -> 26 base32 digits (the first carries 3 bits).
  std::string out(prefix);
  out.push_back('_');
  unsigned __int128 v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  char digits[26];
  for (int i = 25; i >= 0; --i) {
    digits[i] = kCrockford[static_cast<int>(v & 31)];
    v >>= 5;
  }
  out.append(digits, 26);
  return out;
}

}  // namespace k3::util
