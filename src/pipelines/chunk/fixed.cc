// pipelines/chunk/fixed.cc: the "fixed" chunker — windows of chunk_size characters that prefer
// to end at whitespace and overlap by about chunk_overlap characters, starting at a word.
#include <algorithm>

#include "pipelines/chunk/text.h"

namespace k3::pipelines::chunk {

void ChunkFixed(Span span, int64_t size, int64_t overlap, const Metadata& metadata,
                ChunkSink& sink) {
  const CodePointText& text = sink.text();
  const int64_t slack = size / 5;  // the final 20% of a window, where we look for whitespace
  int64_t pos = span.begin;
  while (true) {
    while (pos < span.end && IsSpace(text.at(pos))) ++pos;
    if (pos >= span.end) return;
    int64_t end = std::min(pos + size, span.end);
    if (end < span.end) {
      // Cut at the last whitespace in [end - slack, end]; text.at(end) is the character
      // just after the window, so a cut there splits nothing.
      for (int64_t k = end; k >= end - slack && k > pos; --k) {
        if (IsSpace(text.at(k))) {
          end = k;
          break;
        }
      }
    }
    sink.Add({pos, end}, metadata);
    if (end >= span.end) return;
    int64_t next = end - overlap;
    if (overlap > 0) {
      // Forward to the first word start within the overlap, if there is one.
      for (int64_t j = std::max(next, span.begin + 1); j < end; ++j) {
        if (IsSpace(text.at(j - 1)) && !IsSpace(text.at(j))) {
          next = j;
          break;
        }
      }
    }
    pos = std::max(next, pos + 1);  // always progress
  }
}

}  // namespace k3::pipelines::chunk
