// The K3 JSON form of StorageService's types: see storage_json.h.
#include "wire/storage_json.h"

#include <utility>

#include "util/hash.h"

namespace k3::wire {

namespace {

// A list of T from the array field `name` (absent or null leaves *out as it is).
template <typename T>
Status GetList(const Fields& f, std::string_view name, std::vector<T>* out) {
  const Json* array = nullptr;
  std::string path;
  K3_RETURN_IF_ERROR(f.GetArray(name, &array, &path));
  if (array == nullptr) return Status::Ok();
  std::vector<T> list(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    K3_RETURN_IF_ERROR(FromJson((*array)[i], &list[i], IndexPath(path, i)));
  }
  *out = std::move(list);
  return Status::Ok();
}

template <typename T>
Json ListJson(const std::vector<T>& list) {
  Json out = Json::array();
  for (const T& v : list) out.push_back(ToJson(v));
  return out;
}

template <typename T>
Json OptionalJson(const std::optional<T>& v) {
  return v.has_value() ? Json(*v) : Json(nullptr);
}

Json OptionalInt64Json(const std::optional<int64_t>& v) {
  return v.has_value() ? Int64Json(*v) : Json(nullptr);
}

}  // namespace

// ---- Buckets ----

Json ToJson(const Bucket& v) {
  return Json{
      {"name", v.name},
      {"description", v.description},
      {"status", EnumJson(kBucketStatusEnum, v.status)},
      {"internalSourceId", v.internal_source_id},
      {"storageUsedBytes", Uint64Json(v.storage_used_bytes)},
      {"storageQuotaBytes", Uint64Json(v.storage_quota_bytes)},
      {"objectCount", Uint64Json(v.object_count)},
      {"sourceCount", Uint64Json(v.source_count)},
      {"ruleCount", Uint64Json(v.rule_count)},
      {"indexCount", Uint64Json(v.index_count)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"accessMode", EnumJson(kBucketAccessModeEnum, v.access_mode)},
  };
}

Status FromJson(const Json& j, Bucket* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.GetEnum("status", kBucketStatusEnum, &out->status));
  K3_RETURN_IF_ERROR(f.Get("internalSourceId", &out->internal_source_id));
  K3_RETURN_IF_ERROR(f.Get("storageUsedBytes", &out->storage_used_bytes));
  K3_RETURN_IF_ERROR(f.Get("storageQuotaBytes", &out->storage_quota_bytes));
  K3_RETURN_IF_ERROR(f.Get("objectCount", &out->object_count));
  K3_RETURN_IF_ERROR(f.Get("sourceCount", &out->source_count));
  K3_RETURN_IF_ERROR(f.Get("ruleCount", &out->rule_count));
  K3_RETURN_IF_ERROR(f.Get("indexCount", &out->index_count));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  K3_RETURN_IF_ERROR(f.Get("updatedAt", &out->updated_at));
  return f.GetEnum("accessMode", kBucketAccessModeEnum, &out->access_mode);
}

Json ToJson(const CreateBucketRequest& v) {
  return Json{
      {"name", v.name},
      {"description", v.description},
      {"storageQuotaBytes", Uint64Json(v.storage_quota_bytes)},
      {"accessMode", EnumJson(kBucketAccessModeEnum, v.access_mode)},
  };
}

Status FromJson(const Json& j, CreateBucketRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("storageQuotaBytes", &out->storage_quota_bytes));
  return f.GetEnum("accessMode", kBucketAccessModeEnum, &out->access_mode);
}

Json ToJson(const UpdateBucketRequest& v) {
  return Json{
      {"name", v.name},
      {"description", OptionalJson(v.description)},
      {"storageQuotaBytes",
       v.storage_quota_bytes ? Uint64Json(*v.storage_quota_bytes) : Json(nullptr)},
      {"accessMode",
       v.access_mode ? EnumJson(kBucketAccessModeEnum, *v.access_mode) : Json(nullptr)},
  };
}

Status FromJson(const Json& j, UpdateBucketRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("storageQuotaBytes", &out->storage_quota_bytes));
  return f.GetEnum("accessMode", kBucketAccessModeEnum, &out->access_mode);
}

Json ToJson(const ListBucketsRequest& v) {
  return Json{{"pageSize", v.page_size}, {"pageToken", v.page_token}, {"search", v.search}};
}

Status FromJson(const Json& j, ListBucketsRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("pageSize", &out->page_size));
  K3_RETURN_IF_ERROR(f.Get("pageToken", &out->page_token));
  return f.Get("search", &out->search);
}

