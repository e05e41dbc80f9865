// vectors/validate.h: the checks VectorService makes on requests before writing anything.
// Every failure is INVALID_ARGUMENT naming the offending item. Thread-safety: pure functions.
#ifndef K3_VECTORS_VALIDATE_H_
#define K3_VECTORS_VALIDATE_H_

#include <string>
#include <string_view>

#include "k3/vectors.h"

namespace k3::vectors {

inline constexpr size_t kMaxMetadataKeyBytes = 256;
inline constexpr size_t kMaxMetadataEntries = 256;
inline constexpr size_t kMaxTextBytes = 1 << 20;
inline constexpr size_t kMaxBatchVectors = 10000;

// Name 1..kMaxCollectionNameBytes of [A-Za-z0-9_.-], starting with a letter or digit.
Status ValidateCollectionName(std::string_view name);
// Name, dimensions, metric, index and the index's parameters.
Status ValidateCreateCollection(const CreateCollectionRequest& request);
// A vector id: 1..kMaxVectorIdBytes bytes. `path` names it ("vectors[3].id").
Status ValidateVectorId(std::string_view id, const std::string& path);
// `values` has `dims` finite components, and is not all zeros under COSINE.
Status ValidateValues(const std::vector<float>& values, int dims, VectorMetric metric,
                      const std::string& path);
// Keys 1..kMaxMetadataKeyBytes, at most kMaxMetadataEntries, finite numbers.
Status ValidateMetadata(const Metadata& metadata, const std::string& path);

}  // namespace k3::vectors

#endif  // K3_VECTORS_VALIDATE_H_
