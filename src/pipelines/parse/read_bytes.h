// pipelines/parse/read_bytes.h: pulling an object's bytes from a ByteReader, in blocks or whole
// (bounded by kMaxWholeDocumentBytes).
//
// Thread-safety: free functions; the reader is used by the calling thread only.
#ifndef K3_PIPELINES_PARSE_READ_BYTES_H_
#define K3_PIPELINES_PARSE_READ_BYTES_H_

#include <functional>
#include <string>
#include <string_view>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines::parse_internal {

// The size of the blocks streamed parsers read.
inline constexpr size_t kReadBlockBytes = 256 << 10;

// Calls `consume` with each block `reader` yields (never empty) until the reader returns 0,
// adding to stats->bytes_read (`stats` may be null). Errors: the reader's or consume's error;
// INTERNAL if the reader claims more bytes than the buffer holds.
Status ReadBlocks(const ByteReader& reader, ParseStats* stats,
                  const std::function<Status(std::string_view)>& consume);

// Reads everything into memory. Errors: the reader's; RESOURCE_EXHAUSTED naming `format` and
// the limit when there are more than kMaxWholeDocumentBytes bytes.
Result<std::string> ReadWhole(const ByteReader& reader, ParseStats* stats, std::string_view format);

}  // namespace k3::pipelines::parse_internal

#endif  // K3_PIPELINES_PARSE_READ_BYTES_H_
