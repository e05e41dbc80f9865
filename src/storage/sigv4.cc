// storage/sigv4.cc: SigV4 query-string presigning (see sigv4.h).
#include "storage/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "util/hash.h"

namespace k3::storage {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kService = "s3";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// 9999-12-31T23:59:59.999Z: the last instant whose X-Amz-Date has a four-digit year.
constexpr int64_t kMaxNowMs = 253402300799999;

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// The parts of an endpoint "scheme://host[:port]".
struct Endpoint {
  std::string scheme;       // "http" or "https"
  std::string host;         // lowercased; an IPv6 address keeps its brackets
  std::string port;         // decimal digits without leading zeros, or empty (default port)
  bool ip_literal = false;  // the host is an IPv4 or IPv6 address
};

Result<Endpoint> ParseEndpoint(std::string_view endpoint) {
  const std::string what = "endpoint " + Quoted(endpoint);
  size_t sep = endpoint.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return InvalidArgument(what + " has no scheme (expected http:// or https://)");
  }
  Endpoint out;
  out.scheme = Lowercase(endpoint.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidArgument(what + " has unsupported scheme " + Quoted(out.scheme) +
                           " (expected http or https)");
  }
  std::string_view authority = endpoint.substr(sep + 3);
  size_t end = authority.find_first_of("/?#");
  if (end != std::string_view::npos) {
    switch (authority[end]) {
      case '/':
        return InvalidArgument(what + " must not have a path (expected scheme://host[:port])");
      case '?':
        return InvalidArgument(what + " must not have a query (expected scheme://host[:port])");
      default:
        return InvalidArgument(what + " must not have a fragment (expected scheme://host[:port])");
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument(what + " must not have user info");
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument(what + " has an unterminated IPv6 address");
    }
    std::string_view inner = authority.substr(1, close - 1);
    if (inner.empty()) return InvalidArgument(what + " has an empty host");
    for (char c : inner) {
      bool ok =
          IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return InvalidArgument(what + " has an invalid IPv6 address");
    }
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return InvalidArgument(what + " has unexpected characters after the IPv6 address");
      }
      has_port = true;
      port = rest.substr(1);
    }
    out.ip_literal = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return InvalidArgument(what + " has an empty host");
    for (char c : host) {
      bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                c == '.' || c == '_';
      if (!ok) {
        return InvalidArgument(what + " has an invalid character " + Quoted(std::string(1, c)) +
                               " in its host");
      }
    }
    out.ip_literal =
        std::all_of(host.begin(), host.end(), [](char c) { return IsDigit(c) || c == '.'; });
  }
  out.host = Lowercase(host);

  if (has_port) {
    bool digits =
        !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), IsDigit);
    int value = 0;
    if (digits) {
      for (char c : port) value = value * 10 + (c - '0');
    }
    if (!digits || value < 1 || value > 65535) {
      return InvalidArgument(what + " has an invalid port " + Quoted(port) +
                             " (expected 1..65535)");
    }
    int default_port = out.scheme == "https" ? 443 : 80;
    if (value != default_port) out.port = std::to_string(value);
  }
  return out;
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

