#include "util/utf8.h"

#include <cstdint>

namespace k3::util {
namespace {

// The length of the sequence `lead` starts, or 0 when it cannot start one (continuation
// bytes, C0/C1 (always overlong), F5..FF (above U+10FFFF)).
size_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `b` may follow `lead` as the second byte (excludes overlongs, surrogates and values
// above U+10FFFF).
bool ValidSecond(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0:
      return b >= 0xA0 && b <= 0xBF;
    case 0xED:
      return b >= 0x80 && b <= 0x9F;
    case 0xF0:
      return b >= 0x90 && b <= 0xBF;
    case 0xF4:
      return b >= 0x80 && b <= 0x8F;
    default:
      return b >= 0x80 && b <= 0xBF;
  }
}

}  // namespace

size_t DecodeUtf8(std::string_view s, size_t pos, char32_t* code_point, size_t* valid_prefix) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  const size_t len = SequenceLength(lead);
  if (len == 1) {
    if (code_point != nullptr) *code_point = lead;
    return 1;
  }
  size_t valid = len == 0 ? 0 : 1;
  char32_t cp = lead & (0x7F >> len);
  while (valid < len && pos + valid < s.size()) {
    const auto b = static_cast<uint8_t>(s[pos + valid]);
    if (valid == 1 ? !ValidSecond(lead, b) : (b & 0xC0) != 0x80) break;
    cp = cp << 6 | (b & 0x3F);
    ++valid;
  }
  if (len != 0 && valid == len) {
    if (code_point != nullptr) *code_point = cp;
    return len;
  }
  if (valid_prefix != nullptr) *valid_prefix = valid;
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = DecodeUtf8(s, i, nullptr);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace k3::util
