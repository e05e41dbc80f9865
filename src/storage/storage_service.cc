// The public StorageService: argument plumbing to StorageService::Impl.
#include "storage/storage_impl.h"

namespace k3 {

Result<Bucket> StorageService::create_bucket(const CreateBucketRequest& r) {
  return impl_->CreateBucket(r);
}
Result<Bucket> StorageService::get_bucket(std::string_view name) { return impl_->GetBucket(name); }
Result<ListBucketsResponse> StorageService::list_buckets(const ListBucketsRequest& r) {
  return impl_->ListBuckets(r);
}
Result<Bucket> StorageService::update_bucket(const UpdateBucketRequest& r) {
  return impl_->UpdateBucket(r);
}
Status StorageService::delete_bucket(const DeleteBucketRequest& r) {
  return impl_->DeleteBucket(r);
}

Result<ObjectInfo> StorageService::put_object(std::string_view bucket, std::string_view key,
                                              std::string_view bytes,
                                              const PutObjectOptions& options) {
  return impl_->PutBytes(bucket, key, bytes, options);
}
Result<ObjectInfo> StorageService::put_object_stream(std::string_view bucket, std::string_view key,
                                                     const ObjectReader& reader,
                                                     const PutObjectOptions& options) {
  return impl_->PutStream(bucket, key, reader, options);
}
Result<GetObjectResult> StorageService::get_object(std::string_view bucket, std::string_view key,
                                                   const GetObjectOptions& options) {
  return impl_->Get(bucket, key, options, nullptr);
}
Result<GetObjectResult> StorageService::get_object_stream(std::string_view bucket,
                                                          std::string_view key,
                                                          const ObjectWriter& writer,
                                                          const GetObjectOptions& options) {
  if (!writer) return InvalidArgument("object writer is empty");
  return impl_->Get(bucket, key, options, &writer);
}
Result<ObjectInfo> StorageService::head_object(std::string_view bucket, std::string_view key) {
  return impl_->Head(bucket, key);
}
Status StorageService::delete_object(std::string_view bucket, std::string_view key) {
  return impl_->Delete(bucket, key);
}
Result<std::vector<DeleteObjectResult>> StorageService::delete_objects(
    std::string_view bucket, const std::vector<std::string>& keys) {
  return impl_->DeleteMany(bucket, keys);
}
Result<ObjectInfo> StorageService::copy_object(const CopyObjectRequest& r) {
  return impl_->Copy(r);
}
Result<ListObjectsResponse> StorageService::list_objects(const ListObjectsRequest& r) {
  return impl_->List(r);
}

Result<MultipartUpload> StorageService::create_multipart_upload(std::string_view bucket,
                                                                std::string_view key,
                                                                const PutObjectOptions& options) {
  return impl_->CreateUpload(bucket, key, options);
}
Result<PartInfo> StorageService::upload_part(std::string_view bucket, std::string_view key,
                                             std::string_view upload_id, uint32_t part_number,
                                             std::string_view bytes) {
  return impl_->UploadPart(bucket, key, upload_id, part_number, storage::ReaderOver(bytes));
}
Result<PartInfo> StorageService::upload_part_stream(std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id,
                                                    uint32_t part_number,
                                                    const ObjectReader& reader) {
  return impl_->UploadPart(bucket, key, upload_id, part_number, reader);
}
Result<ListPartsResponse> StorageService::list_parts(std::string_view bucket, std::string_view key,
                                                     std::string_view upload_id, int max_parts,
                                                     uint32_t part_number_marker) {
  return impl_->ListParts(bucket, key, upload_id, max_parts, part_number_marker);
}
Result<ListMultipartUploadsResponse> StorageService::list_multipart_uploads(
    std::string_view bucket, std::string_view prefix, int max_uploads,
    std::string_view page_token) {
  return impl_->ListUploads(bucket, prefix, max_uploads, page_token);
}
Result<ObjectInfo> StorageService::complete_multipart_upload(
    std::string_view bucket, std::string_view key, std::string_view upload_id,
    const std::vector<CompletedPart>& parts) {
  return impl_->CompleteUpload(bucket, key, upload_id, parts);
}
Status StorageService::abort_multipart_upload(std::string_view bucket, std::string_view key,
                                              std::string_view upload_id) {
  return impl_->AbortUpload(bucket, key, upload_id);
}

Status StorageService::put_bucket_policy(std::string_view bucket, std::string_view policy_json) {
  return impl_->PutPolicy(bucket, policy_json);
}
Result<std::string> StorageService::get_bucket_policy(std::string_view bucket) {
  return impl_->GetPolicy(bucket);
}
Status StorageService::delete_bucket_policy(std::string_view bucket) {
  return impl_->DeletePolicy(bucket);
}
Status StorageService::put_bucket_cors(std::string_view bucket, const CorsConfiguration& cors) {
  return impl_->PutCors(bucket, cors);
}
Result<CorsConfiguration> StorageService::get_bucket_cors(std::string_view bucket) {
  return impl_->GetCors(bucket);
}
Status StorageService::delete_bucket_cors(std::string_view bucket) {
  return impl_->DeleteCors(bucket);
}
Result<PresignedUrl> StorageService::presign_url(const PresignRequest& r) {
  return impl_->Presign(r);
}

}  // namespace k3