Json ToJson(const ListBucketsResponse& v) {
  return Json{{"buckets", ListJson(v.buckets)}, {"pagination", PaginationJson(v.pagination)}};
}

Status FromJson(const Json& j, ListBucketsResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "buckets", &out->buckets));
  if (const Json* p = f.Find("pagination")) {
    K3_RETURN_IF_ERROR(ParsePagination(*p, f.PathOf("pagination"), &out->pagination));
  }
  return Status::Ok();
}

Json ToJson(const DeleteBucketRequest& v) { return Json{{"name", v.name}, {"force", v.force}}; }

Status FromJson(const Json& j, DeleteBucketRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  return f.Get("force", &out->force);
}

// ---- Objects ----

Json ToJson(const ObjectInfo& v) {
  return Json{
      {"bucket", v.bucket},
      {"key", v.key},
      {"size", Uint64Json(v.size)},
      {"etag", v.etag},
      {"contentType", v.content_type},
      {"metadata", StringMapJson(v.metadata)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"lastModified", Int64Json(v.updated_at)},
      {"partsCount", v.parts_count},
  };
}

Status FromJson(const Json& j, ObjectInfo* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  K3_RETURN_IF_ERROR(f.Get("size", &out->size));
  K3_RETURN_IF_ERROR(f.Get("etag", &out->etag));
  K3_RETURN_IF_ERROR(f.Get("contentType", &out->content_type));
  K3_RETURN_IF_ERROR(f.Get("metadata", &out->metadata));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  if (f.Has("updatedAt")) {
    K3_RETURN_IF_ERROR(f.Get("updatedAt", &out->updated_at));
  } else {
    K3_RETURN_IF_ERROR(f.Get("lastModified", &out->updated_at));
  }
  return f.Get("partsCount", &out->parts_count);
}

Json ToJson(const PutObjectOptions& v) {
  return Json{
      {"contentType", v.content_type},
      {"metadata", StringMapJson(v.metadata)},
      {"ifMatch", OptionalJson(v.if_match)},
      {"ifNoneMatch", OptionalJson(v.if_none_match)},
  };
}

Status FromJson(const Json& j, PutObjectOptions* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("contentType", &out->content_type));
  K3_RETURN_IF_ERROR(f.Get("metadata", &out->metadata));
  K3_RETURN_IF_ERROR(f.Get("ifMatch", &out->if_match));
  return f.Get("ifNoneMatch", &out->if_none_match);
}

std::string ByteRangeHeader(const ByteRange& range) {
  std::string out = "bytes=";
  if (range.suffix_length) return out + "-" + std::to_string(*range.suffix_length);
  out += std::to_string(range.first.value_or(0));
  out += '-';
  if (range.last) out += std::to_string(*range.last);
  return out;
}

Json ToJson(const GetObjectOptions& v) {
  return Json{
      {"range", v.range ? Json(ByteRangeHeader(*v.range)) : Json(nullptr)},
      {"ifMatch", OptionalJson(v.if_match)},
      {"ifNoneMatch", OptionalJson(v.if_none_match)},
      {"ifModifiedSince", OptionalInt64Json(v.if_modified_since)},
      {"ifUnmodifiedSince", OptionalInt64Json(v.if_unmodified_since)},
  };
}

Status FromJson(const Json& j, GetObjectOptions* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  std::optional<std::string> range;
  K3_RETURN_IF_ERROR(f.Get("range", &range));
  if (range && !range->empty()) {
    Result<ByteRange> parsed = ByteRange::Parse(*range);
    if (!parsed.ok()) return FieldError(f.PathOf("range"), parsed.status().message());
    out->range = std::move(parsed).value();
  }
  K3_RETURN_IF_ERROR(f.Get("ifMatch", &out->if_match));
  K3_RETURN_IF_ERROR(f.Get("ifNoneMatch", &out->if_none_match));
  K3_RETURN_IF_ERROR(f.Get("ifModifiedSince", &out->if_modified_since));
  return f.Get("ifUnmodifiedSince", &out->if_unmodified_since);
}

Json ToJson(const GetObjectResult& v) {
  return Json{
      {"info", ToJson(v.info)},
      {"body", util::Base64Encode(v.body)},
      {"notModified", v.not_modified},
      {"partial", v.partial},
      {"rangeFirst", Uint64Json(v.range_first)},
      {"rangeLast", Uint64Json(v.range_last)},
  };
}

