// pipelines/rows/utf8_repair.cc: strict UTF-8 decoding with per-byte replacement.
#include "pipelines/rows/utf8_repair.h"

#include <string_view>
#include <utility>

#include "util/utf8.h"

namespace k3::pipelines {

int64_t RepairUtf8(std::string* text) {
  const std::string_view s = *text;
  size_t i = 0;
  // Fast path: nothing to do for valid text.
  while (i < s.size()) {
    const size_t len = util::DecodeUtf8(s, i, nullptr);
    if (len == 0) break;
    i += len;
  }
  if (i == s.size()) return 0;
  std::string out(s.substr(0, i));
  int64_t replaced = 0;
  while (i < s.size()) {
    const size_t len = util::DecodeUtf8(s, i, nullptr);
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
