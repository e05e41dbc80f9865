// pipelines/document.h: the values that flow through a pipeline — an object's bytes in,
// parsed sections, chunks — and the limits that keep memory bounded.
//
// Offsets: `start`/`end` are counted in Unicode code points (characters) of the parsed
// document's text, i.e. the concatenation of every section's text in order. Thread-safety:
// plain values.
#ifndef K3_PIPELINES_DOCUMENT_H_
#define K3_PIPELINES_DOCUMENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "k3/status.h"
#include "k3/storage.h"

namespace k3::pipelines {

// Ordered (name, value) pairs carried from a section to its chunks and then into vector
// metadata: "page" ("1"-based), "heading" ("Intro > Setup"), "json_path" ("$.a.b[2]"),
// "language" ("cpp"). Names are unique within one list.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// Sets `name` to `value`, replacing an earlier value of that name.
void SetMetadata(Metadata& metadata, std::string name, std::string value);

// One parsed part of an object: valid UTF-8 text plus what locates it.
struct Section {
  std::string text;
  int64_t start = 0;  // code-point offset of text's first character in the document
  Metadata metadata;
};

// Receives sections in document order. An error stops parsing and is returned by the parser.
using SectionSink = std::function<Status(Section&& section)>;

// Pulls an object's bytes: fills up to `capacity` bytes of `buffer`, returns how many,
// 0 at the end. Same contract as k3::ObjectReader.
using ByteReader = ObjectReader;

// Streamed formats (text, Markdown, source code, CSV, JSON Lines) hold at most about this
// much text at once; a longer text is emitted as several sections cut at a line break.
inline constexpr size_t kMaxSectionBytes = 1 << 20;
// Whole-document formats (HTML, JSON, PDF) are refused above this size with
// RESOURCE_EXHAUSTED naming the limit.
inline constexpr size_t kMaxWholeDocumentBytes = 64 << 20;

// What a parser noticed while parsing; reported in the job's result.
struct ParseStats {
  int64_t bytes_read = 0;
  int64_t invalid_bytes_replaced = 0;  // invalid UTF-8 bytes turned into U+FFFD
  int64_t sections = 0;
  int64_t pages = 0;  // PDF only
};

// One piece of text to embed.
struct Chunk {
  std::string text;
  int64_t start = 0;  // code points, in the document
  int64_t end = 0;    // one past the last code point
  Metadata metadata;  // the section's, plus what the chunker adds ("heading")
};

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_DOCUMENT_H_
