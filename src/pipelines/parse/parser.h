// pipelines/parse/parser.h: turns an object's bytes into Sections, chosen by content type.
//
// Formats: plain text and source code (streamed), Markdown (streamed, cut at ATX headings),
// HTML (libxml2), JSON (nlohmann SAX, one section per string leaf), PDF (poppler-cpp, one
// section per page). Every section's text is valid UTF-8; Section.start is the code-point offset
// of the section in the concatenation of all emitted sections' texts (nothing in between).
//
// Thread-safety: all functions are thread-safe (no shared mutable state besides the one-time
// initialisation of libxml2 and poppler's debug output, done under std::call_once).
#ifndef K3_PIPELINES_PARSE_PARSER_H_
#define K3_PIPELINES_PARSE_PARSER_H_

#include <string>
#include <string_view>

#include "k3/status.h"
#include "pipelines/document.h"

namespace k3::pipelines {

enum class ParserKind { kText, kMarkdown, kHtml, kJson, kPdf };

// "text", "markdown", "html", "json", "pdf".
std::string_view ParserKindName(ParserKind kind);

// The content type an object is treated as: `content_type` without parameters, trimmed and
// lowercased, unless it is empty or "application/octet-stream" / "binary/octet-stream", in
// which case it is sniffed from the key's extension (case-insensitive): .txt .text .log →
// text/plain, .md .markdown → text/markdown, .html .htm .xhtml → text/html, .json →
// application/json, .pdf → application/pdf, .csv → text/csv, .tsv → text/tab-separated-values,
// .jsonl .ndjson → application/x-ndjson, source files → "text/x-<language>" (see
// LanguageForKey). Unknown extension: the lowercased original type (maybe empty).
std::string EffectiveContentType(std::string_view content_type, std::string_view key);

// The language of a source file from its key's extension ("cpp", "c", "python", "go", "rust",
// "java", "javascript", "typescript", "ruby", "shell", "sql", ...), or "" if the key's
// extension is not a known source extension.
std::string LanguageForKey(std::string_view key);

// The parser for an effective content type (as returned by EffectiveContentType):
// text/plain, text/x-* and other text/* (except html, markdown, csv, tab-separated-values) →
// kText; text/markdown, text/x-markdown → kMarkdown; text/html, application/xhtml+xml → kHtml;
// application/json (and any "+json" type) → kJson; application/pdf → kPdf. Anything else
// (including empty): INVALID_ARGUMENT "unsupported content type '<type>' for '<key>'".
Result<ParserKind> ParserFor(std::string_view effective_content_type, std::string_view key);

// Parses the bytes `reader` yields into sections, in document order, calling `sink` for each.
// `content_type` is the object's full type; its `charset=` parameter is honoured:
// iso-8859-1 / latin1 / windows-1252 (and their aliases) are transcoded to UTF-8 (with the
// windows-1252 table, as browsers do); utf-8, us-ascii or none: validated, invalid bytes
// replaced by U+FFFD (counted in stats->invalid_bytes_replaced). A UTF-8 BOM is dropped.
// Whitespace-only sections are not emitted; a zero-byte object yields OK and no sections.
// `stats` (may be null) is reset and filled.
// Errors: the reader's or sink's error, unchanged; INVALID_ARGUMENT for an unsupported
// charset, invalid JSON (with the byte offset), an unreadable PDF ("not a readable PDF");
// RESOURCE_EXHAUSTED when a whole-document format (HTML, JSON, PDF) exceeds
// kMaxWholeDocumentBytes.
Status Parse(ParserKind kind, const ByteReader& reader, std::string_view content_type,
             const SectionSink& sink, ParseStats* stats);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_PARSE_PARSER_H_
