// StorageService's RPCs (K3's dodil.k3.storage.v1) in the RPC table: each handler reads its
// request with the codecs of storage_json.h, calls Db::storage() and answers in wire form.
// Object bytes travel as base64 ("body").
#include <string>
#include <utility>
#include <vector>

#include "wire/rpc_table.h"
#include "wire/storage_json.h"

namespace k3::wire {

namespace {

constexpr int64_t kDefaultExpiresSeconds = 3600;
constexpr int64_t kMaxExpiresSeconds = 86400;

// The fields {bucket, key} common to object methods.
Status GetBucketKey(const Fields& f, std::string* bucket, std::string* key) {
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  return f.Get("key", key);
}

// ---- Buckets ----

// {name, description, storageQuotaBytes, accessMode} -> Bucket
Result<Json> CreateBucket(Db& db, const Json& req) {
  CreateBucketRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Bucket b, db.storage().create_bucket(r));
  return ToJson(b);
}

// {name} -> Bucket
Result<Json> GetBucket(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string name;
  K3_RETURN_IF_ERROR(f.Get("name", &name));
  K3_ASSIGN_OR_RETURN(Bucket b, db.storage().get_bucket(name));
  return ToJson(b);
}

// {pageSize, pageToken, search} -> {buckets, pagination}
Result<Json> ListBuckets(Db& db, const Json& req) {
  ListBucketsRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListBucketsResponse resp, db.storage().list_buckets(r));
  return ToJson(resp);
}

// {name, description?, storageQuotaBytes?, accessMode?} (absent = unchanged) -> Bucket
Result<Json> UpdateBucket(Db& db, const Json& req) {
  UpdateBucketRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Bucket b, db.storage().update_bucket(r));
  return ToJson(b);
}

// {name, force} -> {}
Result<Json> DeleteBucket(Db& db, const Json& req) {
  DeleteBucketRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_RETURN_IF_ERROR(db.storage().delete_bucket(r));
  return EmptyResponse();
}

// ---- Objects ----

// {bucket, key, body (base64), contentType, metadata, ifMatch?, ifNoneMatch?} -> ObjectInfo
Result<Json> PutObject(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key, body;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(f.GetBase64("body", &body));
  PutObjectOptions options;
  K3_RETURN_IF_ERROR(FromJson(req, &options));
  K3_ASSIGN_OR_RETURN(ObjectInfo info, db.storage().put_object(bucket, key, body, options));
  return ToJson(info);
}

// {bucket, key, range?, ifMatch?, ifNoneMatch?, ifModifiedSince?, ifUnmodifiedSince?}
//   -> {info, body (base64), notModified, partial, rangeFirst, rangeLast}
Result<Json> GetObject(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  GetObjectOptions options;
  K3_RETURN_IF_ERROR(FromJson(req, &options));
  K3_ASSIGN_OR_RETURN(GetObjectResult result, db.storage().get_object(bucket, key, options));
  return ToJson(result);
}

// {bucket, key} -> ObjectInfo (GetObjectInfo, alias HeadObject)
Result<Json> GetObjectInfo(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_ASSIGN_OR_RETURN(ObjectInfo info, db.storage().head_object(bucket, key));
  return ToJson(info);
}

// {bucket, key} -> {}
Result<Json> DeleteObject(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(db.storage().delete_object(bucket, key));
  return EmptyResponse();
}

// {bucket, keys: [...]} -> {results: [{key, ok, error: {code, message} | null}]}
Result<Json> DeleteObjects(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  std::vector<std::string> keys;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("keys", &keys));
  K3_ASSIGN_OR_RETURN(std::vector<DeleteObjectResult> results,
                      db.storage().delete_objects(bucket, keys));
  Json out = Json::array();
  for (const DeleteObjectResult& r : results) out.push_back(ToJson(r));
  return Json{{"results", std::move(out)}};
}

// {sourceBucket, sourceKey, bucket, key, metadataDirective, contentType, metadata,
//  sourceIfMatch?} -> ObjectInfo
Result<Json> CopyObject(Db& db, const Json& req) {
  CopyObjectRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ObjectInfo info, db.storage().copy_object(r));
  return ToJson(info);
}

