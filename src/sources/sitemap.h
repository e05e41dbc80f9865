// sources/sitemap.h: parsing a sitemap (https://www.sitemaps.org/protocol.html) into the list
// of URLs an HTTP source syncs: <urlset><url><loc> pages and <sitemapindex><sitemap><loc>
// nested sitemaps. The parser never touches the network, refuses DTDs (so no entity can be
// declared, let alone expanded) and is bounded in input size and entry count.
// Thread-safety: ParseSitemap is thread-safe (libxml2 is initialized once, per-call contexts).
#ifndef K3_SOURCES_SITEMAP_H_
#define K3_SOURCES_SITEMAP_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"

namespace k3::sources {

// The sitemaps.org protocol's own limits: 50 MiB uncompressed and 50,000 entries per file.
inline constexpr size_t kMaxSitemapBytes = 50 * 1024 * 1024;
inline constexpr size_t kMaxSitemapEntries = 50000;

struct SitemapEntry {
  std::string loc;      // an http(s) URL that passed ValidateSourceUrl, whitespace trimmed
  std::string lastmod;  // <lastmod> text as written (W3C datetime, unchecked), "" when absent
  // True for <sitemapindex><sitemap> entries: loc is another sitemap to fetch and parse, not
  // a page. A document is one kind or the other, so all entries share this flag.
  bool is_sitemap = false;
};

// What ParseSitemap left out, for the source's sync report.
struct SitemapStats {
  size_t skipped_invalid = 0;     // <loc> missing, empty, or failing ValidateSourceUrl
  size_t skipped_duplicate = 0;   // a loc seen earlier in the same document
  std::string first_skip_reason;  // the first invalid entry's error message ("" when none)
};

// Parses `xml` (the sitemap's bytes, already decompressed). The root element must be
// <urlset> or <sitemapindex>; its namespace is not checked (sitemaps.org's, none, and older
// Google ones are all in use). Children are matched by local name in the root's namespace,
// and unknown elements (<changefreq>, <priority>,
// extension namespaces such as image:loc) are ignored. Returns the entries in document order.
//
// Entries whose <loc> is missing or fails ValidateSourceUrl are skipped, not fatal (one bad
// line in a third-party sitemap must not stop the rest from syncing); duplicates are skipped
// too; both are counted in *stats when stats is non-null. An empty <urlset> is a valid, empty
// list.
//
// Errors:
//   not well-formed XML, or a root other than urlset/sitemapindex
//                        -> INVALID_ARGUMENT "not a sitemap: <why>"
//   a DOCTYPE/DTD        -> INVALID_ARGUMENT "not a sitemap: a DOCTYPE is not allowed ..."
//                           (checked before parsing, and again on the parsed tree)
//   more than kMaxSitemapBytes of input, or more than kMaxSitemapEntries <url>/<sitemap>
//   elements (skipped ones included) -> RESOURCE_EXHAUSTED
[[nodiscard]] Result<std::vector<SitemapEntry>> ParseSitemap(std::string_view xml,
                                                             SitemapStats* stats = nullptr);

}  // namespace k3::sources

#endif  // K3_SOURCES_SITEMAP_H_
