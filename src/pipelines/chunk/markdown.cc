// pipelines/chunk/markdown.cc: the "markdown" chunker — one part per ATX heading (outside
// fenced code), labelled with its heading path; long parts are cut as "sentence".
#include <string>
#include <vector>

#include "pipelines/chunk/text.h"

namespace k3::pipelines::chunk {
namespace {

constexpr std::string_view kPathSeparator = " > ";

struct Heading {
  int64_t line_begin = 0;
  int level = 0;
  std::string text;
};

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += kPathSeparator;
    out += p;
  }
  return out;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t from = 0;
  while (true) {
    const size_t at = path.find(kPathSeparator, from);
    parts.push_back(path.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + kPathSeparator.size();
  }
  return parts;
}

// Finds the ATX headings of [span.begin, span.end) that are outside ``` / ~~~ fences.
std::vector<Heading> FindHeadings(const CodePointText& text, Span span) {
  std::vector<Heading> headings;
  char32_t fence_char = 0;  // 0: not in a fence
  int64_t fence_len = 0;
  int64_t line = span.begin;
  while (line < span.end) {
    int64_t eol = line;
    while (eol < span.end && text.at(eol) != '\n') ++eol;
    int64_t p = line;
    while (p < eol && p - line < 3 && text.at(p) == ' ') ++p;
    const char32_t c = p < eol ? text.at(p) : 0;
    int64_t run = 0;
    while (p + run < eol && text.at(p + run) == c) ++run;
    if (fence_char != 0) {
      if (c == fence_char && run >= fence_len) {
        int64_t q = p + run;
        while (q < eol && IsSpace(text.at(q))) ++q;
        if (q == eol) fence_char = 0;
      }
    } else if ((c == '`' || c == '~') && run >= 3) {
      fence_char = c;
      fence_len = run;
    } else if (c == '#' && run <= 6 &&
               (p + run == eol || text.at(p + run) == ' ' || text.at(p + run) == '\t' ||
                text.at(p + run) == '\r')) {
      int64_t b = p + run;
      int64_t e = eol;
      while (b < e && IsSpace(text.at(b))) ++b;
      while (e > b && IsSpace(text.at(e - 1))) --e;
      // An optional closing sequence of '#', preceded by a space or alone.
      int64_t h = e;
      while (h > b && text.at(h - 1) == '#') --h;
      if (h == b || text.at(h - 1) == ' ' || text.at(h - 1) == '\t') {
        e = h;
        while (e > b && IsSpace(text.at(e - 1))) --e;
      }
      headings.push_back({line, static_cast<int>(run), std::string(text.Slice(b, e))});
    }
    line = eol + 1;
  }
  return headings;
}

}  // namespace

void ChunkMarkdown(Span span, int64_t size, int64_t overlap, ChunkSink& sink) {
  const CodePointText& text = sink.text();
  const std::vector<Heading> headings = FindHeadings(text, span);

  // The path above this section, from a parser that already cut at headings.
  std::vector<std::string> prefix;
  for (const auto& [name, value] : sink.section_metadata()) {
    if (name == "heading" && !value.empty()) prefix = SplitPath(value);
  }
  int64_t first_text = span.begin;
  while (first_text < span.end && IsSpace(text.at(first_text))) ++first_text;
  const bool starts_with_heading = !headings.empty() && first_text < span.end &&
                                   first_text >= headings[0].line_begin &&
                                   first_text - headings[0].line_begin <= 3;
  if (starts_with_heading && !prefix.empty() && prefix.back() == headings[0].text) {
    prefix.pop_back();  // the section's own heading comes back from the stack below
  }

  auto emit = [&](Span part, const std::vector<std::string>& path) {
    Metadata metadata = sink.section_metadata();
    const std::string joined = Join(path);
    if (!joined.empty()) SetMetadata(metadata, "heading", joined);
    if (part.size() <= size) {
      sink.Add(part, metadata);
    } else {
      ChunkSentences(part, size, overlap, metadata, sink);
    }
  };

  const int64_t preamble_end = headings.empty() ? span.end : headings[0].line_begin;
  emit({span.begin, preamble_end}, prefix);
  std::vector<std::pair<int, std::string>> stack;  // (level, text)
  for (size_t i = 0; i < headings.size(); ++i) {
    while (!stack.empty() && stack.back().first >= headings[i].level) stack.pop_back();
    stack.emplace_back(headings[i].level, headings[i].text);
    std::vector<std::string> path = prefix;
    for (const auto& entry : stack) path.push_back(entry.second);
    const int64_t end = i + 1 < headings.size() ? headings[i + 1].line_begin : span.end;
    emit({headings[i].line_begin, end}, path);
  }
}

}  // namespace k3::pipelines::chunk
