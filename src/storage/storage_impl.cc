#include "storage/storage_impl.h"

#include <algorithm>

#include "storage/names.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/utf8.h"

namespace k3 {
using storage::BucketRecord;
using storage::BucketStats;
using storage::ObjectRecord;

StorageService::Impl::Impl(kv::Store* store, EventLog::Impl* events, SourceService::Impl* sources)
    : store_(store), events_(events), sources_(sources), blobs_(store) {}

Status StorageService::Impl::Recover() {
  K3_ASSIGN_OR_RETURN(int removed, blobs_.RecoverPending());
  if (removed > 0) {
    store_->logger().Info("removed " + std::to_string(removed) +
                          " object blob(s) left half-written by a crash");
  }
  return Status();
}

Result<BucketRecord> StorageService::Impl::LoadBucket(std::string_view name,
                                                      const kv::Snapshot* snapshot) const {
  K3_RETURN_IF_ERROR(storage::ValidateBucketName(name));
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kBuckets, storage::BucketKey(name), snapshot));
  if (!value) return NotFound("bucket \"" + std::string(name) + "\" does not exist");
  BucketRecord record;
  if (!storage::DecodeBucket(*value, &record)) {
    return DataLoss("bucket \"" + std::string(name) + "\": malformed record");
  }
  return record;
}

Result<BucketStats> StorageService::Impl::LoadStats(std::string_view name) const {
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kBuckets, storage::StatsKey(name)));
  BucketStats stats;
  if (value && !storage::DecodeStats(*value, &stats)) {
    return DataLoss("bucket \"" + std::string(name) + "\": malformed counters");
  }
  return stats;
}

Result<std::optional<ObjectRecord>> StorageService::Impl::LoadObject(
    std::string_view bucket, std::string_view key, const kv::Snapshot* snapshot) const {
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kObjects, storage::ObjectKey(bucket, key), snapshot));
  if (!value) return std::optional<ObjectRecord>();
  ObjectRecord record;
  if (!storage::DecodeObject(*value, &record)) {
    return DataLoss("object \"" + std::string(key) + "\" in bucket \"" + std::string(bucket) +
                    "\": malformed record");
  }
  return std::optional<ObjectRecord>(std::move(record));
}

Result<StorageService::Impl::BucketState*> StorageService::Impl::LockedBucket(
    std::string_view name) {
  auto it = bucket_cache_.find(std::string(name));
  if (it != bucket_cache_.end()) return &it->second;
  BucketState state;
  K3_ASSIGN_OR_RETURN(state.record, LoadBucket(name));
  K3_ASSIGN_OR_RETURN(state.stats, LoadStats(name));
  return &bucket_cache_.emplace(std::string(name), std::move(state)).first->second;
}

Status StorageService::Impl::ObjectNotFound(std::string_view bucket, std::string_view key,
                                            const kv::Snapshot* snapshot) const {
  K3_RETURN_IF_ERROR(LoadBucket(bucket, snapshot).status());
  return NotFound("object \"" + std::string(key) + "\" in bucket \"" + std::string(bucket) +
                  "\" does not exist");
}

Result<Bucket> StorageService::Impl::ToBucket(const BucketRecord& record,
                                              const BucketStats& stats) {
  Bucket b;
  b.name = record.name;
  b.description = record.description;
  b.status = BucketStatus::kActive;
  b.internal_source_id = record.internal_source_id;
  b.storage_used_bytes = stats.used_bytes;
  b.storage_quota_bytes = record.storage_quota_bytes;
  b.object_count = stats.object_count;
  K3_ASSIGN_OR_RETURN(b.source_count, sources_->CountSources(record.name));
  b.created_at = record.created_at;
  b.updated_at = record.updated_at;
  b.access_mode = record.access_mode;
  return b;
}

Event StorageService::Impl::AddObjectDeletion(kv::Batch& batch, std::string_view bucket,
                                              std::string_view key, const ObjectRecord& record,
                                              BucketStats* stats) {
  batch.Delete(kv::Cf::kObjects, storage::ObjectKey(bucket, key));
  for (const auto& seg : record.segments) blobs_.AddDelete(batch, seg);
  stats->object_count -= 1;
  stats->used_bytes -= record.size;
  Event e;
  e.type = kEventObjectDeleted;
  e.bucket = std::string(bucket);
  e.key = std::string(key);
  e.etag = record.etag;
  e.size = record.size;
  e.content_type = record.content_type;
  e.time = util::NowMs();
  return e;
}

