// pipelines/chunk/text.h: internals shared by the chunkers — a section's text indexed by code
// point, whitespace, and the sink that trims ranges into chunks.
// Thread-safety: CodePointText is immutable after construction; ChunkSink is single-threaded.
#ifndef K3_PIPELINES_CHUNK_TEXT_H_
#define K3_PIPELINES_CHUNK_TEXT_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "pipelines/document.h"

namespace k3::pipelines::chunk {

// A half-open range [begin, end) of code-point indices into a CodePointText.
struct Span {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// UTF-8 text decoded once: code point i and the bytes of any range in O(1). An invalid byte
// is taken as one code point U+FFFD (callers pass valid UTF-8; this only keeps us safe).
// Does not copy `utf8`, which must outlive this object.
class CodePointText {
 public:
  explicit CodePointText(std::string_view utf8);

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  char32_t at(int64_t i) const { return chars_[static_cast<size_t>(i)]; }
  // The bytes of code points [begin, end); 0 <= begin <= end <= size().
  std::string_view Slice(int64_t begin, int64_t end) const {
    return bytes_.substr(offsets_[begin], offsets_[end] - offsets_[begin]);
  }

 private:
  std::string_view bytes_;
  std::vector<char32_t> chars_;
  std::vector<size_t> offsets_;  // byte offset of code point i; offsets_[size()] = bytes size
};

// Unicode White_Space (ASCII spaces, NEL, NBSP, U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000).
bool IsSpace(char32_t c);

// Collects chunks of one section: trims each range of whitespace, drops empty ones, turns
// section offsets into document offsets and attaches metadata.
class ChunkSink {
 public:
  // `text` and `section` must outlive the sink; chunks are appended to *out.
  ChunkSink(const CodePointText& text, const Section& section, std::vector<Chunk>* out)
      : text_(text), section_(section), out_(out) {}

  const CodePointText& text() const { return text_; }
  const Metadata& section_metadata() const { return section_.metadata; }

  // Adds [span.begin, span.end) trimmed of all surrounding whitespace, with `metadata`.
  void Add(Span span, const Metadata& metadata);
  // Like Add, but keeps the indentation (spaces and tabs) of the first non-blank line.
  void AddKeepingIndent(Span span, const Metadata& metadata);

 private:
  void Append(int64_t begin, int64_t end, const Metadata& metadata);

  const CodePointText& text_;
  const Section& section_;
  std::vector<Chunk>* out_;
};

// The strategies. Each chunks `span` of sink.text() into `sink` with `metadata`; options are
// valid (ValidateChunkOptions). Defined in fixed.cc, sentence.cc, markdown.cc and code.cc.
void ChunkFixed(Span span, int64_t size, int64_t overlap, const Metadata& metadata,
                ChunkSink& sink);
void ChunkSentences(Span span, int64_t size, int64_t overlap, const Metadata& metadata,
                    ChunkSink& sink);
void ChunkMarkdown(Span span, int64_t size, int64_t overlap, ChunkSink& sink);
void ChunkCode(Span span, int64_t size, ChunkSink& sink);

// Sentences of `span`, in order, each trimmed of whitespace (exposed for tests).
std::vector<Span> SplitSentences(const CodePointText& text, Span span);

}  // namespace k3::pipelines::chunk

#endif  // K3_PIPELINES_CHUNK_TEXT_H_
