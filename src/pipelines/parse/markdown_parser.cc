// pipelines/parse/markdown_parser.cc: Markdown, streamed line by line; a section starts at each
// ATX heading outside fenced code and carries the heading path ("Title > Section > Sub").
#include <array>
#include <string>

#include "pipelines/parse/formats.h"
#include "pipelines/parse/read_bytes.h"
#include "pipelines/parse/sections.h"
#include "pipelines/parse/text_decoder.h"

namespace k3::pipelines::parse_internal {
namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Removes up to three leading spaces (CommonMark's block indentation); false if there are more.
bool StripBlockIndent(std::string_view* line) {
  size_t spaces = 0;
  while (spaces < line->size() && (*line)[spaces] == ' ') ++spaces;
  if (spaces > 3) return false;
  line->remove_prefix(spaces);
  return true;
}

// Splits decoded text into lines and feeds them, as sections, to a StreamingSectioner.
class MarkdownSectioner {
 public:
  explicit MarkdownSectioner(SectionEmitter* emitter) : sectioner_(emitter) {}

  Status Append(std::string_view text) {
    while (!text.empty()) {
      size_t newline = text.find('\n');
      if (newline == std::string_view::npos) {
        partial_.append(text);
        if (partial_.size() > kMaxSectionBytes) {
          // A line this long is plain content (never a heading or a fence); pass it on.
          K3_RETURN_IF_ERROR(sectioner_.Append(partial_));
          partial_.clear();
          in_long_line_ = true;
        }
        return Status::Ok();
      }
      partial_.append(text.substr(0, newline + 1));
      text.remove_prefix(newline + 1);
      K3_RETURN_IF_ERROR(Line(partial_));
      partial_.clear();
    }
    return Status::Ok();
  }

  Status Finish() {
    if (!partial_.empty()) K3_RETURN_IF_ERROR(Line(partial_));
    partial_.clear();
    return sectioner_.Flush();
  }

 private:
  // One line, with its '\n' unless it is the last line.
  Status Line(std::string_view line) {
    if (in_long_line_) {
      in_long_line_ = false;
      return sectioner_.Append(line);
    }
    std::string_view body = line;
    if (StripBlockIndent(&body) && !UpdateFence(body) && !in_fence_) {
      int level = 0;
      while (level < static_cast<int>(body.size()) && body[level] == '#') ++level;
      if (level >= 1 && level <= 6 &&
          (level == static_cast<int>(body.size()) || body[level] == ' ' || body[level] == '\t' ||
           body[level] == '\n')) {
        K3_RETURN_IF_ERROR(sectioner_.Flush());
        SetHeading(level, HeadingText(body.substr(level)));
      }
    }
    return sectioner_.Append(line);
  }

  // Whether `body` (indent stripped) opens or closes a fence; updates the fence state.
  bool UpdateFence(std::string_view body) {
    if (body.empty() || (body[0] != '`' && body[0] != '~')) return false;
    char marker = body[0];
    size_t run = 0;
    while (run < body.size() && body[run] == marker) ++run;
    if (run < 3) return false;
    if (!in_fence_) {
      if (marker == '`' && body.substr(run).find('`') != std::string_view::npos) return false;
      in_fence_ = true;
      fence_marker_ = marker;
      fence_length_ = run;
      return true;
    }
    if (marker == fence_marker_ && run >= fence_length_ && TrimBlanks(body.substr(run)).empty()) {
      in_fence_ = false;
      return true;
    }
    return false;
  }

  // The heading's text: trimmed, without an optional closing run of '#'.
  static std::string HeadingText(std::string_view rest) {
    rest = TrimBlanks(rest);
    size_t end = rest.size();
    while (end > 0 && rest[end - 1] == '#') --end;
    if (end == 0) return "";
    if (end < rest.size() && (rest[end - 1] == ' ' || rest[end - 1] == '\t')) {
      rest = TrimBlanks(rest.substr(0, end));
    }
    return std::string(rest);
  }

  void SetHeading(int level, std::string text) {
    headings_[level - 1] = std::move(text);
    for (int i = level; i < 6; ++i) headings_[i].clear();
    std::string path;
    for (const std::string& heading : headings_) {
      if (heading.empty()) continue;
      if (!path.empty()) path += " > ";
      path += heading;
    }
    Metadata metadata;
    if (!path.empty()) metadata.emplace_back("heading", std::move(path));
    sectioner_.set_metadata(std::move(metadata));
  }

  StreamingSectioner sectioner_;
  std::string partial_;  // the current line, until its '\n'
  bool in_long_line_ = false;
  bool in_fence_ = false;
  char fence_marker_ = 0;
  size_t fence_length_ = 0;
  std::array<std::string, 6> headings_;
};

}  // namespace

Status ParseMarkdown(const ByteReader& reader, std::string_view content_type,
                     const SectionSink& sink, ParseStats* stats) {
  K3_ASSIGN_OR_RETURN(Charset charset, CharsetForLabel(CharsetParameter(content_type)));
  TextDecoder decoder(charset, /*normalize_newlines=*/true);
  SectionEmitter emitter(sink, stats);
  MarkdownSectioner markdown(&emitter);
  std::string decoded;
  Status status = ReadBlocks(reader, stats, [&](std::string_view block) {
    decoded.clear();
    decoder.Decode(block, &decoded);
    return markdown.Append(decoded);
  });
  if (status.ok()) {
    decoded.clear();
    decoder.Finish(&decoded);
    status = markdown.Append(decoded);
  }
  if (status.ok()) status = markdown.Finish();
  if (stats != nullptr) stats->invalid_bytes_replaced = decoder.invalid_bytes();
  return status;
}

}  // namespace k3::pipelines::parse_internal
