// pipelines/chunk/sentence.cc: the "sentence" chunker — sentences packed into chunks, with an
// overlap of whole trailing sentences; a sentence longer than a chunk is cut as "fixed".
#include <array>
#include <string>
#include <string_view>

#include "pipelines/chunk/text.h"

namespace k3::pipelines::chunk {
namespace {

// Words that end with '.' without ending a sentence (compared in ASCII lowercase, without
// the final '.').
constexpr std::array<std::string_view, 17> kAbbreviations = {
    "e.g", "i.e", "mr", "mrs", "ms", "dr",     "prof", "sr", "jr",
    "st",  "vs",  "cf", "fig", "al", "approx", "resp", "viz"};

bool IsTerminator(char32_t c) { return c == '.' || c == '!' || c == '?' || c == U'\u2026'; }
// Full-width terminators end a sentence even without whitespace after them.
bool IsWideTerminator(char32_t c) { return c == U'\u3002' || c == U'\uFF01' || c == U'\uFF1F'; }
bool IsCloser(char32_t c) {
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == U'\u201D' || c == U'\u2019' ||
         c == U'\u00BB';
}

// The '.' at `dot` follows an abbreviation ("e.g.", "Dr.") or a single letter (an initial).
bool IsAbbreviationDot(const CodePointText& text, int64_t begin, int64_t dot) {
  int64_t w = dot;
  while (w > begin && dot - w < 12 && !IsSpace(text.at(w - 1))) --w;
  while (w < dot && (text.at(w) == '(' || text.at(w) == '"' || text.at(w) == '\'')) ++w;
  if (w == dot) return false;
  std::string word;
  for (int64_t i = w; i < dot; ++i) {
    const char32_t c = text.at(i);
    if (c >= 0x80) return false;
    word.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  if (word.size() == 1 && word[0] >= 'a' && word[0] <= 'z') return true;
  for (std::string_view a : kAbbreviations) {
    if (word == a) return true;
  }
  return false;
}

// At a '\n' that starts a blank line (only spaces/tabs/'\r' before the next '\n').
bool StartsBlankLine(const CodePointText& text, int64_t i, int64_t end) {
  if (text.at(i) != '\n') return false;
  for (int64_t j = i + 1; j < end; ++j) {
    const char32_t c = text.at(j);
    if (c == '\n') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return false;
}

}  // namespace

std::vector<Span> SplitSentences(const CodePointText& text, Span span) {
  std::vector<Span> sentences;
  int64_t i = span.begin;
  while (true) {
    while (i < span.end && IsSpace(text.at(i))) ++i;
    if (i >= span.end) break;
    const int64_t begin = i;
    int64_t end = span.end;
    while (i < span.end) {
      const char32_t c = text.at(i);
      if (IsWideTerminator(c)) {
        ++i;
        while (i < span.end && (IsWideTerminator(text.at(i)) || IsCloser(text.at(i)))) ++i;
        end = i;
        break;
      }
      if (IsTerminator(c)) {
        int64_t j = i + 1;
        while (j < span.end && IsTerminator(text.at(j))) ++j;
        const bool single_dot = c == '.' && j == i + 1;
        while (j < span.end && IsCloser(text.at(j))) ++j;
        if ((j == span.end || IsSpace(text.at(j))) &&
            !(single_dot && IsAbbreviationDot(text, begin, i))) {
          i = j;
          end = j;
          break;
        }
        i = j;
        continue;
      }
      if (StartsBlankLine(text, i, span.end)) {
        end = i;
        break;
      }
      ++i;
    }
    if (i >= span.end) end = span.end;
    while (end > begin && IsSpace(text.at(end - 1))) --end;
    sentences.push_back({begin, end});
  }
  return sentences;
}

void ChunkSentences(Span span, int64_t size, int64_t overlap, const Metadata& metadata,
                    ChunkSink& sink) {
  const std::vector<Span> s = SplitSentences(sink.text(), span);
  const auto n = static_cast<int64_t>(s.size());
  int64_t first = 0;  // first sentence of the next chunk (may repeat earlier ones)
  int64_t fresh = 0;  // first sentence not yet in any chunk
  while (fresh < n) {
    if (first == fresh && s[fresh].size() > size) {
      ChunkFixed(s[fresh], size, overlap, metadata, sink);
      first = fresh = fresh + 1;
      continue;
    }
    int64_t k = fresh;
    while (k < n && s[k].end - s[first].begin <= size) ++k;
    sink.Add({s[first].begin, s[k - 1].end}, metadata);
    const int64_t last = k - 1;
    fresh = k;
    // Overlap: the trailing whole sentences that fit in `overlap`...
    int64_t m = k;
    while (m - 1 >= first && s[last].end - s[m - 1].begin <= overlap) --m;
    // ...but only as many as leave room for the next new sentence.
    while (m < k && k < n && s[k].end - s[m].begin > size) ++m;
    first = m;
  }
}

}  // namespace k3::pipelines::chunk
