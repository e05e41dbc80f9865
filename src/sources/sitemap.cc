// sources/sitemap.cc: sitemap parsing over libxml2's tree API.
#include "sources/sitemap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "sources/http_fetch.h"

namespace k3::sources {
namespace {

// No XML_PARSE_NOENT (entities are never substituted), no DTD loading or validation, no
// network; libxml2's own diagnostics stay off stderr (we read them from the context).
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* s) const { xmlFree(s); }
};

Status NotASitemap(std::string why) { return InvalidArgument("not a sitemap: " + why); }

bool NameIs(const xmlNode* node, const char* name) {
  return node->name != nullptr && std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

bool SameNamespace(const xmlNs* a, const xmlNs* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if (a->href == nullptr || b->href == nullptr) return a->href == b->href;
  return xmlStrEqual(a->href, b->href) != 0;
}

// The first element child of `parent` named `name` in namespace `ns`, or null.
const xmlNode* FindChild(const xmlNode* parent, const char* name, const xmlNs* ns) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && NameIs(c, name) && SameNamespace(c->ns, ns)) return c;
  }
  return nullptr;
}

std::string TrimmedText(const xmlNode* node) {
  if (node == nullptr) return "";
  std::unique_ptr<xmlChar, XmlCharDeleter> content(xmlNodeGetContent(node));
  if (!content) return "";
  std::string_view s(reinterpret_cast<const char*>(content.get()));
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// libxml2's last error on `ctxt`, as "line N: message".
std::string ParserError(xmlParserCtxt* ctxt) {
  const xmlError* err = xmlCtxtGetLastError(ctxt);
  if (err == nullptr || err->message == nullptr) return "the document is not well-formed XML";
  std::string message = err->message;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  if (message.size() > 200) message = message.substr(0, 200) + "...";
  return "not well-formed XML (line " + std::to_string(err->line) + ": " + message + ")";
}

}  // namespace

Result<std::vector<SitemapEntry>> ParseSitemap(std::string_view xml, SitemapStats* stats) {
  SitemapStats local_stats;
  if (stats == nullptr) stats = &local_stats;
  *stats = SitemapStats();
  if (xml.size() > kMaxSitemapBytes) {
    return ResourceExhausted("sitemap is " + std::to_string(xml.size()) + " bytes; the limit is " +
                             std::to_string(kMaxSitemapBytes));
  }
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return NotASitemap("the document is empty");
  }
  // Sitemaps need no DTD; refusing one up front means no entity is ever declared, so no
  // entity-expansion attack (billion laughs, external entities) reaches the parser's logic.
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return NotASitemap("a DOCTYPE is not allowed (sitemaps need none; entities are refused)");
  }

  InitOnce();
  std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) return ResourceExhausted("out of memory creating an XML parser");
  std::unique_ptr<xmlDoc, DocDeleter> doc(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), "sitemap.xml", nullptr, kParseOptions));
  if (!doc || ctxt->wellFormed == 0) return NotASitemap(ParserError(ctxt.get()));
  // Encodings other than UTF-8 (UTF-16) slip past the byte scan above; the tree tells.
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return NotASitemap("a DOCTYPE is not allowed (sitemaps need none; entities are refused)");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return NotASitemap("the document has no root element");

  const bool index = NameIs(root, "sitemapindex");
  if (!index && !NameIs(root, "urlset")) {
    return NotASitemap("the root element is <" +
                       std::string(reinterpret_cast<const char*>(root->name)).substr(0, 100) +
                       ">, not <urlset> or <sitemapindex>");
  }
  const char* entry_name = index ? "sitemap" : "url";

  std::vector<SitemapEntry> entries;
  std::unordered_set<std::string> seen;
  size_t elements = 0;
  for (const xmlNode* e = root->children; e != nullptr; e = e->next) {
    if (e->type != XML_ELEMENT_NODE || !NameIs(e, entry_name) || !SameNamespace(e->ns, root->ns)) {
      continue;
    }
    if (++elements > kMaxSitemapEntries) {
      return ResourceExhausted("sitemap has more than " + std::to_string(kMaxSitemapEntries) +
                               " <" + entry_name + "> entries");
    }
    SitemapEntry entry;
    entry.is_sitemap = index;
    const xmlNode* loc = FindChild(e, "loc", root->ns);
    entry.loc = TrimmedText(loc);
    Status valid = loc == nullptr      ? InvalidArgument("an entry has no <loc>")
                   : entry.loc.empty() ? InvalidArgument("an entry has an empty <loc>")
                                       : ValidateSourceUrl(entry.loc);
    if (!valid.ok()) {
      if (stats->skipped_invalid++ == 0) {
        stats->first_skip_reason =
            "line " + std::to_string(xmlGetLineNo(e)) + ": " + valid.message();
      }
      continue;
    }
    if (!seen.insert(entry.loc).second) {
      ++stats->skipped_duplicate;
      continue;
    }
    entry.lastmod = TrimmedText(FindChild(e, "lastmod", root->ns));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace k3::sources