Result<ObjectInfo> StorageService::Impl::CommitObjectLocked(std::string_view bucket,
                                                            std::string_view key,
                                                            const PutObjectOptions& options,
                                                            ObjectRecord record, kv::Batch& batch) {
  K3_ASSIGN_OR_RETURN(BucketState * state, LockedBucket(bucket));
  const BucketRecord& bucket_record = state->record;
  BucketStats stats = state->stats;
  K3_ASSIGN_OR_RETURN(std::optional<ObjectRecord> old, LoadObject(bucket, key));
  const std::string where =
      "object \"" + std::string(key) + "\" in bucket \"" + std::string(bucket) + "\"";
  if (options.if_none_match && old) {
    return FailedPrecondition(where + " already exists (If-None-Match: *)");
  }
  if (options.if_match) {
    if (!old) return FailedPrecondition(where + " does not exist (If-Match)");
    if (storage::UnquoteEtag(*options.if_match) != old->etag) {
      return FailedPrecondition(where + " has ETag " + old->etag + ", not " +
                                std::string(storage::UnquoteEtag(*options.if_match)) +
                                " (If-Match)");
    }
  }
  const uint64_t old_size = old ? old->size : 0;
  const uint64_t new_used = stats.used_bytes - old_size + record.size;
  // A write that does not grow the bucket is allowed even above a (lowered) quota.
  if (bucket_record.storage_quota_bytes > 0 && new_used > bucket_record.storage_quota_bytes &&
      new_used > stats.used_bytes) {
    return ResourceExhausted("bucket \"" + std::string(bucket) + "\" quota of " +
                             std::to_string(bucket_record.storage_quota_bytes) +
                             " bytes would be exceeded (" + std::to_string(new_used) +
                             " bytes needed)");
  }
  const TimestampMs now = util::NowMs();
  record.created_at = old ? old->created_at : now;
  record.updated_at = now;
  if (old) {
    for (const auto& seg : old->segments) blobs_.AddDelete(batch, seg);
  } else {
    stats.object_count += 1;
  }
  stats.used_bytes = new_used;
  batch.Put(kv::Cf::kObjects, storage::ObjectKey(bucket, key), storage::EncodeObject(record));
  batch.Put(kv::Cf::kBuckets, storage::StatsKey(bucket), storage::EncodeStats(stats));
  Event e;
  e.type = kEventObjectCreated;
  e.bucket = std::string(bucket);
  e.key = std::string(key);
  e.etag = record.etag;
  e.size = record.size;
  e.content_type = record.content_type;
  e.time = now;
  K3_RETURN_IF_ERROR(events_->Commit(batch, {std::move(e)}));
  state->stats = stats;
  return storage::ToObjectInfo(bucket, key, record);
}

Result<uint64_t> StorageService::Impl::QuotaHeadroom(std::string_view bucket,
                                                     std::string_view key) {
  K3_ASSIGN_OR_RETURN(BucketRecord record, LoadBucket(bucket));
  if (record.storage_quota_bytes == 0) return storage::kMaxObjectSize;
  K3_ASSIGN_OR_RETURN(BucketStats stats, LoadStats(bucket));
  K3_ASSIGN_OR_RETURN(auto old, LoadObject(bucket, key));
  const uint64_t used = stats.used_bytes - (old ? old->size : 0);
  return used >= record.storage_quota_bytes ? 0 : record.storage_quota_bytes - used;
}

namespace storage {

ObjectReader ReaderOver(std::string_view bytes) {
  return [bytes, pos = size_t{0}](char* buf, size_t cap) mutable -> Result<size_t> {
    const size_t n = std::min(cap, bytes.size() - pos);
    std::copy_n(bytes.data() + pos, n, buf);
    pos += n;
    return n;
  };
}

std::string_view UnquoteEtag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

Status ValidatePutOptions(const PutObjectOptions& options) {
  size_t total = 0;
  for (const auto& [k, v] : options.metadata) {
    if (k.empty() || k.size() > 128) {
      return InvalidArgument("metadata keys must be 1 to 128 bytes (got \"" + k + "\")");
    }
    if (!util::IsValidUtf8(k) || !util::IsValidUtf8(v)) {
      return InvalidArgument("metadata \"" + k + "\" is not valid UTF-8");
    }
    total += k.size() + v.size();
  }
  if (total > 2048) {
    return InvalidArgument("user metadata is " + std::to_string(total) +
                           " bytes; at most 2048 are allowed");
  }
  if (options.if_none_match && *options.if_none_match != "*") {
    return InvalidArgument("If-None-Match on a put accepts only \"*\"");
  }
  if (options.if_match && UnquoteEtag(*options.if_match).empty()) {
    return InvalidArgument("If-Match must name an ETag");
  }
  if (!util::IsValidUtf8(options.content_type) || options.content_type.size() > 256) {
    return InvalidArgument("content type must be valid UTF-8 of at most 256 bytes");
  }
  return Status();
}

}  // namespace storage
}  // namespace k3
