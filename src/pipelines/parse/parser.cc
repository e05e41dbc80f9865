// pipelines/parse/parser.cc: Parse(), dispatching to the per-format parsers.
#include "pipelines/parse/parser.h"

#include "pipelines/parse/formats.h"

namespace k3::pipelines {

Status Parse(ParserKind kind, const ByteReader& reader, std::string_view content_type,
             const SectionSink& sink, ParseStats* stats) {
  if (stats != nullptr) *stats = ParseStats{};
  switch (kind) {
    case ParserKind::kText:
      return parse_internal::ParseText(reader, content_type, sink, stats);
    case ParserKind::kMarkdown:
      return parse_internal::ParseMarkdown(reader, content_type, sink, stats);
    case ParserKind::kHtml:
      return parse_internal::ParseHtml(reader, content_type, sink, stats);
    case ParserKind::kJson:
      return parse_internal::ParseJson(reader, content_type, sink, stats);
    case ParserKind::kPdf:
      return parse_internal::ParsePdf(reader, content_type, sink, stats);
  }
  return InvalidArgument("unknown parser kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace k3::pipelines
