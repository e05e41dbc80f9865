// wire/storage_json.h: the K3 JSON form of StorageService's types (k3/storage.h), both ways,
// following the conventions of wire/json_util.h.
//
// ToJson emits every field, camelCase, 64-bit integers as strings, enums by wire name.
// FromJson reads camelCase or snake_case, leaves absent fields as they are in *out (so
// initialise *out with the defaults first) and returns INVALID_ARGUMENT naming the field for
// a wrong-typed one; `path` prefixes the field names in messages (for nested documents).
// Byte fields (object bodies) travel as base64.
// Thread-safety: free functions on values.
#ifndef K3_WIRE_STORAGE_JSON_H_
#define K3_WIRE_STORAGE_JSON_H_

#include <string_view>

#include "k3/storage.h"
#include "wire/json_util.h"

namespace k3::wire {

inline constexpr EnumName kBucketStatusNames[] = {
    {static_cast<int>(BucketStatus::kUnspecified), "BUCKET_STATUS_UNSPECIFIED"},
    {static_cast<int>(BucketStatus::kActive), "BUCKET_STATUS_ACTIVE"},
};
inline constexpr EnumInfo kBucketStatusEnum{"BUCKET_STATUS_", kBucketStatusNames};

inline constexpr EnumName kBucketAccessModeNames[] = {
    {static_cast<int>(BucketAccessMode::kUnspecified), "BUCKET_ACCESS_MODE_UNSPECIFIED"},
    {static_cast<int>(BucketAccessMode::kPrivate), "BUCKET_ACCESS_MODE_PRIVATE"},
    {static_cast<int>(BucketAccessMode::kPublicRead), "BUCKET_ACCESS_MODE_PUBLIC_READ"},
};
inline constexpr EnumInfo kBucketAccessModeEnum{"BUCKET_ACCESS_MODE_", kBucketAccessModeNames};

// Sent as "COPY" | "REPLACE" (S3's x-amz-metadata-directive values).
inline constexpr EnumName kMetadataDirectiveNames[] = {
    {static_cast<int>(MetadataDirective::kCopy), "COPY"},
    {static_cast<int>(MetadataDirective::kReplace), "REPLACE"},
};
inline constexpr EnumInfo kMetadataDirectiveEnum{"", kMetadataDirectiveNames};

// Sent as "GET" | "PUT".
inline constexpr EnumName kPresignMethodNames[] = {
    {static_cast<int>(PresignMethod::kGet), "GET"},
    {static_cast<int>(PresignMethod::kPut), "PUT"},
};
inline constexpr EnumInfo kPresignMethodEnum{"", kPresignMethodNames};

// Buckets.
Json ToJson(const Bucket& v);
Status FromJson(const Json& j, Bucket* out, std::string_view path = {});
Json ToJson(const CreateBucketRequest& v);
Status FromJson(const Json& j, CreateBucketRequest* out, std::string_view path = {});
// Absent optionals are emitted as null (null reads back as absent).
Json ToJson(const UpdateBucketRequest& v);
Status FromJson(const Json& j, UpdateBucketRequest* out, std::string_view path = {});
Json ToJson(const ListBucketsRequest& v);
Status FromJson(const Json& j, ListBucketsRequest* out, std::string_view path = {});
// {buckets, pagination}
Json ToJson(const ListBucketsResponse& v);
Status FromJson(const Json& j, ListBucketsResponse* out, std::string_view path = {});
Json ToJson(const DeleteBucketRequest& v);
Status FromJson(const Json& j, DeleteBucketRequest* out, std::string_view path = {});

// Objects. ObjectInfo also carries lastModified (= updatedAt, S3's name); on input updatedAt
// wins and lastModified is read when updatedAt is absent.
Json ToJson(const ObjectInfo& v);
Status FromJson(const Json& j, ObjectInfo* out, std::string_view path = {});
// {contentType, metadata, ifMatch, ifNoneMatch}
Json ToJson(const PutObjectOptions& v);
Status FromJson(const Json& j, PutObjectOptions* out, std::string_view path = {});
// "bytes=0-99", "bytes=100-", "bytes=-500".
std::string ByteRangeHeader(const ByteRange& range);
// {range ("bytes=..."), ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince}
Json ToJson(const GetObjectOptions& v);
Status FromJson(const Json& j, GetObjectOptions* out, std::string_view path = {});
// {info, body (base64), notModified, partial, rangeFirst, rangeLast}
Json ToJson(const GetObjectResult& v);
Status FromJson(const Json& j, GetObjectResult* out, std::string_view path = {});
// {key, ok, error: {code, message} | null}
Json ToJson(const DeleteObjectResult& v);
Status FromJson(const Json& j, DeleteObjectResult* out, std::string_view path = {});
Json ToJson(const CopyObjectRequest& v);
Status FromJson(const Json& j, CopyObjectRequest* out, std::string_view path = {});
Json ToJson(const ListObjectsRequest& v);
Status FromJson(const Json& j, ListObjectsRequest* out, std::string_view path = {});
// {objects, commonPrefixes, isTruncated, nextContinuationToken, keyCount}; keyCount
// (objects + common prefixes) is output only.
Json ToJson(const ListObjectsResponse& v);
Status FromJson(const Json& j, ListObjectsResponse* out, std::string_view path = {});

// Multipart uploads.
Json ToJson(const MultipartUpload& v);
Status FromJson(const Json& j, MultipartUpload* out, std::string_view path = {});
Json ToJson(const PartInfo& v);
Status FromJson(const Json& j, PartInfo* out, std::string_view path = {});
Json ToJson(const CompletedPart& v);
Status FromJson(const Json& j, CompletedPart* out, std::string_view path = {});
// {parts, isTruncated, nextPartNumberMarker}
Json ToJson(const ListPartsResponse& v);
Status FromJson(const Json& j, ListPartsResponse* out, std::string_view path = {});
// {uploads, isTruncated, nextPageToken}
Json ToJson(const ListMultipartUploadsResponse& v);
Status FromJson(const Json& j, ListMultipartUploadsResponse* out, std::string_view path = {});

// CORS: {corsRules: [{allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders,
// maxAgeSeconds}]}.
Json ToJson(const CorsRule& v);
Status FromJson(const Json& j, CorsRule* out, std::string_view path = {});
Json ToJson(const CorsConfiguration& v);
Status FromJson(const Json& j, CorsConfiguration* out, std::string_view path = {});

// Presigned URLs. PresignRequest: {bucket, key, method, endpoint, region, accessKeyId,
// secretAccessKey, expiresSeconds, virtualHostedStyle, now}; an empty region reads as the
// default (us-east-1).
Json ToJson(const PresignRequest& v);
Status FromJson(const Json& j, PresignRequest* out, std::string_view path = {});
Json ToJson(const PresignedUrl& v);
Status FromJson(const Json& j, PresignedUrl* out, std::string_view path = {});

}  // namespace k3::wire

#endif  // K3_WIRE_STORAGE_JSON_H_
