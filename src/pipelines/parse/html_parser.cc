// pipelines/parse/html_parser.cc: HTML via libxml2's forgiving HTML parser. The visible text is
// kept (no script, style, noscript, template, head except the <title>, which becomes the first
// line); block elements become line breaks, table cells are joined with " | ", whitespace in
// inline text collapses (not in <pre>). A section starts at each h1-h6 and carries the heading
// path ("Title > Section > Sub") like Markdown.
#include <array>
#include <cstring>
#include <mutex>
#include <string>

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pipelines/parse/formats.h"
#include "pipelines/parse/read_bytes.h"
#include "pipelines/parse/sections.h"
#include "pipelines/parse/text_decoder.h"
#include "util/utf8.h"

namespace k3::pipelines::parse_internal {
namespace {

bool NameIs(const xmlNode* node, const char* name) {
  return node->name != nullptr && std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

bool NameIn(const xmlNode* node, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (NameIs(node, name)) return true;
  }
  return false;
}

bool IsSkipped(const xmlNode* node) {
  return NameIn(node, {"script", "style", "noscript", "template", "head", "svg", "canvas", "iframe",
                       "object", "embed"});
}

bool IsBlock(const xmlNode* node) {
  return NameIn(
      node,
      {"address", "article", "aside",  "blockquote", "body", "br",     "caption",  "center",
       "dd",      "details", "dialog", "div",        "dl",   "dt",     "fieldset", "figcaption",
       "figure",  "footer",  "form",   "h1",         "h2",   "h3",     "h4",       "h5",
       "h6",      "header",  "hgroup", "hr",         "html", "legend", "li",       "main",
       "menu",    "nav",     "ol",     "option",     "p",    "pre",    "section",  "summary",
       "table",   "tbody",   "tfoot",  "thead",      "tr",   "ul"});
}

// 1..6 for h1..h6, else 0.
int HeadingLevel(const xmlNode* node) {
  const char* name = reinterpret_cast<const char*>(node->name);
  if (name == nullptr || name[0] != 'h' || name[1] < '1' || name[1] > '6' || name[2] != 0) {
    return 0;
  }
  return name[1] - '0';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The text of a subtree with whitespace runs collapsed to one space, trimmed.
std::string CollapsedContent(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  std::string out;
  if (content == nullptr) return out;
  bool space = false;
  for (const char* p = reinterpret_cast<const char*>(content); *p != 0; ++p) {
    if (IsSpace(*p)) {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(*p);
    }
  }
  xmlFree(content);
  return out;
}

const xmlNode* FindElement(const xmlNode* node, const char* name) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (NameIs(node, name)) return node;
    if (const xmlNode* found = FindElement(node->children, name)) return found;
  }
  return nullptr;
}

// The charset a <meta> in the first 1024 bytes declares ("" if none), lowercased.
std::string MetaCharset(std::string_view bytes) {
  std::string head(bytes.substr(0, 1024));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t meta = 0;
  while ((meta = head.find("<meta", meta)) != std::string::npos) {
    size_t end = head.find('>', meta);
    std::string_view tag = std::string_view(head).substr(meta, end - meta);
    size_t at = tag.find("charset=");
    if (at != std::string_view::npos) {
      std::string_view value = tag.substr(at + 8);
      while (!value.empty() && (value[0] == '"' || value[0] == '\'' || value[0] == ' ')) {
        value.remove_prefix(1);
      }
      size_t stop = value.find_first_of("\"' ;/>");
      return std::string(value.substr(0, stop));
    }
    meta += 5;
  }
  return "";
}

// Collects the visible text of the body into sections.
class HtmlTextBuilder {
 public:
  explicit HtmlTextBuilder(SectionEmitter* emitter) : emitter_(emitter) {}

  void Title(const std::string& title) {
    if (title.empty()) return;
    Inline(title);
    Break();
  }

  // Walks the tree without recursion (libxml2 trees may be deep).
  Status Walk(const xmlNode* root) {
    const xmlNode* node = root;
    while (node != nullptr) {
      bool descend = false;
      if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
        if (node->content != nullptr) {
          std::string_view text = reinterpret_cast<const char*>(node->content);
          if (pre_depth_ > 0) {
            Preformatted(text);
          } else {
            Inline(text);
          }
        }
      } else if (node->type == XML_ELEMENT_NODE && !IsSkipped(node)) {
        K3_RETURN_IF_ERROR(Enter(node));
        descend = node->children != nullptr;
        if (!descend) Leave(node);
      }
      if (descend) {
        node = node->children;
        continue;
      }
      // Next sibling, or climb up, leaving each finished element.
      while (node != nullptr && node != root && node->next == nullptr) {
        node = node->parent;
        if (node != nullptr && node != root && node->type == XML_ELEMENT_NODE) Leave(node);
      }
      if (node == nullptr || node == root) break;
      node = node->next;
    }
    return Status::Ok();
  }

