// pipelines/rows/utf8_repair.cc: strict UTF-8 decoding with per-byte replacement.
#include "pipelines/rows/utf8_repair.h"

#include <string_view>
#include <utility>

namespace k3::pipelines {
namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when s[i] does not start one.
size_t ValidSequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<uint8_t>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
    return 0;  // overlong
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

int64_t RepairUtf8(std::string* text) {
  const std::string_view s = *text;
  size_t i = 0;
  // Fast path: nothing to do for valid text.
  while (i < s.size()) {
    const size_t len = ValidSequenceLength(s, i);
    if (len == 0) break;
    i += len;
  }
  if (i == s.size()) return 0;
  std::string out(s.substr(0, i));
  int64_t replaced = 0;
  while (i < s.size()) {
    const size_t len = ValidSequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++replaced;
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  *text = std::move(out);
  return replaced;
}

}  // namespace k3::pipelines
