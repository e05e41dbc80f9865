// sources/http_fetch.h: fetching one HTTP(S) URL for an HTTP source: URL validation, a
// streamed GET with conditional headers (ETag / Last-Modified), bounded redirects, a size cap,
// an optional bearer token, and HTTP outcomes mapped to k3::Status codes.
// Thread-safety: every function is thread-safe; each Fetch uses its own libcurl handle, and
// concurrent calls share nothing but libcurl's one-time global initialization.
#ifndef K3_SOURCES_HTTP_FETCH_H_
#define K3_SOURCES_HTTP_FETCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "k3/status.h"

namespace k3::sources {

// The longest URL ValidateSourceUrl accepts, in bytes.
inline constexpr size_t kMaxSourceUrlBytes = 8 * 1024;

// OK when `url` is an absolute http:// or https:// URL (scheme case-insensitive) with a host,
// an optional numeric port 1..65535, no userinfo ("user:pw@"), only printable ASCII (no
// whitespace, control characters or raw non-ASCII bytes: percent-encode them), at most
// kMaxSourceUrlBytes, and parseable by libcurl. Otherwise INVALID_ARGUMENT naming the problem,
// e.g. `unsupported URL scheme "ftp" in "ftp://h/x"; use http or https`. Messages show the URL
// as DescribeUrlForError does.
[[nodiscard]] Status ValidateSourceUrl(std::string_view url);

// `url` as error messages and logs show it: userinfo removed, the query and fragment replaced
// by "?..." (signed URLs carry secrets there), control bytes replaced by '?', cut to 200
// bytes. Never fails.
std::string DescribeUrlForError(std::string_view url);

struct FetchRequest {
  std::string url;                // must pass ValidateSourceUrl
  std::string if_none_match;      // sent as If-None-Match when non-empty (an ETag, quotes kept)
  std::string if_modified_since;  // sent as If-Modified-Since when non-empty (an HTTP date)
  // Sent as "Authorization: Bearer <token>" when non-empty, and only to the URL's own host:
  // a redirect to another host (or port or scheme) does not carry it. Printable ASCII without
  // spaces. Never logged or put in a Status message.
  std::string bearer_token;
  int timeout_ms = 30000;           // the whole exchange, redirects included; 1..86400000
  int max_redirects = 5;            // 0..50; 0 means a redirect answer is "too many redirects"
  uint64_t max_bytes = 1ull << 30;  // cap on the (decoded) body; >= 1
};

struct FetchResult {
  int http_status = 0;        // of the last response: 2xx, or 304
  bool not_modified = false;  // true for a 304 answer to the conditional headers
  std::string final_url;      // after redirects (== the request url when none)
  // The validators to store for the next conditional fetch. On a 304 that omits one, the
  // request's if_none_match / if_modified_since is echoed, so the caller can store them as-is.
  std::string etag;           // ETag header value, quotes and W/ kept
  std::string last_modified;  // Last-Modified header value
  std::string content_type;   // Content-Type header value ("" when absent)
  uint64_t size = 0;          // body bytes handed to on_body (0 for 304)
};

// GETs request.url and streams the body of a 2xx answer to `on_body` in order, in chunks of
// any size (on_body may be empty: the body is then counted and dropped). Bodies of redirects
// and error answers never reach on_body. A gzip/deflate Content-Encoding is decoded first.
//
// Outcomes:
//   2xx                       -> the FetchResult
//   304                       -> the FetchResult with not_modified = true, on_body not called
//   more than max_redirects   -> FAILED_PRECONDITION "too many redirects ..."
//   redirect to non-http(s)   -> FAILED_PRECONDITION (the redirect is not followed)
//   401 / 403                 -> UNAUTHENTICATED / PERMISSION_DENIED
//   404 / 410                 -> NOT_FOUND
//   408 / 429 / 5xx           -> UNAVAILABLE, message with the status (and Retry-After if sent)
//   other answers (4xx, 3xx without Location) -> FAILED_PRECONDITION with the status
//   connect / resolve / reset -> UNAVAILABLE
//   TLS certificate rejected  -> FAILED_PRECONDITION
//   timeout_ms elapsed        -> DEADLINE_EXCEEDED
//   body over max_bytes       -> RESOURCE_EXHAUSTED (refused before the body when the
//                                Content-Length already says so)
//   on_body returns an error  -> that Status, unchanged; the transfer stops
//   a bad request field       -> INVALID_ARGUMENT (URL per ValidateSourceUrl; CR/LF or other
//                                control bytes in a header value; a limit out of range)
// After an error the on_body calls made so far form a partial body: the caller discards it.
// Messages name the URL (DescribeUrlForError) and, when redirected, the final URL; never the
// bearer token. Blocks the calling thread for at most about timeout_ms.
[[nodiscard]] Result<FetchResult> Fetch(const FetchRequest& request,
                                        const std::function<Status(std::string_view)>& on_body);

}  // namespace k3::sources

#endif  // K3_SOURCES_HTTP_FETCH_H_