// "YYYYMMDDTHHMMSSZ" for a time in [0, kMaxNowMs].
std::string AmzDate(int64_t now_ms) {
  int64_t secs = now_ms / 1000;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, &year, &month, &day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld%02d%02dT%02d%02d%02dZ", static_cast<long long>(year),
                month, day, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

Status ValidateParams(const SigV4PresignParams& p) {
  if (p.method != "GET" && p.method != "PUT") {
    return InvalidArgument("method " + Quoted(p.method) +
                           " cannot be presigned (expected GET or PUT)");
  }
  if (p.bucket.empty()) return InvalidArgument("bucket must not be empty");
  if (p.bucket.find('/') != std::string::npos) {
    return InvalidArgument("bucket " + Quoted(p.bucket) + " must not contain '/'");
  }
  if (p.key.empty()) return InvalidArgument("key must not be empty");
  if (p.region.empty()) return InvalidArgument("region must not be empty");
  if (p.region.find('/') != std::string::npos) {
    return InvalidArgument("region " + Quoted(p.region) + " must not contain '/'");
  }
  if (p.access_key_id.empty()) return InvalidArgument("access_key_id must not be empty");
  if (p.access_key_id.find('/') != std::string::npos) {
    return InvalidArgument("access_key_id must not contain '/'");
  }
  if (p.secret_access_key.empty()) return InvalidArgument("secret_access_key must not be empty");
  if (p.expires_seconds < 1 || p.expires_seconds > kMaxSigV4ExpiresSeconds) {
    return InvalidArgument("expires_seconds must be in 1.." +
                           std::to_string(kMaxSigV4ExpiresSeconds) + " (got " +
                           std::to_string(p.expires_seconds) + ")");
  }
  if (p.now_ms < 0 || p.now_ms > kMaxNowMs) {
    return InvalidArgument("now_ms " + std::to_string(p.now_ms) +
                           " is outside the signable range (1970..9999)");
  }
  return Status::Ok();
}

// A bucket name that can be the first labels of a host name.
bool IsDnsCompatibleBucket(std::string_view bucket) {
  if (bucket.front() == '.' || bucket.back() == '.') return false;
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
  });
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<std::string> PresignSigV4(const SigV4PresignParams& p) {
  K3_RETURN_IF_ERROR(ValidateParams(p));
  K3_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(p.endpoint));

  std::string host;
  std::string path = "/";
  if (p.virtual_hosted_style) {
    if (ep.ip_literal) {
      return InvalidArgument("virtual-hosted-style URLs need a host name, not the IP address " +
                             Quoted(ep.host));
    }
    if (!IsDnsCompatibleBucket(p.bucket)) {
      return InvalidArgument("bucket " + Quoted(p.bucket) +
                             " cannot be part of a host name (virtual-hosted style)");
    }
    host = p.bucket + "." + ep.host;
  } else {
    host = ep.host;
    path += UriEncode(p.bucket, /*encode_slash=*/true);
    path += '/';
  }
  if (!ep.port.empty()) host += ":" + ep.port;
  path += UriEncode(p.key, /*encode_slash=*/false);

  const std::string amz_date = AmzDate(p.now_ms);
  const std::string date = amz_date.substr(0, 8);
  std::string scope = date;
  scope += '/';
  scope += p.region;
  scope += '/';
  scope += kService;
  scope += '/';
  scope += kTerminator;

  // Already in canonical (byte) order of their names.
  const std::pair<std::string_view, std::string> params[] = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", p.access_key_id + "/" + scope},
      {"X-Amz-Date", amz_date},
      {"X-Amz-Expires", std::to_string(p.expires_seconds)},
      {"X-Amz-SignedHeaders", "host"},
  };
  std::string query;
  for (const auto& [name, value] : params) {
    if (!query.empty()) query += '&';
    query += UriEncode(name, true);
    query += '=';
    query += UriEncode(value, true);
  }

  std::string canonical_request = p.method;
  canonical_request += '\n';
  canonical_request += path;
  canonical_request += '\n';
  canonical_request += query;
  canonical_request += "\nhost:";
  canonical_request += host;
  canonical_request += "\n\nhost\n";
  canonical_request += kUnsignedPayload;

  std::string string_to_sign(kAlgorithm);
  string_to_sign += '\n';
  string_to_sign += amz_date;
  string_to_sign += '\n';
  string_to_sign += scope;
  string_to_sign += '\n';
  string_to_sign += util::HexEncode(util::Sha256Digest(canonical_request));

  std::string key = util::HmacSha256("AWS4" + p.secret_access_key, date);
  key = util::HmacSha256(key, p.region);
  key = util::HmacSha256(key, kService);
  key = util::HmacSha256(key, kTerminator);
  const std::string signature = util::HexEncode(util::HmacSha256(key, string_to_sign));

  std::string url = ep.scheme;
  url += "://";
  url += host;
  url += path;
  url += '?';
  url += query;
  url += "&X-Amz-Signature=";
  url += signature;
  return url;
}

}  // namespace k3::storage
