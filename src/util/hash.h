// util/hash.h: MD5 (for ETags), SHA-256 and HMAC-SHA256 (for SigV4), hex and base64.
// Thread-safe; Md5 is a value used by one thread at a time.
#ifndef K3_UTIL_HASH_H_
#define K3_UTIL_HASH_H_

#include <memory>
#include <string>
#include <string_view>

namespace k3::util {

// Incremental MD5.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;
  void Update(std::string_view bytes);
  // The 16-byte digest. The hasher cannot be updated afterwards.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Md5Digest(std::string_view bytes);                           // 16 raw bytes
std::string Sha256Digest(std::string_view bytes);                        // 32 raw bytes
std::string HmacSha256(std::string_view key, std::string_view message);  // 32 raw bytes

std::string HexEncode(std::string_view bytes);  // lowercase
// Returns false (and leaves *out unspecified) on a malformed input.
bool HexDecode(std::string_view hex, std::string* out);

std::string Base64Encode(std::string_view bytes);  // standard alphabet, padded
bool Base64Decode(std::string_view text, std::string* out);
std::string Base64UrlEncode(std::string_view bytes);  // URL-safe alphabet, no padding
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace k3::util

#endif  // K3_UTIL_HASH_H_
