// StorageService::Impl: buckets, bucket policy and CORS documents, presigned URLs.
#include <algorithm>
#include <cctype>

#include "storage/names.h"
#include "storage/policy.h"
#include "storage/sigv4.h"
#include "storage/storage_impl.h"
#include "util/clock.h"
#include "util/page_token.h"

namespace k3 {
using storage::BucketRecord;
using storage::BucketStats;
using storage::ObjectRecord;

namespace {

constexpr size_t kMaxDescriptionBytes = 4096;
constexpr int64_t kMaxPresignSeconds = 86400;
constexpr size_t kForceDeleteBatch = 256;

Status ValidateAccessMode(BucketAccessMode mode) {
  if (mode != BucketAccessMode::kPrivate && mode != BucketAccessMode::kPublicRead) {
    return InvalidArgument("access mode must be PRIVATE or PUBLIC_READ");
  }
  return Status();
}

bool ContainsCaseInsensitive(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

}  // namespace

Result<Bucket> StorageService::Impl::CreateBucket(const CreateBucketRequest& request) {
  K3_RETURN_IF_ERROR(storage::ValidateBucketName(request.name));
  K3_RETURN_IF_ERROR(ValidateAccessMode(request.access_mode));
  if (request.description.size() > kMaxDescriptionBytes) {
    return InvalidArgument("bucket description is longer than 4096 bytes");
  }
  std::lock_guard lock(commit_mu_);
  K3_ASSIGN_OR_RETURN(auto existing,
                      store_->Get(kv::Cf::kBuckets, storage::BucketKey(request.name)));
  if (existing) return AlreadyExists("bucket \"" + request.name + "\" already exists");
  BucketRecord record;
  record.name = request.name;
  record.description = request.description;
  record.storage_quota_bytes = request.storage_quota_bytes;
  record.access_mode = request.access_mode;
  record.created_at = record.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  record.internal_source_id = sources_->AddInternalSource(*batch, record.name, record.created_at);
  batch->Put(kv::Cf::kBuckets, storage::BucketKey(record.name), storage::EncodeBucket(record));
  batch->Put(kv::Cf::kBuckets, storage::StatsKey(record.name), storage::EncodeStats({}));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return ToBucket(record, {});
}

Result<Bucket> StorageService::Impl::GetBucket(std::string_view name) {
  K3_ASSIGN_OR_RETURN(BucketRecord record, LoadBucket(name));
  K3_ASSIGN_OR_RETURN(BucketStats stats, LoadStats(name));
  return ToBucket(record, stats);
}

Result<ListBucketsResponse> StorageService::Impl::ListBuckets(const ListBucketsRequest& request) {
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(request.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "buckets?" + request.search;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, request.page_token));
  ListBucketsResponse out;
  int64_t total = 0;
  std::string end(storage::kBucketKeyPrefix);
  end.back() += 1;
  auto it = store_->NewIterator(kv::Cf::kBuckets, end);
  for (it->Seek(storage::kBucketKeyPrefix); it->Valid(); it->Next()) {
    std::string_view name = it->key().substr(storage::kBucketKeyPrefix.size());
    if (!request.search.empty() && !ContainsCaseInsensitive(name, request.search)) continue;
    ++total;
    if (!after.empty() && name <= after) continue;
    if (static_cast<int>(out.buckets.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token = util::EncodePageToken(listing, out.buckets.back().name);
      }
      continue;
    }
    BucketRecord record;
    if (!storage::DecodeBucket(it->value(), &record)) return DataLoss("malformed bucket record");
    K3_ASSIGN_OR_RETURN(BucketStats stats, LoadStats(record.name));
    K3_ASSIGN_OR_RETURN(Bucket bucket, ToBucket(record, stats));
    out.buckets.push_back(std::move(bucket));
  }
  K3_RETURN_IF_ERROR(it->status());
  out.pagination.total_count = total;
  return out;
}

Result<Bucket> StorageService::Impl::UpdateBucket(const UpdateBucketRequest& request) {
  if (request.access_mode) K3_RETURN_IF_ERROR(ValidateAccessMode(*request.access_mode));
  if (request.description && request.description->size() > kMaxDescriptionBytes) {
    return InvalidArgument("bucket description is longer than 4096 bytes");
  }
  std::lock_guard lock(commit_mu_);
  ForgetBucket(request.name);  // reloaded from the store by the next commit
  K3_ASSIGN_OR_RETURN(BucketRecord record, LoadBucket(request.name));
  if (request.description) record.description = *request.description;
  if (request.storage_quota_bytes) record.storage_quota_bytes = *request.storage_quota_bytes;
  if (request.access_mode) record.access_mode = *request.access_mode;
  record.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kBuckets, storage::BucketKey(record.name), storage::EncodeBucket(record));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  K3_ASSIGN_OR_RETURN(BucketStats stats, LoadStats(record.name));
  return ToBucket(record, stats);
}