// {bucket, prefix, delimiter, startAfter, continuationToken, maxKeys} -> ListObjectsResponse
Result<Json> ListObjects(Db& db, const Json& req) {
  ListObjectsRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListObjectsResponse resp, db.storage().list_objects(r));
  return ToJson(resp);
}

// ---- Multipart uploads ----

// {bucket, key, contentType, metadata} -> MultipartUpload
Result<Json> CreateMultipartUpload(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  PutObjectOptions options;
  K3_RETURN_IF_ERROR(FromJson(req, &options));
  K3_ASSIGN_OR_RETURN(MultipartUpload upload,
                      db.storage().create_multipart_upload(bucket, key, options));
  return ToJson(upload);
}

// {bucket, key, uploadId, partNumber, body (base64)} -> PartInfo
Result<Json> UploadPart(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key, upload_id, body;
  uint32_t part_number = 0;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(f.Get("uploadId", &upload_id));
  K3_RETURN_IF_ERROR(f.Get("partNumber", &part_number));
  K3_RETURN_IF_ERROR(f.GetBase64("body", &body));
  K3_ASSIGN_OR_RETURN(PartInfo part,
                      db.storage().upload_part(bucket, key, upload_id, part_number, body));
  return ToJson(part);
}

// {bucket, key, uploadId, maxParts, partNumberMarker}
//   -> {parts, isTruncated, nextPartNumberMarker}
Result<Json> ListParts(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key, upload_id;
  int32_t max_parts = 0;
  uint32_t marker = 0;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(f.Get("uploadId", &upload_id));
  K3_RETURN_IF_ERROR(f.Get("maxParts", &max_parts));
  K3_RETURN_IF_ERROR(f.Get("partNumberMarker", &marker));
  K3_ASSIGN_OR_RETURN(ListPartsResponse resp,
                      db.storage().list_parts(bucket, key, upload_id, max_parts, marker));
  return ToJson(resp);
}

// {bucket, prefix, maxUploads, pageToken} -> {uploads, isTruncated, nextPageToken}
Result<Json> ListMultipartUploads(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, prefix, page_token;
  int32_t max_uploads = 0;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("prefix", &prefix));
  K3_RETURN_IF_ERROR(f.Get("maxUploads", &max_uploads));
  K3_RETURN_IF_ERROR(f.Get("pageToken", &page_token));
  K3_ASSIGN_OR_RETURN(ListMultipartUploadsResponse resp,
                      db.storage().list_multipart_uploads(bucket, prefix, max_uploads, page_token));
  return ToJson(resp);
}

// {bucket, key, uploadId, parts: [{partNumber, etag}]} -> ObjectInfo
Result<Json> CompleteMultipartUpload(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key, upload_id;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(f.Get("uploadId", &upload_id));
  const Json* array = nullptr;
  std::string path;
  K3_RETURN_IF_ERROR(f.GetArray("parts", &array, &path));
  std::vector<CompletedPart> parts;
  if (array != nullptr) {
    parts.resize(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      K3_RETURN_IF_ERROR(FromJson((*array)[i], &parts[i], IndexPath(path, i)));
    }
  }
  K3_ASSIGN_OR_RETURN(ObjectInfo info,
                      db.storage().complete_multipart_upload(bucket, key, upload_id, parts));
  return ToJson(info);
}

// {bucket, key, uploadId} -> {}
Result<Json> AbortMultipartUpload(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, key, upload_id;
  K3_RETURN_IF_ERROR(GetBucketKey(f, &bucket, &key));
  K3_RETURN_IF_ERROR(f.Get("uploadId", &upload_id));
  K3_RETURN_IF_ERROR(db.storage().abort_multipart_upload(bucket, key, upload_id));
  return EmptyResponse();
}

// ---- Policy and CORS ----

// {bucket, policy (a JSON document as a string, or as JSON itself)} -> {}
Result<Json> PutBucketPolicy(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, policy;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  if (const Json* p = f.Find("policy")) {
    if (p->is_string()) {
      policy = p->get<std::string>();
    } else if (p->is_object() || p->is_array()) {
      policy = DumpJson(*p);
    } else {
      return FieldError(f.PathOf("policy"),
                        "expected a JSON policy document (an object or a string), got " +
                            std::string(p->is_number() ? "number" : p->type_name()));
    }
  }
  K3_RETURN_IF_ERROR(db.storage().put_bucket_policy(bucket, policy));
  return EmptyResponse();
}

