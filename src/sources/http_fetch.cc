// sources/http_fetch.cc: URL validation and the libcurl GET behind HTTP sources.
#include "sources/http_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace k3::sources {
namespace {

constexpr size_t kMaxDescribedUrlBytes = 200;
constexpr int kMaxTimeoutMs = 24 * 60 * 60 * 1000;
constexpr int kMaxRedirectsLimit = 50;
constexpr size_t kMaxHeaderValueBytes = 8 * 1024;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsSchemeChar(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

Status Coded(StatusCode code, std::string message) { return Status(code, std::move(message)); }

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* h) const { curl_url_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// A header value we put on the wire: no CR/LF (header injection) or other control bytes.
Status CheckHeaderValue(std::string_view field, std::string_view value, bool secret) {
  if (value.size() > kMaxHeaderValueBytes) {
    return InvalidArgument(std::string(field) + " is " + std::to_string(value.size()) +
                           " bytes; the limit is " + std::to_string(kMaxHeaderValueBytes));
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool bad = secret ? (u <= 0x20 || u >= 0x7F) : (u < 0x20 || u == 0x7F);
    if (bad) {
      return InvalidArgument(std::string(field) +
                             (secret ? " contains whitespace, control or non-ASCII characters"
                                     : " contains control characters (CR/LF are not allowed)"));
    }
  }
  return Status::Ok();
}

Status ValidateRequest(const FetchRequest& r) {
  K3_RETURN_IF_ERROR(ValidateSourceUrl(r.url));
  K3_RETURN_IF_ERROR(CheckHeaderValue("if_none_match", r.if_none_match, false));
  K3_RETURN_IF_ERROR(CheckHeaderValue("if_modified_since", r.if_modified_since, false));
  K3_RETURN_IF_ERROR(CheckHeaderValue("bearer_token", r.bearer_token, true));
  if (r.timeout_ms < 1 || r.timeout_ms > kMaxTimeoutMs) {
    return InvalidArgument("timeout_ms must be 1.." + std::to_string(kMaxTimeoutMs) + ", got " +
                           std::to_string(r.timeout_ms));
  }
  if (r.max_redirects < 0 || r.max_redirects > kMaxRedirectsLimit) {
    return InvalidArgument("max_redirects must be 0.." + std::to_string(kMaxRedirectsLimit) +
                           ", got " + std::to_string(r.max_redirects));
  }
  if (r.max_bytes == 0) return InvalidArgument("max_bytes must be at least 1");
  return Status::Ok();
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  CURL* curl = nullptr;
  const std::function<Status(std::string_view)>* on_body = nullptr;
  uint64_t max_bytes = 0;
  // Headers of the response being received (reset at each status line).
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  // Body accounting for the final 2xx response.
  uint64_t delivered = 0;
  bool checked_length = false;
  bool too_large = false;
  Status body_status;  // the error on_body returned, if any
};

long CurrentResponseCode(CURL* curl) {
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

size_t OnHeader(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nitems;
  std::string_view line(buffer, n);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {  // a new response begins
    t->etag.clear();
    t->last_modified.clear();
    t->retry_after.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string_view name = TrimSpaces(line.substr(0, colon));
  const std::string_view value = TrimSpaces(line.substr(colon + 1));
  try {
    if (EqualsNoCase(name, "etag")) {
      t->etag.assign(value);
    } else if (EqualsNoCase(name, "last-modified")) {
      t->last_modified.assign(value);
    } else if (EqualsNoCase(name, "retry-after")) {
      t->retry_after.assign(value.substr(0, 64));
    }
  } catch (const std::exception&) {
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  return n;
}

size_t OnBody(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  const long code = CurrentResponseCode(t->curl);
  if (code < 200 || code > 299) return n;  // redirect and error bodies are dropped
  if (!t->checked_length) {
    t->checked_length = true;
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0 && static_cast<uint64_t>(length) > t->max_bytes) {
      t->too_large = true;
      return 0;
    }
  }
  if (n > t->max_bytes - t->delivered) {
    t->too_large = true;
    return 0;
  }
  if (t->on_body != nullptr && *t->on_body) {
    Status s;
    try {
      s = (*t->on_body)(std::string_view(ptr, n));
    } catch (const std::exception& e) {
      s = Internal(std::string("body consumer threw: ") + e.what());
    } catch (...) {
      s = Internal("body consumer threw");
    }
    if (!s.ok()) {
      t->body_status = std::move(s);
      return 0;
    }
  }
  t->delivered += n;
  return n;
}

std::string StatusText(long code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

StatusCode CodeForHttpStatus(long code) {
  if (code == 401) return StatusCode::kUnauthenticated;
  if (code == 403) return StatusCode::kPermissionDenied;
  if (code == 404 || code == 410) return StatusCode::kNotFound;
  if (code == 408 || code == 429 || (code >= 500 && code <= 599)) return StatusCode::kUnavailable;
  return StatusCode::kFailedPrecondition;
}

StatusCode CodeForCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return StatusCode::kDeadlineExceeded;
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_URL_MALFORMAT:
      return StatusCode::kFailedPrecondition;
    case CURLE_OUT_OF_MEMORY:
      return StatusCode::kResourceExhausted;
    case CURLE_FAILED_INIT:
      return StatusCode::kInternal;
    default:  // resolve, connect, send/recv, reset, TLS handshake, bad or truncated answers
      return StatusCode::kUnavailable;
  }
}

}  // namespace

std::string DescribeUrlForError(std::string_view url) {
  std::string_view rest = url;
  std::string out;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    out.assign(url.substr(0, scheme_end + 3));
    rest = url.substr(scheme_end + 3);
    const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    const size_t at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  }
  const size_t query = rest.find_first_of("?#");
  const bool had_query = query != std::string_view::npos;
  out.append(rest.substr(0, query));
  if (out.size() > kMaxDescribedUrlBytes) {
    out.resize(kMaxDescribedUrlBytes);
    out += "...";
  } else if (had_query) {
    out += "?...";
  }
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = '?';
  }
  return out;
}

