// storage/sigv4.h: AWS Signature Version 4 query-string presigning for S3 URLs
// (AWS4-HMAC-SHA256, payload "UNSIGNED-PAYLOAD", signed headers "host", service "s3").
// Thread-safety: pure functions of their arguments; callable from any thread.
#ifndef K3_STORAGE_SIGV4_H_
#define K3_STORAGE_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/status.h"

namespace k3::storage {

// The longest validity SigV4 allows for a presigned URL (7 days).
inline constexpr int64_t kMaxSigV4ExpiresSeconds = 604800;

struct SigV4PresignParams {
  std::string method;  // "GET" or "PUT" (exact, uppercase)
  // scheme://host[:port]; scheme http or https (case-insensitive); host a DNS name, an IPv4
  // address or a bracketed IPv6 address; no user info, path (not even a lone "/"), query or
  // fragment. The host is lowercased; an explicit default port (80 / 443) is dropped.
  std::string endpoint;
  // Non-empty, without '/'. With virtual_hosted_style it must also be usable as DNS labels
  // (a-z 0-9 . -, not starting or ending with '.'), and the endpoint host must not be an IP.
  std::string bucket;
  // Raw object key (UTF-8), non-empty; URI-encoded by the signer with '/' kept. The key is
  // not path-normalized ("a/../b" and "a//b" are signed as they are, as S3 expects).
  std::string key;
  std::string region;              // e.g. "us-east-1"; non-empty, without '/'
  std::string access_key_id;       // non-empty, without '/'
  std::string secret_access_key;   // non-empty
  int64_t expires_seconds = 3600;  // 1..kMaxSigV4ExpiresSeconds (the service caps lower)
  // Signing time, Unix ms, in [0, 9999-12-31T23:59:59.999Z]; only whole seconds are signed.
  int64_t now_ms = 0;
  bool virtual_hosted_style = false;  // bucket.host/key instead of host/bucket/key
};

// Returns the full presigned URL:
//   scheme://host[:port]/path?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=...
//   &X-Amz-Expires=...&X-Amz-SignedHeaders=host&X-Amz-Signature=<64 lowercase hex>
// where the query parameters before X-Amz-Signature are the canonical (sorted, encoded)
// query string that was signed. The host (and so the Host header the client must send)
// includes the port only when it is not the scheme's default.
// INVALID_ARGUMENT, with a message naming the problem, for a malformed endpoint (missing
// scheme, unsupported scheme, user info, path, query or fragment present, empty host, bad
// port), a method other than GET/PUT, an empty or unusable bucket or key, empty
// credentials, an empty region, expires_seconds or now_ms out of range.
k3::Result<std::string> PresignSigV4(const SigV4PresignParams& p);

// RFC 3986 percent-encoding as SigV4 requires: the unreserved bytes A-Z a-z 0-9 - _ . ~ are
// kept, every other byte (including each byte of a multi-byte UTF-8 sequence) becomes %XX
// with uppercase hex; '/' is kept when encode_slash is false.
std::string UriEncode(std::string_view s, bool encode_slash);

}  // namespace k3::storage

#endif  // K3_STORAGE_SIGV4_H_