Status StorageService::Impl::DeleteBucket(const DeleteBucketRequest& request) {
  std::lock_guard lock(commit_mu_);
  ForgetBucket(request.name);  // reloaded from the store by the next commit
  K3_ASSIGN_OR_RETURN(BucketRecord record, LoadBucket(request.name));
  K3_ASSIGN_OR_RETURN(BucketStats stats, LoadStats(request.name));
  const std::string prefix = storage::ObjectPrefix(request.name);
  const std::string uploads_prefix = storage::UploadIndexPrefix(request.name);
  std::string uploads_end = uploads_prefix;
  uploads_end.back() = '\1';
  {
    auto objects = store_->NewIterator(kv::Cf::kObjects, storage::ObjectEnd(request.name));
    objects->Seek(prefix);
    auto uploads = store_->NewIterator(kv::Cf::kUploads, uploads_end);
    uploads->Seek(uploads_prefix);
    K3_RETURN_IF_ERROR(objects->status());
    K3_RETURN_IF_ERROR(uploads->status());
    if ((objects->Valid() || uploads->Valid()) && !request.force) {
      return FailedPrecondition("bucket \"" + request.name + "\" is not empty (" +
                                std::to_string(stats.object_count) +
                                " objects, or open multipart uploads); delete them first or "
                                "set force");
    }
  }
  for (const auto& hook : deletion_hooks_) K3_RETURN_IF_ERROR(hook(request.name));
  // Forced: objects go in batches, each with its deletion events.
  while (true) {
    auto batch = store_->NewBatch();
    std::vector<Event> events;
    auto it = store_->NewIterator(kv::Cf::kObjects, storage::ObjectEnd(request.name));
    for (it->Seek(prefix); it->Valid() && events.size() < kForceDeleteBatch; it->Next()) {
      ObjectRecord object;
      if (!storage::DecodeObject(it->value(), &object)) return DataLoss("malformed object record");
      std::string key(it->key().substr(prefix.size()));
      events.push_back(AddObjectDeletion(*batch, request.name, key, object, &stats));
    }
    K3_RETURN_IF_ERROR(it->status());
    if (events.empty()) break;
    batch->Put(kv::Cf::kBuckets, storage::StatsKey(request.name), storage::EncodeStats(stats));
    K3_RETURN_IF_ERROR(events_->Commit(*batch, std::move(events)));
  }
  // Open uploads: their parts' bytes, parts, records and index entries.
  auto batch = store_->NewBatch();
  auto it = store_->NewIterator(kv::Cf::kUploads, uploads_end);
  for (it->Seek(uploads_prefix); it->Valid(); it->Next()) {
    std::string_view rest = it->key().substr(uploads_prefix.size());
    std::string upload_id(rest.substr(rest.rfind('\0') + 1));
    std::string part_end = storage::PartPrefix(upload_id);
    part_end.back() += 1;
    auto parts = store_->NewIterator(kv::Cf::kUploads, part_end);
    for (parts->Seek(storage::PartPrefix(upload_id)); parts->Valid(); parts->Next()) {
      storage::PartRecord part;
      if (storage::DecodePart(parts->value(), &part)) blobs_.AddDelete(*batch, part.segment);
    }
    K3_RETURN_IF_ERROR(parts->status());
    batch->DeleteRange(kv::Cf::kUploads, storage::PartPrefix(upload_id), part_end);
    batch->Delete(kv::Cf::kUploads, storage::UploadKey(upload_id));
  }
  K3_RETURN_IF_ERROR(it->status());
  batch->DeleteRange(kv::Cf::kUploads, uploads_prefix, uploads_end);
  batch->Delete(kv::Cf::kBuckets, storage::BucketKey(request.name));
  batch->Delete(kv::Cf::kBuckets, storage::StatsKey(request.name));
  batch->Delete(kv::Cf::kBuckets, storage::PolicyKey(request.name));
  batch->Delete(kv::Cf::kBuckets, storage::CorsKey(request.name));
  K3_RETURN_IF_ERROR(sources_->RemoveBucketSources(*batch, request.name));
  return store_->Write(*batch);
}

