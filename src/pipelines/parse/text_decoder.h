// pipelines/parse/text_decoder.h: turns an object's bytes, block by block, into valid UTF-8
// (charset transcoding, U+FFFD for invalid bytes, BOM removal, CRLF/CR → LF).
//
// Thread-safety: a TextDecoder is a value used by one thread at a time.
#ifndef K3_PIPELINES_PARSE_TEXT_DECODER_H_
#define K3_PIPELINES_PARSE_TEXT_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/status.h"

namespace k3::pipelines::parse_internal {

// The byte encodings the parsers decode themselves.
enum class Charset {
  kUtf8,         // utf-8, utf8, us-ascii, ascii, or no charset
  kWindows1252,  // iso-8859-1, latin1, l1, windows-1252, cp1252, ... (windows-1252 table)
};

// The `charset=` parameter of a full content type, lowercased and unquoted; "" if absent.
std::string CharsetParameter(std::string_view content_type);

// The Charset for a charset label ("" → kUtf8). Unknown label: INVALID_ARGUMENT
// "unsupported charset '<label>'".
Result<Charset> CharsetForLabel(std::string_view label);

// Streaming decoder. Feed blocks with Decode(), then call Finish() once; the appended output
// is valid UTF-8 in which a UTF-8 sequence is never split between calls.
class TextDecoder {
 public:
  // `normalize_newlines`: CRLF and lone CR become LF. A leading UTF-8 BOM (U+FEFF as the first
  // character of a UTF-8 stream) is always dropped.
  TextDecoder(Charset charset, bool normalize_newlines)
      : charset_(charset), normalize_newlines_(normalize_newlines) {}

  // Decodes `bytes`, appending the text to *out. Bytes of an incomplete trailing UTF-8 sequence
  // are held until the next call. Invalid UTF-8 becomes U+FFFD, one per maximal invalid
  // subpart (Unicode's "best practice"); every byte so replaced is counted.
  void Decode(std::string_view bytes, std::string* out);
  // Flushes a held incomplete sequence (as U+FFFD). Call once after the last Decode().
  void Finish(std::string* out);

  int64_t invalid_bytes() const { return invalid_bytes_; }

 private:
  void DecodeUtf8(std::string_view bytes, std::string* out);
  void DecodeWindows1252(std::string_view bytes, std::string* out);
  void PutAscii(char c, std::string* out);
  void PutReplacement(size_t bad_bytes, std::string* out);

  Charset charset_;
  bool normalize_newlines_;
  bool at_start_ = true;  // no character produced yet (BOM check)
  bool previous_cr_ = false;
  std::string carry_;  // held bytes of an incomplete UTF-8 sequence (at most 3)
  int64_t invalid_bytes_ = 0;
};

}  // namespace k3::pipelines::parse_internal

#endif  // K3_PIPELINES_PARSE_TEXT_DECODER_H_
