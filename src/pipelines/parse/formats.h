// pipelines/parse/formats.h: the per-format parsers behind Parse() (parser.h has the contract:
// arguments, errors, offsets). One implementation file per format.
//
// Thread-safety: as Parse().
#ifndef K3_PIPELINES_PARSE_FORMATS_H_
#define K3_PIPELINES_PARSE_FORMATS_H_

#include <string_view>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines::parse_internal {

// text_parser.cc: streamed; sections cut only for size.
Status ParseText(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats);
// markdown_parser.cc: streamed; sections also cut at ATX headings, with "heading" metadata.
Status ParseMarkdown(const ByteReader& reader, std::string_view content_type,
                     const SectionSink& sink, ParseStats* stats);
// html_parser.cc: whole document; visible text, sections cut at h1-h6 with "heading".
Status ParseHtml(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats);
// json_parser.cc: whole document; one section per non-blank string leaf, with "json_path".
Status ParseJson(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats);
// pdf_parser.cc: whole document; one section per page with text, with "page".
Status ParsePdf(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                ParseStats* stats);

}  // namespace k3::pipelines::parse_internal

#endif  // K3_PIPELINES_PARSE_FORMATS_H_
