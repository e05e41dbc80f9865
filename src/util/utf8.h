// util/utf8.h: strict UTF-8 validation (no overlongs, no surrogates, at most U+10FFFF).
#ifndef K3_UTIL_UTF8_H_
#define K3_UTIL_UTF8_H_

#include <string_view>

namespace k3::util {

bool IsValidUtf8(std::string_view s);

}  // namespace k3::util

#endif  // K3_UTIL_UTF8_H_
