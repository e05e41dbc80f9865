// util/utf8.h: strict UTF-8 decoding and validation (no overlongs, no surrogates, at most
// U+10FFFF).
//
// Thread-safety: pure functions.
#ifndef K3_UTIL_UTF8_H_
#define K3_UTIL_UTF8_H_

#include <cstddef>
#include <string_view>

namespace k3::util {

// Length (1..4) of the valid UTF-8 sequence starting at s[pos], or 0 when none starts there
// (a byte that cannot lead one, a bad continuation byte, an overlong form, a surrogate, a value
// above U+10FFFF, or a sequence cut off by the end of `s`). Requires pos < s.size().
// Outputs (each may be null):
//  - *code_point: the sequence's value; set only when the result is not 0.
//  - *valid_prefix: set only when the result is 0, to the number of bytes from s[pos] that
//    begin some valid sequence (Unicode's "maximal subpart": 1..3), or 0 when s[pos] cannot
//    lead one. When pos + *valid_prefix == s.size() the sequence is only cut off by the end.
size_t DecodeUtf8(std::string_view s, size_t pos, char32_t* code_point,
                  size_t* valid_prefix = nullptr);

// Whether all of `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace k3::util

#endif  // K3_UTIL_UTF8_H_