Status FromJson(const Json& j, GetObjectResult* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  if (const Json* info = f.Find("info")) {
    K3_RETURN_IF_ERROR(FromJson(*info, &out->info, f.PathOf("info")));
  }
  K3_RETURN_IF_ERROR(f.GetBase64("body", &out->body));
  K3_RETURN_IF_ERROR(f.Get("notModified", &out->not_modified));
  K3_RETURN_IF_ERROR(f.Get("partial", &out->partial));
  K3_RETURN_IF_ERROR(f.Get("rangeFirst", &out->range_first));
  return f.Get("rangeLast", &out->range_last);
}

Json ToJson(const DeleteObjectResult& v) {
  return Json{
      {"key", v.key},
      {"ok", v.status.ok()},
      {"error", v.status.ok() ? Json(nullptr) : StatusJson(v.status)},
  };
}

Status FromJson(const Json& j, DeleteObjectResult* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  out->status = Status();
  if (const Json* e = f.Find("error")) {
    K3_RETURN_IF_ERROR(ParseStatus(*e, f.PathOf("error"), &out->status));
  }
  return Status::Ok();
}

Json ToJson(const CopyObjectRequest& v) {
  return Json{
      {"sourceBucket", v.source_bucket},
      {"sourceKey", v.source_key},
      {"bucket", v.bucket},
      {"key", v.key},
      {"metadataDirective", EnumJson(kMetadataDirectiveEnum, v.metadata_directive)},
      {"contentType", v.content_type},
      {"metadata", StringMapJson(v.metadata)},
      {"sourceIfMatch", OptionalJson(v.source_if_match)},
  };
}

Status FromJson(const Json& j, CopyObjectRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("sourceBucket", &out->source_bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceKey", &out->source_key));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  K3_RETURN_IF_ERROR(
      f.GetEnum("metadataDirective", kMetadataDirectiveEnum, &out->metadata_directive));
  K3_RETURN_IF_ERROR(f.Get("contentType", &out->content_type));
  K3_RETURN_IF_ERROR(f.Get("metadata", &out->metadata));
  return f.Get("sourceIfMatch", &out->source_if_match);
}

Json ToJson(const ListObjectsRequest& v) {
  return Json{
      {"bucket", v.bucket},
      {"prefix", v.prefix},
      {"delimiter", v.delimiter},
      {"startAfter", v.start_after},
      {"continuationToken", v.continuation_token},
      {"maxKeys", v.max_keys},
  };
}

Status FromJson(const Json& j, ListObjectsRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("prefix", &out->prefix));
  K3_RETURN_IF_ERROR(f.Get("delimiter", &out->delimiter));
  K3_RETURN_IF_ERROR(f.Get("startAfter", &out->start_after));
  K3_RETURN_IF_ERROR(f.Get("continuationToken", &out->continuation_token));
  return f.Get("maxKeys", &out->max_keys);
}

Json ToJson(const ListObjectsResponse& v) {
  return Json{
      {"objects", ListJson(v.objects)},
      {"commonPrefixes", StringListJson(v.common_prefixes)},
      {"isTruncated", v.is_truncated},
      {"nextContinuationToken", v.next_continuation_token},
      {"keyCount", v.objects.size() + v.common_prefixes.size()},
  };
}

Status FromJson(const Json& j, ListObjectsResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "objects", &out->objects));
  K3_RETURN_IF_ERROR(f.Get("commonPrefixes", &out->common_prefixes));
  K3_RETURN_IF_ERROR(f.Get("isTruncated", &out->is_truncated));
  return f.Get("nextContinuationToken", &out->next_continuation_token);
}

// ---- Multipart uploads ----

Json ToJson(const MultipartUpload& v) {
  return Json{
      {"uploadId", v.upload_id},
      {"bucket", v.bucket},
      {"key", v.key},
      {"contentType", v.content_type},
      {"metadata", StringMapJson(v.metadata)},
      {"initiatedAt", Int64Json(v.initiated_at)},
  };
}

Status FromJson(const Json& j, MultipartUpload* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("uploadId", &out->upload_id));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  K3_RETURN_IF_ERROR(f.Get("contentType", &out->content_type));
  K3_RETURN_IF_ERROR(f.Get("metadata", &out->metadata));
  return f.Get("initiatedAt", &out->initiated_at);
}

Json ToJson(const PartInfo& v) {
  return Json{
      {"partNumber", v.part_number},
      {"size", Uint64Json(v.size)},
      {"etag", v.etag},
      {"lastModified", Int64Json(v.last_modified)},
  };
}

