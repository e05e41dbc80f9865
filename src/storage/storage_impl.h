// storage/storage_impl.h: StorageService's implementation.
//
// Concurrency: reads use a store snapshot and take no lock. Every write that changes what a
// bucket holds (objects, uploads, the bucket itself) makes its final decision — preconditions,
// quota, counters — and applies one batch while holding commit_mu_, so counters stay exact and
// conditional writes are atomic. Object bytes are streamed into pending blobs before taking
// the lock; only the small commit batch is written under it.
#ifndef K3_STORAGE_STORAGE_IMPL_H_
#define K3_STORAGE_STORAGE_IMPL_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/event_log_impl.h"
#include "k3/storage.h"
#include "kv/store.h"
#include "sources/source_impl.h"
#include "storage/blob_store.h"
#include "storage/records.h"

namespace k3 {

class K3_HIDDEN StorageService::Impl {
 public:
  Impl(kv::Store* store, EventLog::Impl* events, SourceService::Impl* sources);

  // Removes what a crash left half-written. Called once, at open.
  Status Recover();

  // Called (under the commit lock, before the bucket's records go) when a bucket is deleted,
  // so that services keeping per-bucket data elsewhere (the table engine's file) remove it.
  // An error aborts the deletion. Register before the Db is shared between threads.
  using BucketDeletionHook = std::function<Status(std::string_view bucket)>;
  void AddBucketDeletionHook(BucketDeletionHook hook) {
    deletion_hooks_.push_back(std::move(hook));
  }

  // OK when the bucket exists; NOT_FOUND (or INVALID_ARGUMENT for a bad name) otherwise.
  Status CheckBucket(std::string_view name) const { return LoadBucket(name).status(); }

  // Buckets (bucket_ops.cc).
  Result<Bucket> CreateBucket(const CreateBucketRequest& request);
  Result<Bucket> GetBucket(std::string_view name);
  Result<ListBucketsResponse> ListBuckets(const ListBucketsRequest& request);
  Result<Bucket> UpdateBucket(const UpdateBucketRequest& request);
  Status DeleteBucket(const DeleteBucketRequest& request);
  Status PutPolicy(std::string_view bucket, std::string_view policy_json);
  Result<std::string> GetPolicy(std::string_view bucket);
  Status DeletePolicy(std::string_view bucket);
  Status PutCors(std::string_view bucket, const CorsConfiguration& cors);
  Result<CorsConfiguration> GetCors(std::string_view bucket);
  Status DeleteCors(std::string_view bucket);
  Result<PresignedUrl> Presign(const PresignRequest& request);

  // Objects (object_ops.cc).
  Result<ObjectInfo> PutBytes(std::string_view bucket, std::string_view key, std::string_view bytes,
                              const PutObjectOptions& options);
  Result<ObjectInfo> PutStream(std::string_view bucket, std::string_view key,
                               const ObjectReader& reader, const PutObjectOptions& options);
  Result<GetObjectResult> Get(std::string_view bucket, std::string_view key,
                              const GetObjectOptions& options, const ObjectWriter* writer);
  Result<ObjectInfo> Head(std::string_view bucket, std::string_view key);
  Status Delete(std::string_view bucket, std::string_view key);
  Result<std::vector<DeleteObjectResult>> DeleteMany(std::string_view bucket,
                                                     const std::vector<std::string>& keys);
  Result<ObjectInfo> Copy(const CopyObjectRequest& request);

  // Listing (list_ops.cc).
  Result<ListObjectsResponse> List(const ListObjectsRequest& request);

