// pipelines/chunk/code.cc: the "code" chunker — top-level blocks of source code packed into
// chunks; a block larger than a chunk is cut at line breaks (a huge line as "fixed").
//
// A small lexer tracks the (){}[] depth, ignoring brackets inside "..." '...' """...""" strings
// and //, #, /* */ comments. A top-level block ends at a blank line where the depth is 0 (and no
// comment or string is open) and the next non-blank line is not indented — which is how both
// brace languages and Python-like ones lay out top-level definitions.
#include <algorithm>
#include <vector>

#include "pipelines/chunk/text.h"

namespace k3::pipelines::chunk {
namespace {

struct Line {
  int64_t begin = 0;
  int64_t end = 0;  // excludes the '\n'
  bool blank = false;
  bool indented = false;
  bool top_level = false;  // depth 0 and no open comment/string at the line's start
  int64_t cut_cost = 0;    // depth at the line's start; higher inside a comment or string
};

enum class Mode { kNormal, kLineComment, kBlockComment, kString, kTripleString };

std::vector<Line> LexLines(const CodePointText& text, Span span) {
  std::vector<Line> lines;
  int64_t newlines = 0;
  for (int64_t i = span.begin; i < span.end; ++i) newlines += text.at(i) == '\n';
  lines.reserve(static_cast<size_t>(newlines) + 1);
  Mode mode = Mode::kNormal;
  char32_t quote = 0;
  int64_t depth = 0;
  int64_t i = span.begin;
  while (i < span.end) {
    Line line;
    line.begin = i;
    line.top_level = mode == Mode::kNormal && depth == 0;
    line.cut_cost = mode == Mode::kNormal ? depth : depth + (int64_t{1} << 40);
    line.indented = text.at(i) == ' ' || text.at(i) == '\t';
    line.blank = true;
    while (i < span.end && text.at(i) != '\n') {
      const char32_t c = text.at(i);
      const char32_t next = i + 1 < span.end ? text.at(i + 1) : 0;
      if (!IsSpace(c)) line.blank = false;
      switch (mode) {
        case Mode::kNormal:
          if ((c == '/' && next == '/') || c == '#') {
            mode = Mode::kLineComment;
          } else if (c == '/' && next == '*') {
            mode = Mode::kBlockComment;
            ++i;
          } else if (c == '"' || c == '\'') {
            quote = c;
            if (next == c && i + 2 < span.end && text.at(i + 2) == c) {
              mode = Mode::kTripleString;
              i += 2;
            } else {
              mode = Mode::kString;
            }
          } else if (c == '(' || c == '[' || c == '{') {
            ++depth;
          } else if (c == ')' || c == ']' || c == '}') {
            depth = std::max<int64_t>(0, depth - 1);
          }
          break;
        case Mode::kLineComment:
          break;
        case Mode::kBlockComment:
          if (c == '*' && next == '/') {
            mode = Mode::kNormal;
            ++i;
          }
          break;
        case Mode::kString:
          if (c == '\\' && next != '\n') {
            ++i;
          } else if (c == quote) {
            mode = Mode::kNormal;
          }
          break;
        case Mode::kTripleString:
          if (c == '\\' && next != '\n') {
            ++i;
          } else if (c == quote && next == quote && i + 2 < span.end && text.at(i + 2) == quote) {
            mode = Mode::kNormal;
            i += 2;
          }
          break;
      }
      ++i;
    }
    i = std::min(i, span.end);
    line.end = i;
    if (mode == Mode::kLineComment || mode == Mode::kString) mode = Mode::kNormal;
    lines.push_back(line);
    if (i < span.end) ++i;  // the '\n'
  }
  return lines;
}

// Cuts lines [first, last) of one block, each chunk at most `size`, at line breaks; prefers
// to cut at the blank line of least depth (the last of those), so that nested blocks such as
// the functions of a namespace stay whole when they fit.
void SplitBlock(const std::vector<Line>& lines, size_t first, size_t last, int64_t size,
                ChunkSink& sink) {
  size_t l = first;
  while (l < last) {
    while (l < last && lines[l].blank) ++l;
    if (l == last) return;
    const int64_t begin = lines[l].begin;
    if (lines[l].end - begin > size) {
      ChunkFixed({lines[l].begin, lines[l].end}, size, 0, sink.section_metadata(), sink);
      ++l;
      continue;
    }
    size_t m = l;
    size_t blank_cut = 0;  // 0: none (l itself is never blank)
    while (m + 1 < last && lines[m + 1].end - begin <= size) {
      ++m;
      if (lines[m].blank && (blank_cut == 0 || lines[m].cut_cost <= lines[blank_cut].cut_cost)) {
        blank_cut = m;
      }
    }
    if (m + 1 < last && blank_cut > l) m = blank_cut - 1;
    sink.AddKeepingIndent({begin, lines[m].end}, sink.section_metadata());
    l = m + 1;
  }
}

}  // namespace

void ChunkCode(Span span, int64_t size, ChunkSink& sink) {
  const std::vector<Line> lines = LexLines(sink.text(), span);
  const Metadata& metadata = sink.section_metadata();
  // Packed blocks waiting to be emitted: lines [pack_first, pack_last).
  bool packing = false;
  int64_t pack_begin = 0;
  int64_t pack_end = 0;
  auto flush = [&] {
    if (packing) sink.AddKeepingIndent({pack_begin, pack_end}, metadata);
    packing = false;
  };
  size_t l = 0;
  while (l < lines.size()) {
    while (l < lines.size() && lines[l].blank) ++l;
    if (l == lines.size()) break;
    // The block: up to a top-level blank line followed by an unindented line.
    const size_t first = l;
    size_t last_text = l;  // last non-blank line of the block
    size_t k = l + 1;
    while (k < lines.size()) {
      if (!lines[k].blank) {
        last_text = k;
        ++k;
        continue;
      }
      size_t after = k;
      while (after < lines.size() && lines[after].blank) ++after;
      if (after == lines.size()) break;
      if (lines[k].top_level && !lines[after].indented) break;
      k = after;
    }
    const int64_t begin = lines[first].begin;
    const int64_t end = lines[last_text].end;
    if (end - begin > size) {
      flush();
      SplitBlock(lines, first, last_text + 1, size, sink);
    } else if (packing && end - pack_begin <= size) {
      pack_end = end;
    } else {
      flush();
      packing = true;
      pack_begin = begin;
      pack_end = end;
    }
    l = last_text + 1;
  }
  flush();
}

}  // namespace k3::pipelines::chunk
