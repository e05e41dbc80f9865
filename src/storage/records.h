// storage/records.h: StorageService's records and their keys in the store.
//
//   buckets CF: "b/" name            -> BucketRecord
//               "s/" name            -> BucketStats (object count, bytes used)
//               "p/" name            -> policy JSON
//               "c/" name            -> CorsConfiguration
//   objects CF: bucket "\0" key      -> ObjectRecord
//   chunks CF:  blob id (16) chunk index (4, BE) -> bytes (kChunkSize except a blob's last)
//   uploads CF: "u/" upload id       -> UploadRecord
//               "p/" upload id "/" part number (4, BE) -> PartRecord
//               "i/" bucket "\0" key "\0" upload id    -> "" (uploads by bucket and key)
//   meta CF:    "pending/" blob id   -> "" (a blob being written; removed on open if left)
#ifndef K3_STORAGE_RECORDS_H_
#define K3_STORAGE_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "k3/storage.h"

namespace k3::storage {

inline constexpr uint64_t kChunkSize = 1ull << 20;
inline constexpr size_t kBlobIdSize = 16;

struct BucketRecord {
  std::string name;
  std::string description;
  std::string internal_source_id;
  uint64_t storage_quota_bytes = 0;
  BucketAccessMode access_mode = BucketAccessMode::kPrivate;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct BucketStats {
  uint64_t object_count = 0;
  uint64_t used_bytes = 0;
};

// A run of chunks holding `size` bytes: chunk i of blob_id holds bytes
// [i * kChunkSize, min(size, (i + 1) * kChunkSize)).
struct Segment {
  std::string blob_id;
  uint64_t size = 0;
};

struct ObjectRecord {
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  uint32_t parts_count = 0;
  std::vector<Segment> segments;  // in order; their sizes add up to size
};

struct UploadRecord {
  std::string bucket;
  std::string key;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  TimestampMs initiated_at = 0;
};

struct PartRecord {
  Segment segment;
  std::string etag;  // hex MD5
  TimestampMs last_modified = 0;
};

std::string EncodeBucket(const BucketRecord& r);
bool DecodeBucket(std::string_view in, BucketRecord* r);
std::string EncodeStats(const BucketStats& s);
bool DecodeStats(std::string_view in, BucketStats* s);
std::string EncodeObject(const ObjectRecord& r);
bool DecodeObject(std::string_view in, ObjectRecord* r);
std::string EncodeUpload(const UploadRecord& r);
bool DecodeUpload(std::string_view in, UploadRecord* r);
std::string EncodePart(const PartRecord& r);
bool DecodePart(std::string_view in, PartRecord* r);
std::string EncodeCors(const CorsConfiguration& c);
bool DecodeCors(std::string_view in, CorsConfiguration* c);

std::string BucketKey(std::string_view name);
std::string StatsKey(std::string_view name);
std::string PolicyKey(std::string_view name);
std::string CorsKey(std::string_view name);
inline constexpr std::string_view kBucketKeyPrefix = "b/";

std::string ObjectKey(std::string_view bucket, std::string_view key);
std::string ObjectPrefix(std::string_view bucket);  // bucket "\0"
std::string ObjectEnd(std::string_view bucket);     // bucket "\1": end of the bucket's keys

std::string UploadKey(std::string_view upload_id);
std::string PartKey(std::string_view upload_id, uint32_t part_number);
std::string PartPrefix(std::string_view upload_id);
std::string UploadIndexKey(std::string_view bucket, std::string_view key,
                           std::string_view upload_id);
std::string UploadIndexPrefix(std::string_view bucket);

ObjectInfo ToObjectInfo(std::string_view bucket, std::string_view key, const ObjectRecord& r);

}  // namespace k3::storage

#endif  // K3_STORAGE_RECORDS_H_
