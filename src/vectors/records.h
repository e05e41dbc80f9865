// vectors/records.h: how VectorService's data is laid out in the kVectors column family, and
// the codecs of its records.
//
// Keys (all in kv::Cf::kVectors):
//   "e/" bucket                              -> EngineRecord
//   "c/" bucket "\0" name                    -> CollectionRecord
//   "v/" collection_id "\0" vector id        -> VectorRow
// A vector row carries its label: a per-collection sequence number assigned at write, never
// reused (an upsert gives the new version a new label). The collection record's next_label
// is written in the same batch as the rows, so "labels < next_label" is exactly what the
// store holds; an index checkpoint names the next_label it covers (see live_index.h).
// Thread-safety: pure functions.
#ifndef K3_VECTORS_RECORDS_H_
#define K3_VECTORS_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/vectors.h"

namespace k3::vectors {

struct EngineRecord {
  std::string engine_id;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct CollectionRecord {
  Collection info;  // vector_count and status are kept current in info
  uint64_t next_label = 0;
};

struct VectorRow {
  uint64_t label = 0;
  std::vector<float> values;
  Metadata metadata;
  std::optional<std::string> text;
};

std::string EngineKey(std::string_view bucket);
std::string CollectionKey(std::string_view bucket, std::string_view name);
// The range [begin, end) of every collection key of `bucket`.
std::string CollectionPrefix(std::string_view bucket);
std::string VectorKey(std::string_view collection_id, std::string_view id);
std::string VectorPrefix(std::string_view collection_id);
// The first key after every key that starts with `prefix`.
std::string PrefixEnd(std::string prefix);

std::string EncodeEngine(const EngineRecord& r);
bool DecodeEngine(std::string_view in, EngineRecord* r);
std::string EncodeCollection(const CollectionRecord& r);
bool DecodeCollection(std::string_view in, CollectionRecord* r);
std::string EncodeRow(const VectorRow& r);
bool DecodeRow(std::string_view in, VectorRow* r);
// Only the label of a row, without decoding the rest.
bool DecodeRowLabel(std::string_view in, uint64_t* label);

}  // namespace k3::vectors

#endif  // K3_VECTORS_RECORDS_H_
