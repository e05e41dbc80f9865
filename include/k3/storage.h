// k3/storage.h: StorageService — S3-style buckets and objects, multipart uploads, bucket
// policy and CORS documents, and presigned URLs (K3's dodil.k3.storage.v1).
//
// Contracts common to every method:
// - Bucket names follow S3's rules (3..63 chars of a-z 0-9 . -, starting and ending with a
//   letter or digit, no "..", not an IP address, no "xn--" prefix, no "-s3alias" suffix).
// - Object keys are valid UTF-8 of 1..1024 bytes without NUL; anything else (slashes,
//   spaces, "..", unicode) is allowed and stored verbatim.
// - Every object write or delete appends object.created / object.deleted to the events log
//   in the same atomic write as the change itself.
// - A bucket's object_count and storage_used_bytes are exact at all times.
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_STORAGE_H_
#define K3_STORAGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

enum class BucketStatus : int { kUnspecified = 0, kActive = 1 };
enum class BucketAccessMode : int { kUnspecified = 0, kPrivate = 1, kPublicRead = 2 };

struct Bucket {
  std::string name;
  std::string description;
  BucketStatus status = BucketStatus::kActive;
  std::string internal_source_id;    // the bucket's SOURCE_PROVIDER_INTERNAL_S3 source
  uint64_t storage_used_bytes = 0;   // sum of the sizes of the bucket's objects
  uint64_t storage_quota_bytes = 0;  // 0 = unlimited
  uint64_t object_count = 0;
  uint64_t source_count = 0;
  uint64_t rule_count = 0;
  uint64_t index_count = 0;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  BucketAccessMode access_mode = BucketAccessMode::kPrivate;
};

struct CreateBucketRequest {
  std::string name;
  std::string description;
  uint64_t storage_quota_bytes = 0;  // 0 = unlimited
  BucketAccessMode access_mode = BucketAccessMode::kPrivate;
};

// PATCH semantics: an absent field changes nothing.
struct UpdateBucketRequest {
  std::string name;
  std::optional<std::string> description;
  std::optional<uint64_t> storage_quota_bytes;
  std::optional<BucketAccessMode> access_mode;
};

struct ListBucketsRequest {
  int page_size = 0;       // 0 = 50; at most 1000
  std::string page_token;  // from a previous response of the same listing
  std::string search;      // substring of the name, case-insensitive; empty = all
};

struct ListBucketsResponse {
  std::vector<Bucket> buckets;  // by name
  Pagination pagination;
};

struct DeleteBucketRequest {
  std::string name;
  // A bucket that holds objects or open multipart uploads is refused (FAILED_PRECONDITION)
  // unless force is set; force deletes its objects (with their events) and uploads first.
  bool force = false;
};

struct ObjectInfo {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;  // MD5 hex of the bytes; "md5(part md5s)-N" for multipart objects
  std::string content_type;
  std::map<std::string, std::string> metadata;  // user metadata
  TimestampMs created_at = 0;  // first creation of this key (kept across overwrites)
  TimestampMs updated_at = 0;  // last write (S3's Last-Modified)
  uint32_t parts_count = 0;    // number of parts of a multipart object, else 0
};

// Supplies an object's bytes: fills up to `capacity` bytes of `buffer` and returns how many,
// 0 at the end, or an error that aborts the write (nothing of it becomes visible).
using ObjectReader = std::function<Result<size_t>(char* buffer, size_t capacity)>;
// Receives an object's bytes in order; an error stops the read and is returned.
using ObjectWriter = std::function<Status(std::string_view bytes)>;

struct PutObjectOptions {
  std::string content_type;  // empty = application/octet-stream
  std::map<std::string, std::string> metadata;
  // Write only if the current object's ETag equals this; FAILED_PRECONDITION otherwise,
  // including when there is no current object.
  std::optional<std::string> if_match;
  // Only "*" is accepted: write only if the key does not exist (create-only).
  std::optional<std::string> if_none_match;
};

// An HTTP byte range. Exactly one form: first..last (last absent = to the end), or the
// last suffix_length bytes.
struct ByteRange {
  std::optional<uint64_t> first;
  std::optional<uint64_t> last;
  std::optional<uint64_t> suffix_length;

