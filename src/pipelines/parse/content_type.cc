// pipelines/parse/content_type.cc: the effective content type of an object (sniffed from its
// key's extension when the stored type says nothing), source languages, and the parser choice.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "pipelines/parse/parser.h"

namespace k3::pipelines {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The lowercased extension of the key's last path segment, without the dot; "" if none.
std::string Extension(std::string_view key) {
  size_t slash = key.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return Lower(name.substr(dot + 1));
}

struct ExtensionEntry {
  std::string_view extension;
  std::string_view value;
};

constexpr ExtensionEntry kLanguages[] = {
    {"c", "c"},
    {"h", "c"},
    {"cc", "cpp"},
    {"cpp", "cpp"},
    {"cxx", "cpp"},
    {"hpp", "cpp"},
    {"hh", "cpp"},
    {"hxx", "cpp"},
    {"py", "python"},
    {"pyi", "python"},
    {"js", "javascript"},
    {"mjs", "javascript"},
    {"cjs", "javascript"},
    {"jsx", "javascript"},
    {"ts", "typescript"},
    {"tsx", "typescript"},
    {"go", "go"},
    {"rs", "rust"},
    {"java", "java"},
    {"kt", "kotlin"},
    {"kts", "kotlin"},
    {"scala", "scala"},
    {"rb", "ruby"},
    {"sh", "shell"},
    {"bash", "shell"},
    {"zsh", "shell"},
    {"sql", "sql"},
    {"php", "php"},
    {"cs", "csharp"},
    {"swift", "swift"},
    {"lua", "lua"},
    {"pl", "perl"},
    {"pm", "perl"},
    {"r", "r"},
    {"css", "css"},
    {"yaml", "yaml"},
    {"yml", "yaml"},
    {"toml", "toml"},
    {"proto", "protobuf"},
    {"cmake", "cmake"},
};

constexpr ExtensionEntry kDocumentTypes[] = {
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"log", "text/plain"},
    {"md", "text/markdown"},
    {"markdown", "text/markdown"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"xhtml", "text/html"},
    {"json", "application/json"},
    {"pdf", "application/pdf"},
    {"csv", "text/csv"},
    {"tsv", "text/tab-separated-values"},
    {"jsonl", "application/x-ndjson"},
    {"ndjson", "application/x-ndjson"},
};

// application/* types that are text in practice (scripts, configuration).
constexpr std::string_view kTextApplicationTypes[] = {
    "application/javascript", "application/x-javascript", "application/ecmascript",
    "application/typescript", "application/x-sh",         "application/x-shellscript",
    "application/sql",        "application/x-python",     "application/xml",
    "application/yaml",       "application/x-yaml",       "application/toml",
};

}  // namespace

std::string_view ParserKindName(ParserKind kind) {
  switch (kind) {
    case ParserKind::kText:
      return "text";
    case ParserKind::kMarkdown:
      return "markdown";
    case ParserKind::kHtml:
      return "html";
    case ParserKind::kJson:
      return "json";
    case ParserKind::kPdf:
      return "pdf";
  }
  return "unknown";
}

std::string LanguageForKey(std::string_view key) {
  std::string ext = Extension(key);
  for (const auto& entry : kLanguages) {
    if (entry.extension == ext) return std::string(entry.value);
  }
  return "";
}

std::string EffectiveContentType(std::string_view content_type, std::string_view key) {
  std::string type = Lower(TrimSpaces(content_type.substr(0, content_type.find(';'))));
  if (!type.empty() && type != "application/octet-stream" && type != "binary/octet-stream") {
    return type;
  }
  std::string ext = Extension(key);
  if (!ext.empty()) {
    for (const auto& entry : kDocumentTypes) {
      if (entry.extension == ext) return std::string(entry.value);
    }
    std::string language = LanguageForKey(key);
    if (!language.empty()) return "text/x-" + language;
  }
  return type;
}

Result<ParserKind> ParserFor(std::string_view effective_content_type, std::string_view key) {
  std::string type = Lower(TrimSpaces(effective_content_type));
  if (type == "text/markdown" || type == "text/x-markdown") return ParserKind::kMarkdown;
  if (type == "text/html" || type == "application/xhtml+xml") return ParserKind::kHtml;
  if (type == "application/json" || type == "text/json" ||
      (type.starts_with("application/") && type.ends_with("+json"))) {
    return ParserKind::kJson;
  }
  if (type == "application/pdf") return ParserKind::kPdf;
  if (type.starts_with("text/") && type.size() > 5 && type != "text/csv" &&
      type != "text/tab-separated-values") {
    return ParserKind::kText;
  }
  if (std::find(std::begin(kTextApplicationTypes), std::end(kTextApplicationTypes), type) !=
      std::end(kTextApplicationTypes)) {
    return ParserKind::kText;
  }
  return InvalidArgument("unsupported content type '" + type + "' for '" + std::string(key) + "'");
}

}  // namespace k3::pipelines
