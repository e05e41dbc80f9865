// pipelines/rows/json_rows_reader.h: reads table rows from JSON Lines (streamed, one object per
// line) or from one JSON array of objects (a whole-document format).
//
// Thread-safety: a JsonRowsReader is thread-compatible (use it from one thread at a time).
#ifndef K3_PIPELINES_ROWS_JSON_ROWS_READER_H_
#define K3_PIPELINES_ROWS_JSON_ROWS_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "k3/status.h"
#include "pipelines/document.h"
#include "pipelines/rows/block_buffer.h"

namespace k3::pipelines {

// A JSON Lines line longer than this is a per-row error (the line is skipped without being
// held in memory).
inline constexpr size_t kMaxJsonLineBytes = size_t{16} << 20;
// Arrays and objects nested deeper than this are refused (a per-row error for a line, fatal
// for a whole array), which keeps every later recursive walk of a row's value bounded.
inline constexpr int kMaxJsonRowDepth = 512;

class JsonRowsReader {
 public:
  // Copies `reader` (the callable, with its state); the source it reads must outlive this.
  explicit JsonRowsReader(const ByteReader& reader);

  // Reads the next row into *row and sets *row_error to OK, or (a per-row error) sets
  // *row_error and leaves *row null (neither pointer may be null). Returns true for a row or a
  // per-row error, false at the end of the input.
  //
  // A UTF-8 BOM at the start is skipped. If the first other non-whitespace byte is '[', the
  // whole input is one JSON array, read and parsed at once: over kMaxWholeDocumentBytes ->
  // RESOURCE_EXHAUSTED; not valid JSON (or nested deeper than kMaxJsonRowDepth) ->
  // INVALID_ARGUMENT naming the 0-based byte offset in the input; both fatal. Each element is a
  // row; an element that is not an object is a per-row error INVALID_ARGUMENT "element N: ..." (N
  // 1-based). Otherwise the input is JSON Lines, read line by line (LF or CRLF); blank lines are
  // skipped; a line that is not valid JSON, not an object, too long or too deep is a per-row error
  // INVALID_ARGUMENT "line N: ...", and reading continues with the next line.
  // Fatal errors (the ByteReader's own, returned as is, and the ones above) are returned by
  // this and every later call.
  Result<bool> Next(nlohmann::json* row, Status* row_error);

  // The 1-based line (JSON Lines) or element index + 1 (array) of the last row or per-row
  // error returned; 0 before the first.
  int64_t line() const { return line_; }
  // Whether the input turned out to be one JSON array (valid after the first Next).
  bool is_array() const { return mode_ == Mode::kArray; }
  int64_t bytes_read() const { return in_.bytes_read; }

 private:
  enum class Mode { kUnknown, kLines, kArray, kDone };

  // Reads the next block once every buffered byte is consumed (see FillBlock).
  Status Fill();
  Status Start();
  // Reads the rest of the input (starting with the '[' at input offset start_offset) and
  // parses it.
  Status LoadArray(int64_t start_offset);
  Result<bool> NextLine(nlohmann::json* row, Status* row_error);

  ByteReader reader_;
  rows_internal::BlockBuffer in_;
  Mode mode_ = Mode::kUnknown;
  Status error_;
  int64_t line_ = 0;
  int64_t next_line_ = 1;  // JSON Lines: the line the next byte is on
  std::string line_buffer_;
  nlohmann::json array_;
  size_t next_element_ = 0;
};

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_ROWS_JSON_ROWS_READER_H_