  Status Finish() { return Flush(); }

 private:
  Status Enter(const xmlNode* node) {
    int level = HeadingLevel(node);
    if (level > 0) {
      std::string heading = CollapsedContent(node);
      if (!heading.empty()) {
        K3_RETURN_IF_ERROR(Flush());
        headings_[level - 1] = std::move(heading);
        for (int i = level; i < 6; ++i) headings_[i].clear();
        std::string path;
        for (const std::string& h : headings_) {
          if (h.empty()) continue;
          if (!path.empty()) path += " > ";
          path += h;
        }
        metadata_ = {{"heading", path}};
      }
    }
    if (NameIn(node, {"td", "th"}) && line_has_text_) {
      text_ += " |";
      pending_space_ = true;
    }
    if (IsBlock(node)) Break();
    if (NameIs(node, "pre")) ++pre_depth_;
    return Status::Ok();
  }

  void Leave(const xmlNode* node) {
    if (NameIs(node, "pre")) --pre_depth_;
    if (IsBlock(node)) Break();
  }

  void Break() {
    if (line_has_text_) text_.push_back('\n');
    line_has_text_ = false;
    pending_space_ = false;
  }

  void Inline(std::string_view s) {
    for (char c : s) {
      if (IsSpace(c)) {
        if (line_has_text_) pending_space_ = true;
        continue;
      }
      if (pending_space_) text_.push_back(' ');
      pending_space_ = false;
      text_.push_back(c);
      line_has_text_ = true;
    }
  }

  void Preformatted(std::string_view s) {
    if (s.empty()) return;
    if (pending_space_) text_.push_back(' ');
    pending_space_ = false;
    text_.append(s);
    line_has_text_ = text_.back() != '\n';
  }

  Status Flush() {
    Break();
    std::string text = std::move(text_);
    text_.clear();
    if (!util::IsValidUtf8(text)) {  // libxml2 outputs UTF-8; be safe with odd converters
      TextDecoder decoder(Charset::kUtf8, false);
      std::string valid;
      decoder.Decode(text, &valid);
      decoder.Finish(&valid);
      text = std::move(valid);
    }
    return emitter_->Emit(std::move(text), metadata_);
  }

  SectionEmitter* emitter_;
  std::string text_;
  Metadata metadata_;
  std::array<std::string, 6> headings_;
  bool line_has_text_ = false;
  bool pending_space_ = false;
  int pre_depth_ = 0;
};

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

}  // namespace

Status ParseHtml(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  K3_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(reader, stats, "HTML"));
  if (IsBlank(bytes)) return Status::Ok();

  // The content type's charset wins, then <meta charset>, then UTF-8. The charsets we decode
  // ourselves (UTF-8 with U+FFFD, windows-1252) are handed to libxml2 as clean UTF-8; others
  // are left to libxml2's converters.
  std::string label = CharsetParameter(content_type);
  if (label.empty()) label = MetaCharset(bytes);
  int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET;
  std::string encoding = label;
  Result<Charset> charset = CharsetForLabel(label);
  if (charset.ok()) {
    TextDecoder decoder(*charset, /*normalize_newlines=*/true);
    std::string decoded;
    decoder.Decode(bytes, &decoded);
    decoder.Finish(&decoded);
    if (stats != nullptr) stats->invalid_bytes_replaced = decoder.invalid_bytes();
    bytes = std::move(decoded);
    encoding = "UTF-8";
    options |= HTML_PARSE_IGNORE_ENC;
  } else {
    xmlCharEncodingHandler* handler = xmlFindCharEncodingHandler(label.c_str());
    if (handler == nullptr) return InvalidArgument("unsupported charset '" + label + "'");
    xmlCharEncCloseFunc(handler);
  }
  std::unique_ptr<xmlDoc, DocFree> doc(htmlReadMemory(bytes.data(), static_cast<int>(bytes.size()),
                                                      nullptr, encoding.c_str(), options));
  if (doc == nullptr) return InvalidArgument("HTML could not be parsed");

  SectionEmitter emitter(sink, stats);
  HtmlTextBuilder builder(&emitter);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return Status::Ok();
  const xmlNode* head = FindElement(root, "head");
  if (const xmlNode* title = head != nullptr ? FindElement(head->children, "title") : nullptr) {
    builder.Title(CollapsedContent(title));
  }
  const xmlNode* body = FindElement(root, "body");
  K3_RETURN_IF_ERROR(builder.Walk(body != nullptr ? body : root));
  return builder.Finish();
}

}  // namespace k3::pipelines::parse_internal