// {bucket} -> {policy: "<JSON document as a string>"}
Result<Json> GetBucketPolicy(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(std::string policy, db.storage().get_bucket_policy(bucket));
  return Json{{"policy", std::move(policy)}};
}

// {bucket} -> {}
Result<Json> DeleteBucketPolicy(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(db.storage().delete_bucket_policy(bucket));
  return EmptyResponse();
}

// {bucket, corsRules: [...]}, or {bucket, cors: {corsRules}} -> {}
Result<Json> PutBucketCors(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  CorsConfiguration cors;
  if (f.Has("corsRules")) {
    K3_RETURN_IF_ERROR(FromJson(req, &cors));
  } else {
    for (std::string_view name : {"cors", "corsConfiguration"}) {
      if (const Json* c = f.Find(name)) {
        K3_RETURN_IF_ERROR(FromJson(*c, &cors, f.PathOf(name)));
        break;
      }
    }
  }
  K3_RETURN_IF_ERROR(db.storage().put_bucket_cors(bucket, cors));
  return EmptyResponse();
}

// {bucket} -> {corsRules}
Result<Json> GetBucketCors(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(CorsConfiguration cors, db.storage().get_bucket_cors(bucket));
  return ToJson(cors);
}

// {bucket} -> {}
Result<Json> DeleteBucketCors(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(db.storage().delete_bucket_cors(bucket));
  return EmptyResponse();
}

// ---- Presigned URLs ----

// {bucket, key, method, endpoint, region, accessKeyId, secretAccessKey, expiresSeconds
//  (0 or absent = 3600; at most 86400), virtualHostedStyle, now} -> {url, method, expiresAt}
Result<Json> GetObjectUrl(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  PresignRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  if (r.expires_seconds == 0) r.expires_seconds = kDefaultExpiresSeconds;
  if (r.expires_seconds < 0 || r.expires_seconds > kMaxExpiresSeconds) {
    return FieldError(f.PathOf("expiresSeconds"),
                      "must be between 1 and " + std::to_string(kMaxExpiresSeconds) +
                          " seconds, got " + std::to_string(r.expires_seconds));
  }
  K3_ASSIGN_OR_RETURN(PresignedUrl url, db.storage().presign_url(r));
  return ToJson(url);
}

}  // namespace

void RegisterStorageRpcs(RpcTable& table) {
  constexpr std::string_view kService = "StorageService";
  table.Add(kService, "CreateBucket", &CreateBucket);
  table.Add(kService, "GetBucket", &GetBucket);
  table.Add(kService, "ListBuckets", &ListBuckets);
  table.Add(kService, "UpdateBucket", &UpdateBucket);
  table.Add(kService, "DeleteBucket", &DeleteBucket);
  table.Add(kService, "PutObject", &PutObject);
  table.Add(kService, "GetObject", &GetObject);
  table.Add(kService, "GetObjectInfo", &GetObjectInfo);
  table.Add(kService, "HeadObject", &GetObjectInfo);
  table.Add(kService, "DeleteObject", &DeleteObject);
  table.Add(kService, "DeleteObjects", &DeleteObjects);
  table.Add(kService, "CopyObject", &CopyObject);
  table.Add(kService, "ListObjects", &ListObjects);
  table.Add(kService, "CreateMultipartUpload", &CreateMultipartUpload);
  table.Add(kService, "UploadPart", &UploadPart);
  table.Add(kService, "ListParts", &ListParts);
  table.Add(kService, "ListMultipartUploads", &ListMultipartUploads);
  table.Add(kService, "CompleteMultipartUpload", &CompleteMultipartUpload);
  table.Add(kService, "AbortMultipartUpload", &AbortMultipartUpload);
  table.Add(kService, "PutBucketPolicy", &PutBucketPolicy);
  table.Add(kService, "GetBucketPolicy", &GetBucketPolicy);
  table.Add(kService, "DeleteBucketPolicy", &DeleteBucketPolicy);
  table.Add(kService, "PutBucketCors", &PutBucketCors);
  table.Add(kService, "GetBucketCors", &GetBucketCors);
  table.Add(kService, "DeleteBucketCors", &DeleteBucketCors);
  table.Add(kService, "GetObjectUrl", &GetObjectUrl);
}

}  // namespace k3::wire
