// pipelines/chunk/chunker.h: splits parsed sections into chunks (pieces of text to embed) with
// one of four strategies — fixed windows, sentences, Markdown headings, source-code blocks.
//
// Offsets are code points (see pipelines/document.h). Every chunk's text is exactly the
// document's characters [start, end): chunkers trim whitespace by moving start/end, never by
// editing text. Thread-safety: pure functions of their arguments; call from any thread.
#ifndef K3_PIPELINES_CHUNK_CHUNKER_H_
#define K3_PIPELINES_CHUNK_CHUNKER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines {

enum class ChunkerKind { kFixed, kSentence, kMarkdown, kCode };

// "fixed" | "sentence" | "markdown" | "code" (exact, lowercase). Anything else:
// INVALID_ARGUMENT naming the value and listing the accepted names.
Result<ChunkerKind> ChunkerFromName(std::string_view name);

// The name ChunkerFromName accepts for `kind` ("fixed", ...).
std::string_view ChunkerName(ChunkerKind kind);

// Largest accepted chunk_size.
inline constexpr int64_t kMaxChunkSize = 1'000'000;

struct ChunkOptions {
  ChunkerKind kind = ChunkerKind::kFixed;
  int64_t chunk_size = 1000;    // characters (code points), 1..kMaxChunkSize
  int64_t chunk_overlap = 100;  // characters, 0 <= overlap < chunk_size; ignored by "code"
};

// OK, or INVALID_ARGUMENT naming the option ("chunk_size", "chunk_overlap") and its value
// when chunk_size < 1 or > kMaxChunkSize, or chunk_overlap < 0 or >= chunk_size.
Status ValidateChunkOptions(const ChunkOptions& options);

// Splits one section into chunks, in document order (starts strictly increasing).
//
// Requires: ValidateChunkOptions(options).ok(); section.text valid UTF-8 (an invalid byte is
// counted as one character, so nothing crashes, but offsets then disagree with the parser's).
// Every chunk: non-empty text with no leading/trailing whitespace (the code chunker keeps the
// first line's indentation), never splitting a UTF-8 sequence, at most chunk_size code points
// (all four chunkers); start/end = section.start + code-point offsets in the section, end
// exclusive; metadata = section.metadata plus, for "markdown", "heading" (the heading path,
// "A > B > C"). Every non-whitespace character of the section is in at least one chunk.
//   fixed:    windows of chunk_size advancing by about chunk_size - chunk_overlap; a window
//             ends at the last whitespace of its final 20% when there is one, and the next one
//             starts at end - overlap moved forward to a word start within the overlap.
//   sentence: whole sentences packed up to chunk_size; the next chunk repeats the trailing
//             whole sentences that fit in chunk_overlap. Sentences end at . ! ? … (followed
//             by whitespace or the end; not after e.g., i.e., Mr., Dr., ... nor in 3.14), at
//             。！？, and at blank lines. A sentence longer than chunk_size is cut as "fixed".
//   markdown: parts start at ATX headings (outside ``` and ~~~ fences); a part longer than
//             chunk_size is cut as "sentence"; parts are never merged.
//   code:     top-level blocks (a blank line at bracket depth 0 followed by an unindented
//             line ends a block) packed up to chunk_size; larger blocks cut at line breaks.
// Linear in the section's size (times chunk_size / (chunk_size - chunk_overlap)).
std::vector<Chunk> ChunkSection(const Section& section, const ChunkOptions& options);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_CHUNK_CHUNKER_H_
