// pipelines/rows/utf8_repair.h: makes row text valid UTF-8 by replacing invalid bytes.
// Thread-safety: pure function.
#ifndef K3_PIPELINES_ROWS_UTF8_REPAIR_H_
#define K3_PIPELINES_ROWS_UTF8_REPAIR_H_

#include <cstdint>
#include <string>

namespace k3::pipelines {

// Replaces, in place, every byte of `text` that is not part of a valid UTF-8 sequence (strict:
// no overlongs, no surrogates, at most U+10FFFF) by U+FFFD, one U+FFFD per invalid byte.
// Returns how many bytes were replaced (0 leaves `text` untouched).
int64_t RepairUtf8(std::string* text);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_ROWS_UTF8_REPAIR_H_