Status StorageService::Impl::PutPolicy(std::string_view bucket, std::string_view policy_json) {
  K3_RETURN_IF_ERROR(storage::ValidateBucketPolicy(policy_json));
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kBuckets, storage::PolicyKey(bucket), policy_json);
  return store_->Write(*batch);
}

Result<std::string> StorageService::Impl::GetPolicy(std::string_view bucket) {
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kBuckets, storage::PolicyKey(bucket)));
  if (!value) return NotFound("bucket \"" + std::string(bucket) + "\" has no policy");
  return *value;
}

Status StorageService::Impl::DeletePolicy(std::string_view bucket) {
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kBuckets, storage::PolicyKey(bucket));
  return store_->Write(*batch);
}

Status StorageService::Impl::PutCors(std::string_view bucket, const CorsConfiguration& cors) {
  K3_RETURN_IF_ERROR(storage::ValidateCors(cors));
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kBuckets, storage::CorsKey(bucket), storage::EncodeCors(cors));
  return store_->Write(*batch);
}

Result<CorsConfiguration> StorageService::Impl::GetCors(std::string_view bucket) {
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kBuckets, storage::CorsKey(bucket)));
  if (!value) {
    return NotFound("bucket \"" + std::string(bucket) + "\" has no CORS configuration");
  }
  CorsConfiguration cors;
  if (!storage::DecodeCors(*value, &cors)) return DataLoss("malformed CORS record");
  return cors;
}

Status StorageService::Impl::DeleteCors(std::string_view bucket) {
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kBuckets, storage::CorsKey(bucket));
  return store_->Write(*batch);
}

Result<PresignedUrl> StorageService::Impl::Presign(const PresignRequest& request) {
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(request.key));
  if (request.expires_seconds < 1 || request.expires_seconds > kMaxPresignSeconds) {
    return InvalidArgument("expires_seconds must be 1 to 86400 (got " +
                           std::to_string(request.expires_seconds) + ")");
  }
  K3_RETURN_IF_ERROR(LoadBucket(request.bucket).status());
  if (request.method == PresignMethod::kGet) {
    K3_ASSIGN_OR_RETURN(auto object, LoadObject(request.bucket, request.key));
    if (!object) {
      return NotFound("object \"" + request.key + "\" does not exist in bucket \"" +
                      request.bucket + "\"");
    }
  } else if (request.method != PresignMethod::kPut) {
    return InvalidArgument("presigned URLs are for GET or PUT");
  }
  storage::SigV4PresignParams p;
  p.method = request.method == PresignMethod::kGet ? "GET" : "PUT";
  p.endpoint = request.endpoint;
  p.bucket = request.bucket;
  p.key = request.key;
  p.region = request.region;
  p.access_key_id = request.access_key_id;
  p.secret_access_key = request.secret_access_key;
  p.expires_seconds = request.expires_seconds;
  p.now_ms = request.now != 0 ? request.now : util::NowMs();
  p.virtual_hosted_style = request.virtual_hosted_style;
  K3_ASSIGN_OR_RETURN(std::string url, storage::PresignSigV4(p));
  PresignedUrl out;
  out.url = std::move(url);
  out.method = p.method;
  out.expires_at = p.now_ms / 1000 * 1000 + request.expires_seconds * 1000;
  return out;
}

}  // namespace k3
