#include "storage/names.h"

#include <string>

#include "util/utf8.h"

namespace k3::storage {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view part = s.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

Status BadName(std::string_view name, const char* rule) {
  return InvalidArgument("invalid bucket name \"" + std::string(name) + "\": " + rule);
}

}  // namespace

Status ValidateBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return BadName(name, "must be 3 to 63 characters long");
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return BadName(name, "only lowercase letters, digits, '.' and '-' are allowed");
    }
  }
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return BadName(name, "must begin and end with a letter or digit");
  }
  if (name.find("..") != std::string_view::npos) {
    return BadName(name, "must not contain two adjacent periods");
  }
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos) {
    return BadName(name, "a period must not be next to a hyphen");
  }
  if (LooksLikeIpv4(name)) return BadName(name, "must not be formatted as an IP address");
  if (name.starts_with("xn--")) return BadName(name, "must not start with \"xn--\"");
  if (name.starts_with("sthree-")) return BadName(name, "must not start with \"sthree-\"");
  if (name.ends_with("-s3alias")) return BadName(name, "must not end with \"-s3alias\"");
  if (name.ends_with("--ol-s3")) return BadName(name, "must not end with \"--ol-s3\"");
  return Status();
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("object key must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return InvalidArgument("object key is " + std::to_string(key.size()) +
                           " bytes; at most 1024 are allowed");
  }
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgument("object key must not contain a NUL byte");
  }
  if (!util::IsValidUtf8(key)) return InvalidArgument("object key is not valid UTF-8");
  return Status();
}

}  // namespace k3::storage
