// pipelines/rows/block_buffer.h: the block buffer the row readers pull a ByteReader's bytes
// into.
//
// Thread-safety: a BlockBuffer is thread-compatible; the functions use the reader from the
// calling thread only.
#ifndef K3_PIPELINES_ROWS_BLOCK_BUFFER_H_
#define K3_PIPELINES_ROWS_BLOCK_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines::rows_internal {

// bytes[pos, end) are read and not yet consumed.
struct BlockBuffer {
  explicit BlockBuffer(size_t block_bytes) : bytes(block_bytes) {}

  std::vector<char> bytes;
  size_t pos = 0;
  size_t end = 0;
  bool input_ended = false;  // the reader has returned 0
  int64_t bytes_read = 0;    // everything pulled from the reader so far
};

// Reads once from `reader` into in->bytes[offset..] (offset < in->bytes.size()) and returns
// how many bytes it gave, adding them to in->bytes_read; 0 sets in->input_ended. Leaves
// in->pos and in->end alone. Errors: the reader's, as it returned it; INTERNAL starting with
// `reader_name` when `reader` is empty or claims more bytes than there was room for.
inline Result<size_t> ReadInto(const ByteReader& reader, std::string_view reader_name,
                               size_t offset, BlockBuffer* in) {
  if (!reader) return Internal(std::string(reader_name) + ": no ByteReader given");
  const size_t room = in->bytes.size() - offset;
  Result<size_t> n = reader(in->bytes.data() + offset, room);
  if (!n.ok()) return n.status();
  if (*n > room) {
    return Internal(std::string(reader_name) + ": the ByteReader returned " + std::to_string(*n) +
                    " bytes for a buffer of " + std::to_string(room));
  }
  if (*n == 0) in->input_ended = true;
  in->bytes_read += static_cast<int64_t>(*n);
  return *n;
}

// When every buffered byte is consumed and the input has not ended, reads until a block
// arrives (pos = 0, end = its size) or the input ends. Errors: as ReadInto.
inline Status FillBlock(const ByteReader& reader, std::string_view reader_name, BlockBuffer* in) {
  while (in->pos == in->end && !in->input_ended) {
    Result<size_t> n = ReadInto(reader, reader_name, 0, in);
    if (!n.ok()) return n.status();
    if (*n != 0) {
      in->pos = 0;
      in->end = *n;
    }
  }
  return Status();
}

// Reads, appending after in->end, until at least `min_bytes` (<= in->bytes.size()) are
// buffered or the input ends, however few bytes each read gives. Errors: as ReadInto.
inline Status FillAtLeast(const ByteReader& reader, std::string_view reader_name, size_t min_bytes,
                          BlockBuffer* in) {
  while (in->end < min_bytes && !in->input_ended) {
    Result<size_t> n = ReadInto(reader, reader_name, in->end, in);
    if (!n.ok()) return n.status();
    in->end += *n;
  }
  return Status();
}

}  // namespace k3::pipelines::rows_internal

#endif  // K3_PIPELINES_ROWS_BLOCK_BUFFER_H_
