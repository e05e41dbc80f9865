// pipelines/parse/pdf_parser.cc: PDF via poppler-cpp; one section per page that has text, with
// "page" metadata ("1"-based).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "pipelines/parse/formats.h"
#include "pipelines/parse/read_bytes.h"
#include "pipelines/parse/sections.h"
#include "pipelines/parse/text_decoder.h"

namespace k3::pipelines::parse_internal {
namespace {

void IgnorePopplerMessage(const std::string&, void*) {}

// poppler prints warnings about damaged files to stderr; an embedded library stays quiet.
void SilencePoppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(IgnorePopplerMessage, nullptr); });
}

// Page text as valid UTF-8 with LF line endings, without form feeds, leading blank lines and
// trailing blanks, ending in one '\n' (so pages do not run together in the concatenated document).
std::string CleanPageText(const std::vector<char>& utf8) {
  TextDecoder decoder(Charset::kUtf8, /*normalize_newlines=*/true);
  std::string text;
  decoder.Decode(std::string_view(utf8.data(), utf8.size()), &text);
  decoder.Finish(&text);
  for (char& c : text) {
    if (c == '\f') c = '\n';
  }
  std::string out;
  out.reserve(text.size() + 1);
  // Strip trailing spaces of each line.
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t newline = text.find('\n', line_start);
    size_t end = newline == std::string::npos ? text.size() : newline;
    size_t trimmed = end;
    while (trimmed > line_start && (text[trimmed - 1] == ' ' || text[trimmed - 1] == '\t')) {
      --trimmed;
    }
    out.append(text, line_start, trimmed - line_start);
    out.push_back('\n');
    if (newline == std::string::npos) break;
    line_start = newline + 1;
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') {
    out.pop_back();
  }
  size_t first = out.find_first_not_of('\n');
  return first == std::string::npos ? std::string() : out.substr(first);
}

}  // namespace

Status ParsePdf(const ByteReader& reader, std::string_view, const SectionSink& sink,
                ParseStats* stats) {
  SilencePoppler();
  K3_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(reader, stats, "PDF"));
  if (bytes.empty()) return Status::Ok();
  SectionEmitter emitter(sink, stats);
  try {
    std::unique_ptr<poppler::document> document(
        poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (document == nullptr) return InvalidArgument("not a readable PDF (damaged or not a PDF)");
    if (document->is_locked()) {
      return InvalidArgument("not a readable PDF (encrypted, needs a password)");
    }
    int pages = document->pages();
    if (stats != nullptr) stats->pages = pages;
    for (int i = 0; i < pages; ++i) {
      std::unique_ptr<poppler::page> page(document->create_page(i));
      if (page == nullptr) continue;
      std::string text = CleanPageText(page->text().to_utf8());
      if (IsBlank(text)) continue;
      K3_RETURN_IF_ERROR(emitter.Emit(std::move(text), {{"page", std::to_string(i + 1)}}));
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("not a readable PDF: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace k3::pipelines::parse_internal
