// pipelines/parse/sections.h: hands sections to the sink with continuous code-point offsets,
// cutting texts longer than kMaxSectionBytes, and accumulating streamed text into sections.
//
// Thread-safety: values used by one thread at a time.
#ifndef K3_PIPELINES_PARSE_SECTIONS_H_
#define K3_PIPELINES_PARSE_SECTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines::parse_internal {

// The number of code points in valid UTF-8 `text`.
int64_t CodePointCount(std::string_view text);

// Whether `text` has only ASCII whitespace (or nothing).
bool IsBlank(std::string_view text);

// Where to cut valid UTF-8 `text`, longer than `max_bytes`, so that the first part has at most
// `max_bytes` bytes: just after the last line break within them, else after the last space or
// tab, else at the last UTF-8 character boundary. Always in [1, max_bytes] (max_bytes >= 4).
size_t CutPoint(std::string_view text, size_t max_bytes);

// Gives sections to a sink, in order, setting Section.start and counting stats->sections.
class SectionEmitter {
 public:
  // `sink` must outlive the emitter; `stats` may be null.
  SectionEmitter(const SectionSink& sink, ParseStats* stats) : sink_(sink), stats_(stats) {}

  // Emits `text` (valid UTF-8) with `metadata`, as several sections cut by CutPoint if it is
  // longer than kMaxSectionBytes. Blank text (or blank parts) is skipped. Returns the sink's
  // first error.
  Status Emit(std::string text, const Metadata& metadata);

 private:
  Status EmitOne(std::string text, const Metadata& metadata);

  const SectionSink& sink_;
  ParseStats* stats_;
  int64_t next_start_ = 0;
};

// Accumulates streamed text; emits a section whenever more than kMaxSectionBytes are pending
// (cut by CutPoint), and the rest on Flush(). Memory: at most kMaxSectionBytes plus the last
// appended piece.
class StreamingSectioner {
 public:
  explicit StreamingSectioner(SectionEmitter* emitter) : emitter_(emitter) {}

  // Metadata for sections emitted from now on (Flush() first to close the current section).
  void set_metadata(Metadata metadata) { metadata_ = std::move(metadata); }
  Status Append(std::string_view text);
  // Emits all pending text as one section (nothing if blank).
  Status Flush();
  size_t pending_bytes() const { return pending_.size(); }

 private:
  SectionEmitter* emitter_;
  Metadata metadata_;
  std::string pending_;
};

}  // namespace k3::pipelines::parse_internal

#endif  // K3_PIPELINES_PARSE_SECTIONS_H_