  // Parses "bytes=0-99", "bytes=100-" or "bytes=-500". INVALID_ARGUMENT when malformed;
  // several ranges are refused.
  K3_EXPORT static Result<ByteRange> Parse(std::string_view header);
};

struct GetObjectOptions {
  // Read only these bytes. A range that starts at or past the end is OUT_OF_RANGE
  // (HTTP 416); a last byte past the end is clamped.
  std::optional<ByteRange> range;
  std::optional<std::string> if_match;             // FAILED_PRECONDITION if the ETag differs
  std::optional<std::string> if_none_match;        // not_modified if the ETag matches (or "*")
  std::optional<TimestampMs> if_modified_since;    // not_modified unless updated after it
  std::optional<TimestampMs> if_unmodified_since;  // FAILED_PRECONDITION if updated after it
};

struct GetObjectResult {
  ObjectInfo info;
  std::string body;           // empty for the streaming form and when not_modified
  bool not_modified = false;  // a conditional GET whose condition says "not modified" (304)
  bool partial = false;       // a range was served (206): bytes range_first..range_last
  uint64_t range_first = 0;
  uint64_t range_last = 0;  // inclusive; meaningless for an empty object
};

struct DeleteObjectResult {
  std::string key;
  Status status;  // OK also when the key did not exist (delete is idempotent)
};

enum class MetadataDirective : int { kCopy = 0, kReplace = 1 };

struct CopyObjectRequest {
  std::string source_bucket;
  std::string source_key;
  std::string bucket;
  std::string key;
  MetadataDirective metadata_directive = MetadataDirective::kCopy;
  std::string content_type;                     // used with kReplace
  std::map<std::string, std::string> metadata;  // used with kReplace
  std::optional<std::string> source_if_match;   // FAILED_PRECONDITION if the source ETag differs
};

struct ListObjectsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;           // empty = no grouping into common prefixes
  std::string start_after;         // list keys strictly after this one
  std::string continuation_token;  // from a previous truncated response
  int max_keys = 0;                // 0 = 1000; values above 1000 are capped at 1000
};

// Keys and common prefixes come in byte order of their UTF-8 bytes. Together they count
// up to max_keys per page.
struct ListObjectsResponse {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;  // set when is_truncated
};

struct MultipartUpload {
  std::string upload_id;
  std::string bucket;
  std::string key;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  TimestampMs initiated_at = 0;
};

struct PartInfo {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // MD5 hex of the part
  TimestampMs last_modified = 0;
};

struct CompletedPart {
  uint32_t part_number = 0;
  std::string etag;
};

struct ListPartsResponse {
  std::vector<PartInfo> parts;  // ascending part numbers
  bool is_truncated = false;
  uint32_t next_part_number_marker = 0;
};

struct ListMultipartUploadsResponse {
  std::vector<MultipartUpload> uploads;  // by key, then by initiation
  bool is_truncated = false;
  std::string next_page_token;
};

// S3's limits for multipart uploads.
inline constexpr uint32_t kMaxPartNumber = 10000;
inline constexpr uint64_t kMinPartSize = 5ull << 20;  // every part but the last

struct CorsRule {
  std::vector<std::string> allowed_origins;  // required, non-empty; "*" allowed
  std::vector<std::string> allowed_methods;  // required; GET PUT POST DELETE HEAD
  std::vector<std::string> allowed_headers;
  std::vector<std::string> expose_headers;
  int32_t max_age_seconds = 0;
};

struct CorsConfiguration {
  std::vector<CorsRule> cors_rules;  // 1..100 rules
};

enum class PresignMethod : int { kGet = 0, kPut = 1 };

struct PresignRequest {
  std::string bucket;
  std::string key;
  PresignMethod method = PresignMethod::kGet;
  std::string endpoint;  // scheme://host[:port] of the S3 endpoint that will verify it
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  int64_t expires_seconds = 3600;     // 1..86400
  bool virtual_hosted_style = false;  // bucket in the host name instead of the path
  TimestampMs now = 0;                // signing time; 0 = the clock's now
};

struct PresignedUrl {
  std::string url;
  std::string method;  // "GET" or "PUT"
  TimestampMs expires_at = 0;
};

class K3_EXPORT StorageService {
 public:
  class Impl;
  explicit StorageService(Impl* impl) : impl_(impl) {}

