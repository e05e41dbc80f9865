// wire/vectors_json.h: the K3 JSON form of VectorService's types (k3/vectors.h), following the
// conventions of wire/json_util.h. Requests are read (FromJson), responses written (ToJson).
//
// Forms particular to vectors:
//   VectorRecord: {id, denseFloat: {values: [...]}, metadata: {...}, text}; "values" at the
//     top level is accepted for denseFloat.values.
//   Metadata: a flat JSON object whose values are strings, numbers, bools or arrays of
//     strings; anything else (nested objects, null, mixed arrays) is INVALID_ARGUMENT.
//   Filter: {"and": [F...]} | {"or": [F...]} | {"not": F}
//     | {"field": "lang", "op": "eq", "value": "en"} (op: eq ne lt lte gt gte in nin prefix
//     exists; in/nin take "values": [...]). The filter field may also be a string holding
//     that JSON.
//   Enums: metric "L2" | "IP" | "COSINE"; index "FLAT" | "HNSW" | "IVF_FLAT"; engine mode
//     "ENGINE_MODE_AUTO" (short "auto"), "..._EXTERNAL", "..._PICK".
// Thread-safety: free functions on values.
#ifndef K3_WIRE_VECTORS_JSON_H_
#define K3_WIRE_VECTORS_JSON_H_

#include <string_view>

#include "k3/vectors.h"
#include "wire/json_util.h"

namespace k3::wire {

inline constexpr EnumName kEngineModeNames[] = {
    {static_cast<int>(EngineMode::kUnspecified), "ENGINE_MODE_UNSPECIFIED"},
    {static_cast<int>(EngineMode::kAuto), "ENGINE_MODE_AUTO"},
    {static_cast<int>(EngineMode::kExternal), "ENGINE_MODE_EXTERNAL"},
    {static_cast<int>(EngineMode::kPick), "ENGINE_MODE_PICK"},
};
inline constexpr EnumInfo kEngineModeEnum{"ENGINE_MODE_", kEngineModeNames};

inline constexpr EnumName kVectorMetricNames[] = {
    {static_cast<int>(VectorMetric::kUnspecified), "METRIC_UNSPECIFIED"},
    {static_cast<int>(VectorMetric::kL2), "L2"},
    {static_cast<int>(VectorMetric::kIp), "IP"},
    {static_cast<int>(VectorMetric::kCosine), "COSINE"},
};
inline constexpr EnumInfo kVectorMetricEnum{"", kVectorMetricNames};

inline constexpr EnumName kVectorIndexNames[] = {
    {static_cast<int>(VectorIndexType::kUnspecified), "INDEX_UNSPECIFIED"},
    {static_cast<int>(VectorIndexType::kFlat), "FLAT"},
    {static_cast<int>(VectorIndexType::kHnsw), "HNSW"},
    {static_cast<int>(VectorIndexType::kIvfFlat), "IVF_FLAT"},
};
inline constexpr EnumInfo kVectorIndexEnum{"", kVectorIndexNames};

inline constexpr EnumName kCollectionModeNames[] = {
    {static_cast<int>(CollectionMode::kUnspecified), "COLLECTION_MODE_UNSPECIFIED"},
    {static_cast<int>(CollectionMode::kExternal), "COLLECTION_MODE_EXTERNAL"},
    {static_cast<int>(CollectionMode::kPipeline), "COLLECTION_MODE_PIPELINE"},
};
inline constexpr EnumInfo kCollectionModeEnum{"COLLECTION_MODE_", kCollectionModeNames};

inline constexpr EnumName kCollectionStatusNames[] = {
    {static_cast<int>(CollectionStatus::kUnspecified), "COLLECTION_STATUS_UNSPECIFIED"},
    {static_cast<int>(CollectionStatus::kReady), "COLLECTION_STATUS_READY"},
    {static_cast<int>(CollectionStatus::kBuilding), "COLLECTION_STATUS_BUILDING"},
};
inline constexpr EnumInfo kCollectionStatusEnum{"COLLECTION_STATUS_", kCollectionStatusNames};

Json ToJson(const Collection& v);
Json ToJson(const VectorEngine& v);
Json ToJson(const VectorInstance& v);
Json ToJson(const VectorRecord& v);
Json ToJson(const SearchHit& v);
Json ToJson(const SearchResponse& v);
Json MetadataJson(const Metadata& m);
Json ToJson(const VectorFilter& v);

Status FromJson(const Json& j, ConfigureEngineRequest* out, std::string_view path = {});
Status FromJson(const Json& j, CreateCollectionRequest* out, std::string_view path = {});
Status FromJson(const Json& j, VectorRecord* out, std::string_view path = {});
Status FromJson(const Json& j, VectorFilter* out, std::string_view path = {});
Status FromJson(const Json& j, SearchRequest* out, std::string_view path = {});
Status ParseMetadata(const Json& j, std::string_view path, Metadata* out);
// The collection named by "collectionId", "collectionName" or "collection" (first found).
Status GetCollectionRef(const Fields& f, std::string* out);

}  // namespace k3::wire

#endif  // K3_WIRE_VECTORS_JSON_H_