Status ValidateSourceUrl(std::string_view url) {
  if (url.empty()) return InvalidArgument("URL is empty");
  if (url.size() > kMaxSourceUrlBytes) {
    return InvalidArgument("URL is " + std::to_string(url.size()) + " bytes; the limit is " +
                           std::to_string(kMaxSourceUrlBytes) + ": " +
                           Quote(DescribeUrlForError(url)));
  }
  const std::string shown = Quote(DescribeUrlForError(url));
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return InvalidArgument("URL contains whitespace or control characters: " + shown);
    }
    if (u >= 0x80) {
      return InvalidArgument("URL contains non-ASCII bytes (percent-encode them): " + shown);
    }
  }
  const size_t colon = url.find(':');
  bool scheme_ok = colon != std::string_view::npos && colon > 0;
  for (size_t i = 0; scheme_ok && i < colon; ++i) scheme_ok = IsSchemeChar(url[i], i == 0);
  if (!scheme_ok) {
    return InvalidArgument("URL is not absolute (want http://host/... or https://host/...): " +
                           shown);
  }
  const std::string_view scheme = url.substr(0, colon);
  if (!EqualsNoCase(scheme, "http") && !EqualsNoCase(scheme, "https")) {
    return InvalidArgument("unsupported URL scheme " + Quote(scheme) + " in " + shown +
                           "; use http or https");
  }
  if (url.substr(colon, 3) != "://") {
    return InvalidArgument("URL has no \"//\" authority after the scheme: " + shown);
  }
  const std::string_view rest = url.substr(colon + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument(
        "URL contains userinfo (user:password@); store credentials as a credential, not in the "
        "URL: " +
        shown);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("URL has an unterminated IPv6 address: " + shown);
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return InvalidArgument("URL has a malformed host: " + shown);
      port = host.substr(close + 2);
    }
    host = host.substr(0, close + 1);
  } else if (const size_t c = host.rfind(':'); c != std::string_view::npos) {
    port = host.substr(c + 1);
    host = host.substr(0, c);
  }
  if (host.empty() || host == "[]") return InvalidArgument("URL has no host: " + shown);
  if (authority.size() > host.size()) {  // a ':' was present: the port must be 1..65535
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return InvalidArgument("URL has an invalid port " + Quote(port) + ": " + shown);
    }
  }
  // libcurl must agree (host syntax, percent-encoding, ...).
  GlobalInitOnce();
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (!parsed) return Internal("out of memory parsing a URL");
  const std::string copy(url);
  const CURLUcode uc = curl_url_set(parsed.get(), CURLUPART_URL, copy.c_str(), 0);
  if (uc != CURLUE_OK) {
    return InvalidArgument("URL is malformed (" + std::string(curl_url_strerror(uc)) +
                           "): " + shown);
  }
  return Status::Ok();
}

