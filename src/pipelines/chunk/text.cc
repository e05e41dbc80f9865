// pipelines/chunk/text.cc: code-point indexing, whitespace and the chunk sink.
#include "pipelines/chunk/text.h"

#include "util/utf8.h"

namespace k3::pipelines::chunk {

CodePointText::CodePointText(std::string_view utf8) : bytes_(utf8) {
  chars_.reserve(utf8.size());
  offsets_.reserve(utf8.size() + 1);
  size_t i = 0;
  const size_t n = utf8.size();
  while (i < n) {
    offsets_.push_back(i);
    char32_t cp;
    size_t len = util::DecodeUtf8(utf8, i, &cp);
    if (len == 0) {
      len = 1;
      cp = 0xFFFD;
    }
    chars_.push_back(cp);
    i += len;
  }
  offsets_.push_back(n);
}

bool IsSpace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

void ChunkSink::Add(Span span, const Metadata& metadata) {
  int64_t begin = span.begin;
  int64_t end = span.end;
  while (begin < end && IsSpace(text_.at(begin))) ++begin;
  while (end > begin && IsSpace(text_.at(end - 1))) --end;
  Append(begin, end, metadata);
}

void ChunkSink::AddKeepingIndent(Span span, const Metadata& metadata) {
  int64_t begin = span.begin;
  int64_t end = span.end;
  while (begin < end && IsSpace(text_.at(begin))) ++begin;
  while (end > begin && IsSpace(text_.at(end - 1))) --end;
  if (begin == end) return;
  while (begin > span.begin && (text_.at(begin - 1) == ' ' || text_.at(begin - 1) == '\t')) {
    --begin;
  }
  Append(begin, end, metadata);
}

void ChunkSink::Append(int64_t begin, int64_t end, const Metadata& metadata) {
  if (begin >= end) return;
  Chunk chunk;
  chunk.text = std::string(text_.Slice(begin, end));
  chunk.start = section_.start + begin;
  chunk.end = section_.start + end;
  chunk.metadata = metadata;
  out_->push_back(std::move(chunk));
}

}  // namespace k3::pipelines::chunk
