#include "util/page_token.h"

#include "util/hash.h"

namespace k3::util {
namespace {
constexpr size_t kCheckBytes = 6;

std::string Check(std::string_view listing, std::string_view position) {
  std::string material(listing);
  material.push_back('\0');
  material.append(position);
  return Sha256Digest(material).substr(0, kCheckBytes);
}
}  // namespace

std::string EncodePageToken(std::string_view listing, std::string_view position) {
  std::string raw = Check(listing, position);
  raw.append(position);
  return Base64UrlEncode(raw);
}

Result<std::string> DecodePageToken(std::string_view listing, std::string_view token) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!Base64UrlDecode(token, &raw) || raw.size() < kCheckBytes ||
      raw.compare(0, kCheckBytes, Check(listing, std::string_view(raw).substr(kCheckBytes))) != 0) {
    return InvalidArgument("page token is not valid for this listing");
  }
  return raw.substr(kCheckBytes);
}

Result<int> EffectivePageSize(int page_size, int default_size, int max_size) {
  if (page_size < 0) return InvalidArgument("page_size must not be negative");
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : page_size;
}

}  // namespace k3::util
