// Request validation: see validate.h.
#include "vectors/validate.h"

#include <cmath>

namespace k3::vectors {

namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string Num(long long v) { return std::to_string(v); }

}  // namespace

Status ValidateCollectionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCollectionNameBytes) {
    return InvalidArgument("collection name must be 1.." + Num(kMaxCollectionNameBytes) +
                           " bytes, got " + Num(name.size()));
  }
  for (char c : name) {
    if (!NameChar(c)) {
      return InvalidArgument("collection name \"" + std::string(name) +
                             "\" may hold only letters, digits, '_', '-' and '.'");
    }
  }
  if (name[0] == '_' || name[0] == '-' || name[0] == '.') {
    return InvalidArgument("collection name \"" + std::string(name) +
                           "\" must start with a letter or digit");
  }
  return Status();
}

Status ValidateCreateCollection(const CreateCollectionRequest& r) {
  K3_RETURN_IF_ERROR(ValidateCollectionName(r.name));
  if (r.dimensions < 1 || r.dimensions > kMaxVectorDimensions) {
    return InvalidArgument("dimensions must be 1.." + Num(kMaxVectorDimensions) + ", got " +
                           Num(r.dimensions));
  }
  if (r.metric != VectorMetric::kL2 && r.metric != VectorMetric::kIp &&
      r.metric != VectorMetric::kCosine) {
    return InvalidArgument("unknown metric " + Num(static_cast<int>(r.metric)) +
                           " (use L2, IP or COSINE)");
  }
  switch (r.index) {
    case VectorIndexType::kFlat:
      break;
    case VectorIndexType::kHnsw:
      if (r.hnsw.m < 4 || r.hnsw.m > 128) {
        return InvalidArgument("hnsw.m must be 4..128, got " + Num(r.hnsw.m));
      }
      if (r.hnsw.ef_construction < 8 || r.hnsw.ef_construction > 4096) {
        return InvalidArgument("hnsw.efConstruction must be 8..4096, got " +
                               Num(r.hnsw.ef_construction));
      }
      if (r.hnsw.ef_search < 8 || r.hnsw.ef_search > 4096) {
        return InvalidArgument("hnsw.efSearch must be 8..4096, got " + Num(r.hnsw.ef_search));
      }
      break;
    case VectorIndexType::kIvfFlat:
      if (r.ivf.nlist < 1 || r.ivf.nlist > 65536) {
        return InvalidArgument("ivf.nlist must be 1..65536, got " + Num(r.ivf.nlist));
      }
      if (r.ivf.nprobe < 1 || r.ivf.nprobe > r.ivf.nlist) {
        return InvalidArgument("ivf.nprobe must be 1..nlist (" + Num(r.ivf.nlist) + "), got " +
                               Num(r.ivf.nprobe));
      }
      break;
    default:
      return InvalidArgument("unknown index type " + Num(static_cast<int>(r.index)) +
                             " (use FLAT, HNSW or IVF_FLAT)");
  }
  if (r.mode != CollectionMode::kExternal && r.mode != CollectionMode::kPipeline) {
    return InvalidArgument("unknown collection mode " + Num(static_cast<int>(r.mode)));
  }
  if (r.description.size() > 4096) return InvalidArgument("description is over 4096 bytes");
  if (r.embed_model.size() > 512) return InvalidArgument("embedModel is over 512 bytes");
  return Status();
}

Status ValidateVectorId(std::string_view id, const std::string& path) {
  if (id.empty()) return InvalidArgument(path + ": a vector id must not be empty");
  if (id.size() > kMaxVectorIdBytes) {
    return InvalidArgument(path + ": a vector id is at most " + Num(kMaxVectorIdBytes) +
                           " bytes, got " + Num(id.size()));
  }
  return Status();
}

Status ValidateValues(const std::vector<float>& values, int dims, VectorMetric metric,
                      const std::string& path) {
  if (values.size() != static_cast<size_t>(dims)) {
    return InvalidArgument(path + ": expected " + Num(dims) + " dimensions, got " +
                           Num(values.size()));
  }
  double norm = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return InvalidArgument(path + "[" + Num(i) + "] is not a finite number");
    }
    norm += static_cast<double>(values[i]) * values[i];
  }
  if (metric == VectorMetric::kCosine && norm == 0) {
    return InvalidArgument(path + ": a zero vector has no direction under COSINE");
  }
  return Status();
}

Status ValidateMetadata(const Metadata& metadata, const std::string& path) {
  if (metadata.size() > kMaxMetadataEntries) {
    return InvalidArgument(path + ": at most " + Num(kMaxMetadataEntries) + " entries");
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKeyBytes) {
      return InvalidArgument(path + ": keys must be 1.." + Num(kMaxMetadataKeyBytes) + " bytes");
    }
    if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d)) {
      return InvalidArgument(path + "." + key + " is not a finite number");
    }
  }
  return Status();
}

}  // namespace k3::vectors