  // Multipart (multipart_ops.cc).
  Result<MultipartUpload> CreateUpload(std::string_view bucket, std::string_view key,
                                       const PutObjectOptions& options);
  Result<PartInfo> UploadPart(std::string_view bucket, std::string_view key,
                              std::string_view upload_id, uint32_t part_number,
                              const ObjectReader& reader);
  Result<ListPartsResponse> ListParts(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id, int max_parts, uint32_t marker);
  Result<ListMultipartUploadsResponse> ListUploads(std::string_view bucket, std::string_view prefix,
                                                   int max_uploads, std::string_view page_token);
  Result<ObjectInfo> CompleteUpload(std::string_view bucket, std::string_view key,
                                    std::string_view upload_id,
                                    const std::vector<CompletedPart>& parts);
  Status AbortUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);

 private:
  // Shared helpers (storage_impl.cc).
  Result<storage::BucketRecord> LoadBucket(std::string_view name,
                                           const kv::Snapshot* snapshot = nullptr) const;
  Result<storage::BucketStats> LoadStats(std::string_view name) const;
  Result<std::optional<storage::ObjectRecord>> LoadObject(
      std::string_view bucket, std::string_view key, const kv::Snapshot* snapshot = nullptr) const;
  Result<Bucket> ToBucket(const storage::BucketRecord& record, const storage::BucketStats& stats);

  // The commit of a new object version; requires commit_mu_. Checks the bucket still exists,
  // the preconditions of `options` and the quota, then writes `batch` plus the record, the
  // counters, the event and the removal of the replaced version's bytes.
  Result<ObjectInfo> CommitObjectLocked(std::string_view bucket, std::string_view key,
                                        const PutObjectOptions& options,
                                        storage::ObjectRecord record, kv::Batch& batch);
  // Adds to `batch` the removal of an existing object (record, bytes, counters) and returns
  // its deletion event. Requires commit_mu_.
  Event AddObjectDeletion(kv::Batch& batch, std::string_view bucket, std::string_view key,
                          const storage::ObjectRecord& record, storage::BucketStats* stats);
  // Upper bound on the bytes a new version of an object may have under the bucket's quota
  // (checked again, exactly, at commit).
  Result<uint64_t> QuotaHeadroom(std::string_view bucket, std::string_view key);
  // A bucket's record and counters as of the last commit. Only code holding commit_mu_ reads
  // or changes them (every writer of buckets and counters holds it), so the cache is exact.
  struct BucketState {
    storage::BucketRecord record;
    storage::BucketStats stats;
  };
  // Requires commit_mu_. NOT_FOUND for a missing bucket. The pointer is valid while the lock
  // is held and the bucket is not forgotten.
  Result<BucketState*> LockedBucket(std::string_view name);
  // Requires commit_mu_.
  void ForgetBucket(std::string_view name) { bucket_cache_.erase(std::string(name)); }
  // NOT_FOUND naming the object, or the bucket when that is what is missing.
  Status ObjectNotFound(std::string_view bucket, std::string_view key,
                        const kv::Snapshot* snapshot) const;
  Result<storage::UploadRecord> LoadUpload(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id) const;

  kv::Store* store_;
  EventLog::Impl* events_;
  SourceService::Impl* sources_;
  storage::BlobStore blobs_;
  std::vector<BucketDeletionHook> deletion_hooks_;
  std::mutex commit_mu_;
  std::unordered_map<std::string, BucketState> bucket_cache_;  // guarded by commit_mu_
};

namespace storage {
// Validates user metadata (keys 1..128 bytes, UTF-8; total under 2 KiB) and the conditional
// headers of a put.
Status ValidatePutOptions(const PutObjectOptions& options);
// A reader that yields `bytes`, which must outlive it.
ObjectReader ReaderOver(std::string_view bytes);
// Strips the quotes an HTTP ETag may carry: "\"abc\"" -> "abc".
std::string_view UnquoteEtag(std::string_view etag);
inline constexpr std::string_view kDefaultContentType = "application/octet-stream";
// The most bytes one object (or one part) may have: 5 TiB, S3's limit.
inline constexpr uint64_t kMaxObjectSize = 5ull << 40;
}  // namespace storage

}  // namespace k3

#endif  // K3_STORAGE_STORAGE_IMPL_H_
