// storage/names.h: validation of bucket names (S3's rules) and object keys.
#ifndef K3_STORAGE_NAMES_H_
#define K3_STORAGE_NAMES_H_

#include <string_view>

#include "k3/status.h"

namespace k3::storage {

inline constexpr size_t kMaxKeyBytes = 1024;

// S3's bucket naming rules; INVALID_ARGUMENT saying which rule is broken.
Status ValidateBucketName(std::string_view name);
// 1..1024 bytes of valid UTF-8 without NUL; INVALID_ARGUMENT otherwise.
Status ValidateObjectKey(std::string_view key);

}  // namespace k3::storage

#endif  // K3_STORAGE_NAMES_H_