Status FromJson(const Json& j, PartInfo* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("partNumber", &out->part_number));
  K3_RETURN_IF_ERROR(f.Get("size", &out->size));
  K3_RETURN_IF_ERROR(f.Get("etag", &out->etag));
  return f.Get("lastModified", &out->last_modified);
}

Json ToJson(const CompletedPart& v) {
  return Json{{"partNumber", v.part_number}, {"etag", v.etag}};
}

Status FromJson(const Json& j, CompletedPart* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("partNumber", &out->part_number));
  return f.Get("etag", &out->etag);
}

Json ToJson(const ListPartsResponse& v) {
  return Json{
      {"parts", ListJson(v.parts)},
      {"isTruncated", v.is_truncated},
      {"nextPartNumberMarker", v.next_part_number_marker},
  };
}

Status FromJson(const Json& j, ListPartsResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "parts", &out->parts));
  K3_RETURN_IF_ERROR(f.Get("isTruncated", &out->is_truncated));
  return f.Get("nextPartNumberMarker", &out->next_part_number_marker);
}

Json ToJson(const ListMultipartUploadsResponse& v) {
  return Json{
      {"uploads", ListJson(v.uploads)},
      {"isTruncated", v.is_truncated},
      {"nextPageToken", v.next_page_token},
  };
}

Status FromJson(const Json& j, ListMultipartUploadsResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "uploads", &out->uploads));
  K3_RETURN_IF_ERROR(f.Get("isTruncated", &out->is_truncated));
  return f.Get("nextPageToken", &out->next_page_token);
}

// ---- CORS ----

Json ToJson(const CorsRule& v) {
  return Json{
      {"allowedOrigins", StringListJson(v.allowed_origins)},
      {"allowedMethods", StringListJson(v.allowed_methods)},
      {"allowedHeaders", StringListJson(v.allowed_headers)},
      {"exposeHeaders", StringListJson(v.expose_headers)},
      {"maxAgeSeconds", v.max_age_seconds},
  };
}

Status FromJson(const Json& j, CorsRule* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("allowedOrigins", &out->allowed_origins));
  K3_RETURN_IF_ERROR(f.Get("allowedMethods", &out->allowed_methods));
  K3_RETURN_IF_ERROR(f.Get("allowedHeaders", &out->allowed_headers));
  K3_RETURN_IF_ERROR(f.Get("exposeHeaders", &out->expose_headers));
  return f.Get("maxAgeSeconds", &out->max_age_seconds);
}

Json ToJson(const CorsConfiguration& v) { return Json{{"corsRules", ListJson(v.cors_rules)}}; }

Status FromJson(const Json& j, CorsConfiguration* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  return GetList(f, "corsRules", &out->cors_rules);
}

// ---- Presigned URLs ----

Json ToJson(const PresignRequest& v) {
  return Json{
      {"bucket", v.bucket},
      {"key", v.key},
      {"method", EnumJson(kPresignMethodEnum, v.method)},
      {"endpoint", v.endpoint},
      {"region", v.region},
      {"accessKeyId", v.access_key_id},
      {"secretAccessKey", v.secret_access_key},
      {"expiresSeconds", Int64Json(v.expires_seconds)},
      {"virtualHostedStyle", v.virtual_hosted_style},
      {"now", Int64Json(v.now)},
  };
}

Status FromJson(const Json& j, PresignRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("key", &out->key));
  K3_RETURN_IF_ERROR(f.GetEnum("method", kPresignMethodEnum, &out->method));
  K3_RETURN_IF_ERROR(f.Get("endpoint", &out->endpoint));
  K3_RETURN_IF_ERROR(f.Get("region", &out->region));
  if (out->region.empty()) out->region = PresignRequest().region;
  K3_RETURN_IF_ERROR(f.Get("accessKeyId", &out->access_key_id));
  K3_RETURN_IF_ERROR(f.Get("secretAccessKey", &out->secret_access_key));
  K3_RETURN_IF_ERROR(f.Get("expiresSeconds", &out->expires_seconds));
  K3_RETURN_IF_ERROR(f.Get("virtualHostedStyle", &out->virtual_hosted_style));
  return f.Get("now", &out->now);
}

Json ToJson(const PresignedUrl& v) {
  return Json{{"url", v.url}, {"method", v.method}, {"expiresAt", Int64Json(v.expires_at)}};
}

Status FromJson(const Json& j, PresignedUrl* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("url", &out->url));
  K3_RETURN_IF_ERROR(f.Get("method", &out->method));
  return f.Get("expiresAt", &out->expires_at);
}

}  // namespace k3::wire
