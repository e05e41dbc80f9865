// pipelines/rows/csv_reader.h: a streaming RFC 4180 CSV reader over a ByteReader, record by
// record, for the table-row pipelines.
//
// Thread-safety: a CsvReader is thread-compatible (use it from one thread at a time).
#ifndef K3_PIPELINES_ROWS_CSV_READER_H_
#define K3_PIPELINES_ROWS_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "k3/status.h"
#include "pipelines/document.h"
#include "pipelines/rows/block_buffer.h"

namespace k3::pipelines {

// A record (its raw bytes, quotes and delimiters included) longer than this is refused.
inline constexpr size_t kMaxCsvRecordBytes = size_t{16} << 20;
// The reader pulls its input in blocks of this size.
inline constexpr size_t kCsvBlockBytes = size_t{64} << 10;

struct CsvOptions {
  // Any byte but '"', '\r' and '\n' (',' ';' '\t' '|' ...). The header row, when the caller
  // wants one, is simply the first record.
  char delimiter = ',';
};

// Reads records one at a time, holding one 64 KiB block plus the current record in memory.
//
// The grammar is RFC 4180's, made lenient where that loses nothing:
//  - A UTF-8 BOM at the very start is skipped.
//  - Records end at CRLF, LF or a lone CR; the last record may lack a line end.
//  - An empty line (between records, at the start or at the end) is skipped, not a record.
//  - A field starting with '"' is quoted: it may hold delimiters, line ends (kept as they are,
//    CRLF included) and quotes written as "". Text after the closing quote up to the next
//    delimiter or line end is kept literally ("ab"c -> abc).
//  - A quote inside an unquoted field is kept literally (ab"c -> ab"c).
//  - Fields are returned with quotes removed; no spaces are trimmed.
//  - Records may have different field counts (ragged rows are the caller's concern).
//  - Invalid UTF-8 bytes in a field become U+FFFD, one per byte, counted in
//    invalid_bytes_replaced().
class CsvReader {
 public:
  // Copies `reader` (the callable, with its state); the source it reads must outlive this.
  explicit CsvReader(const ByteReader& reader, CsvOptions options = {});

  // Reads the next record into *fields (replacing its contents; fields may not be null). Returns
  // true with a record, false at the end of the input. Errors are fatal and returned again by every
  // later call:
  //  - INVALID_ARGUMENT "line N: ..." for a quoted field still open at the end of the input
  //    (N is the line the field's opening quote is on) or a record longer than
  //    kMaxCsvRecordBytes (N is the record's first line);
  //  - INVALID_ARGUMENT naming CsvOptions.delimiter when it is '"', '\r' or '\n';
  //  - the ByteReader's own error, as it returned it; INTERNAL when it claims more bytes than
  //    it was given room for.
  Result<bool> Next(std::vector<std::string>* fields);

  // The 1-based line the last record returned by Next started on (0 before the first).
  // Line ends inside quoted fields count, so this stays exact after multi-line fields.
  int64_t record_line() const { return record_line_; }
  // Invalid UTF-8 bytes replaced by U+FFFD so far, over every record returned.
  int64_t invalid_bytes_replaced() const { return invalid_bytes_replaced_; }
  // Bytes pulled from the ByteReader so far.
  int64_t bytes_read() const { return in_.bytes_read; }

 private:
  static constexpr int kEnd = -1;
  static constexpr int kError = -2;

  // Reads the next block once every buffered byte is consumed (see FillBlock).
  Status Fill();
  // The next byte (0..255) without consuming it, kEnd at the end of input, kError after a
  // reader error (kept in error_).
  int Peek();
  // Consumes the byte Peek returned, counting it against the record's size.
  bool Advance();
  // Consumes the line end whose first byte ('\r' or '\n') Peek returned; appends it to *out
  // when out is not null.
  bool ConsumeLineEnd(int first, std::string* out);
  Status StartInput();
  Result<bool> ReadRecord(std::vector<std::string>* fields);

  ByteReader reader_;
  CsvOptions options_;
  rows_internal::BlockBuffer in_;
  bool started_ = false;
  bool done_ = false;
  Status error_;
  int64_t line_ = 1;  // the line the next byte is on
  int64_t record_line_ = 0;
  size_t record_bytes_ = 0;
  int64_t invalid_bytes_replaced_ = 0;
};

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_ROWS_CSV_READER_H_