Result<FetchResult> Fetch(const FetchRequest& request,
                          const std::function<Status(std::string_view)>& on_body) {
  K3_RETURN_IF_ERROR(ValidateRequest(request));
  GlobalInitOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Internal("curl_easy_init failed");
  CURL* h = curl.get();

  Transfer t;
  t.curl = h;
  t.on_body = &on_body;
  t.max_bytes = request.max_bytes;

  curl_slist* raw_headers = nullptr;
  auto add_header = [&raw_headers](const std::string& line) {
    curl_slist* next = curl_slist_append(raw_headers, line.c_str());
    if (next == nullptr) return false;
    raw_headers = next;
    return true;
  };
  bool headers_ok = true;
  if (!request.if_none_match.empty()) {
    headers_ok &= add_header("If-None-Match: " + request.if_none_match);
  }
  if (!request.if_modified_since.empty()) {
    headers_ok &= add_header("If-Modified-Since: " + request.if_modified_since);
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
  if (!headers_ok) return Internal("out of memory building request headers");

  char errbuf[CURL_ERROR_SIZE];
  errbuf[0] = '\0';
  CURLcode setup = CURLE_OK;
  auto set = [&setup](CURLcode rc) {
    if (setup == CURLE_OK) setup = rc;
  };
  set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the _STR forms; the long forms are deprecated
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
#else
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
  set(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                       static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
  set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L));
  set(curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects)));
  set(curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L));
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms)));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout_ms)));
  set(curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""));  // gzip/deflate, decoded by curl
  set(curl_easy_setopt(h, CURLOPT_USERAGENT, "k3-http-source/1"));
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &t));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &t));
  if (headers) set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
  if (!request.bearer_token.empty()) {
    // libcurl sends it to the original host only (CURLOPT_UNRESTRICTED_AUTH is off).
    set(curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER)));
    set(curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, request.bearer_token.c_str()));
  }
  if (setup != CURLE_OK) {
    return Internal(std::string("libcurl rejected an option: ") + curl_easy_strerror(setup));
  }

  const CURLcode rc = curl_easy_perform(h);

  long http_status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_status);
  char* effective = nullptr;
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective);
  const std::string final_url = effective != nullptr ? effective : request.url;
  std::string where = DescribeUrlForError(request.url);
  if (final_url != request.url) where += " (redirected to " + DescribeUrlForError(final_url) + ")";

  if (!t.body_status.ok()) return t.body_status;
  if (t.too_large) {
    return ResourceExhausted("body of " + where + " is larger than max_bytes (" +
                             std::to_string(request.max_bytes) + ")");
  }
  if (rc != CURLE_OK) {
    const StatusCode code = CodeForCurlError(rc);
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
    std::string message;
    if (rc == CURLE_TOO_MANY_REDIRECTS) {
      message = "too many redirects (more than " + std::to_string(request.max_redirects) +
                ") fetching " + where;
    } else if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
      char* target = nullptr;
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &target);
      message = "redirect from " + where + " to " +
                (target != nullptr ? Quote(DescribeUrlForError(target)) : "another scheme") +
                " refused: only http and https are followed";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      message = "timed out after " + std::to_string(request.timeout_ms) + " ms fetching " + where;
    } else {
      message = "fetching " + where + " failed: " + detail;
    }
    // libcurl never echoes the token, but make the promise independent of its wording.
    if (!request.bearer_token.empty() && message.find(request.bearer_token) != std::string::npos) {
      message = "fetching " + where + " failed (" + std::string(curl_easy_strerror(rc)) + ")";
    }
    return Coded(code, std::move(message));
  }

  FetchResult result;
  result.http_status = static_cast<int>(http_status);
  result.final_url = final_url;
  result.etag = t.etag;
  result.last_modified = t.last_modified;
  char* content_type = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
      content_type != nullptr) {
    result.content_type = content_type;
  }
  if (http_status == 304) {
    result.not_modified = true;
    if (result.etag.empty()) result.etag = request.if_none_match;
    if (result.last_modified.empty()) result.last_modified = request.if_modified_since;
    return result;
  }
  if (http_status >= 200 && http_status <= 299) {
    result.size = t.delivered;
    return result;
  }
  std::string message = "HTTP " + std::to_string(http_status);
  if (const std::string text = StatusText(http_status); !text.empty()) message += " " + text;
  message += " fetching " + where;
  if (http_status >= 300 && http_status <= 399) message += " (a redirect without a Location)";
  if (!t.retry_after.empty()) message += " (Retry-After: " + t.retry_after + ")";
  return Coded(CodeForHttpStatus(http_status), std::move(message));
}

}  // namespace k3::sources