  // Buckets. create: ALREADY_EXISTS for a taken name; also creates the bucket's internal
  // source. delete: FAILED_PRECONDITION when not empty and not forced.
  Result<Bucket> create_bucket(const CreateBucketRequest& request);
  Result<Bucket> get_bucket(std::string_view name);
  Result<ListBucketsResponse> list_buckets(const ListBucketsRequest& request = {});
  Result<Bucket> update_bucket(const UpdateBucketRequest& request);
  Status delete_bucket(const DeleteBucketRequest& request);

  // Objects. put_object replaces an existing object atomically; quota overruns are
  // RESOURCE_EXHAUSTED with nothing written.
  Result<ObjectInfo> put_object(std::string_view bucket, std::string_view key,
                                std::string_view bytes, const PutObjectOptions& options = {});
  // Streams the bytes from `reader` in chunks, with memory bounded by the chunk size
  // (objects larger than memory work). Nothing is visible until the reader reports the end.
  Result<ObjectInfo> put_object_stream(std::string_view bucket, std::string_view key,
                                       const ObjectReader& reader,
                                       const PutObjectOptions& options = {});
  Result<GetObjectResult> get_object(std::string_view bucket, std::string_view key,
                                     const GetObjectOptions& options = {});
  // As get_object, but the bytes go to `writer` chunk by chunk; result.body stays empty.
  Result<GetObjectResult> get_object_stream(std::string_view bucket, std::string_view key,
                                            const ObjectWriter& writer,
                                            const GetObjectOptions& options = {});
  Result<ObjectInfo> head_object(std::string_view bucket, std::string_view key);
  // Idempotent: deleting a missing key is OK (and appends no event).
  Status delete_object(std::string_view bucket, std::string_view key);
  // One result per key, in the order given; at most 1000 keys.
  Result<std::vector<DeleteObjectResult>> delete_objects(std::string_view bucket,
                                                         const std::vector<std::string>& keys);
  Result<ObjectInfo> copy_object(const CopyObjectRequest& request);
  Result<ListObjectsResponse> list_objects(const ListObjectsRequest& request);

  // Multipart uploads, with S3's rules (see kMaxPartNumber, kMinPartSize). Completing does
  // not copy the parts' bytes.
  Result<MultipartUpload> create_multipart_upload(std::string_view bucket, std::string_view key,
                                                  const PutObjectOptions& options = {});
  Result<PartInfo> upload_part(std::string_view bucket, std::string_view key,
                               std::string_view upload_id, uint32_t part_number,
                               std::string_view bytes);
  Result<PartInfo> upload_part_stream(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id, uint32_t part_number,
                                      const ObjectReader& reader);
  // Parts after part_number_marker, at most max_parts (0 = 1000).
  Result<ListPartsResponse> list_parts(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id, int max_parts = 0,
                                       uint32_t part_number_marker = 0);
  Result<ListMultipartUploadsResponse> list_multipart_uploads(std::string_view bucket,
                                                              std::string_view prefix = {},
                                                              int max_uploads = 0,
                                                              std::string_view page_token = {});
  Result<ObjectInfo> complete_multipart_upload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id,
                                               const std::vector<CompletedPart>& parts);
  // Frees the parts. NOT_FOUND for an unknown upload.
  Status abort_multipart_upload(std::string_view bucket, std::string_view key,
                                std::string_view upload_id);

  // Bucket policy (an IAM-style JSON document, shape-validated) and CORS configuration.
  // get_* answer NOT_FOUND when none is set.
  Status put_bucket_policy(std::string_view bucket, std::string_view policy_json);
  Result<std::string> get_bucket_policy(std::string_view bucket);
  Status delete_bucket_policy(std::string_view bucket);
  Status put_bucket_cors(std::string_view bucket, const CorsConfiguration& cors);
  Result<CorsConfiguration> get_bucket_cors(std::string_view bucket);
  Status delete_bucket_cors(std::string_view bucket);

  // A SigV4 query-signed URL (AWS4-HMAC-SHA256, UNSIGNED-PAYLOAD). For GET the object must
  // exist (NOT_FOUND otherwise).
  Result<PresignedUrl> presign_url(const PresignRequest& request);

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_STORAGE_H_
