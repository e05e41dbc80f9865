// StorageService::Impl: multipart uploads. Parts are blobs owned by part records; completing
// an upload makes the listed parts' blobs the object's segments, without copying bytes.
#include <algorithm>

#include "kv/codec.h"
#include "storage/names.h"
#include "storage/storage_impl.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/ids.h"
#include "util/page_token.h"

namespace k3 {
using storage::ObjectRecord;
using storage::PartRecord;
using storage::UploadRecord;

namespace {

constexpr int kMaxListed = 1000;
constexpr uint64_t kMaxPartSize = 5ull << 30;  // S3: 5 GiB per part

std::string PartEnd(std::string_view upload_id) {
  std::string end = storage::PartPrefix(upload_id);
  end.back() += 1;
  return end;
}

}  // namespace

Result<UploadRecord> StorageService::Impl::LoadUpload(std::string_view bucket, std::string_view key,
                                                      std::string_view upload_id) const {
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kUploads, storage::UploadKey(upload_id)));
  UploadRecord record;
  if (!value || !storage::DecodeUpload(*value, &record) || record.bucket != bucket ||
      record.key != key) {
    return NotFound("multipart upload \"" + std::string(upload_id) + "\" for \"" +
                    std::string(key) + "\" in bucket \"" + std::string(bucket) +
                    "\" does not exist (it may have been completed or aborted)");
  }
  return record;
}

Result<MultipartUpload> StorageService::Impl::CreateUpload(std::string_view bucket,
                                                           std::string_view key,
                                                           const PutObjectOptions& options) {
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  K3_RETURN_IF_ERROR(storage::ValidatePutOptions(options));
  if (options.if_match || options.if_none_match) {
    return InvalidArgument("conditional headers are not supported on multipart uploads");
  }
  UploadRecord record;
  record.bucket = std::string(bucket);
  record.key = std::string(key);
  record.content_type = options.content_type.empty() ? std::string(storage::kDefaultContentType)
                                                     : options.content_type;
  record.metadata = options.metadata;
  record.initiated_at = util::NowMs();
  const std::string upload_id = util::NewId("mpu");
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kUploads, storage::UploadKey(upload_id), storage::EncodeUpload(record));
  batch->Put(kv::Cf::kUploads, storage::UploadIndexKey(bucket, key, upload_id), "");
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return MultipartUpload{upload_id,           record.bucket,   record.key,
                         record.content_type, record.metadata, record.initiated_at};
}

Result<PartInfo> StorageService::Impl::UploadPart(std::string_view bucket, std::string_view key,
                                                  std::string_view upload_id, uint32_t part_number,
                                                  const ObjectReader& reader) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return InvalidArgument("part number must be 1 to 10000 (got " + std::to_string(part_number) +
                           ")");
  }
  if (!reader) return InvalidArgument("part reader is empty");
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  K3_RETURN_IF_ERROR(LoadUpload(bucket, key, upload_id).status());
  K3_ASSIGN_OR_RETURN(
      storage::WrittenBlob blob,
      blobs_.WriteStream(reader, kMaxPartSize, InvalidArgument("a part may hold at most 5 GiB")));
  PartRecord part;
  part.segment = blob.segment;
  part.etag = util::HexEncode(blob.md5);
  part.last_modified = util::NowMs();
  Status committed = [&]() -> Status {
    std::lock_guard lock(commit_mu_);
    K3_RETURN_IF_ERROR(LoadUpload(bucket, key, upload_id).status());
    auto batch = store_->NewBatch();
    const std::string part_key = storage::PartKey(upload_id, part_number);
    K3_ASSIGN_OR_RETURN(auto old_value, store_->Get(kv::Cf::kUploads, part_key));
    PartRecord old;
    if (old_value && storage::DecodePart(*old_value, &old)) blobs_.AddDelete(*batch, old.segment);
    batch->Put(kv::Cf::kUploads, part_key, storage::EncodePart(part));
    blobs_.AddClearPending(*batch, part.segment);
    return store_->Write(*batch);
  }();
  if (!committed.ok()) {
    Status discard = blobs_.Discard(blob.segment);
    if (!discard.ok())
      store_->logger().Warn("could not remove a refused part: " + discard.ToString());
    return committed;
  }
  return PartInfo{part_number, part.segment.size, part.etag, part.last_modified};
}

Result<ListPartsResponse> StorageService::Impl::ListParts(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view upload_id, int max_parts,
                                                          uint32_t marker) {
  if (max_parts < 0) return InvalidArgument("max_parts must not be negative");
  const int limit = max_parts == 0 ? kMaxListed : std::min(max_parts, kMaxListed);
  auto snapshot = store_->NewSnapshot();
  K3_RETURN_IF_ERROR(LoadBucket(bucket, snapshot.get()).status());
  K3_RETURN_IF_ERROR(LoadUpload(bucket, key, upload_id).status());
  ListPartsResponse out;
  auto it = store_->NewIterator(kv::Cf::kUploads, PartEnd(upload_id), snapshot.get());
  for (it->Seek(marker == UINT32_MAX ? PartEnd(upload_id)
                                     : storage::PartKey(upload_id, marker + 1));
       it->Valid(); it->Next()) {
    if (static_cast<int>(out.parts.size()) == limit) {
      out.is_truncated = true;
      out.next_part_number_marker = out.parts.back().part_number;
      break;
    }
    PartRecord part;
    if (!storage::DecodePart(it->value(), &part)) return DataLoss("malformed part record");
    const uint32_t number = kv::ReadBigEndian32(it->key().substr(it->key().size() - 4));
    out.parts.push_back({number, part.segment.size, part.etag, part.last_modified});
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

Result<ListMultipartUploadsResponse> StorageService::Impl::ListUploads(
    std::string_view bucket, std::string_view prefix, int max_uploads,
    std::string_view page_token) {
  if (max_uploads < 0) return InvalidArgument("max_uploads must not be negative");
  const int limit = max_uploads == 0 ? kMaxListed : std::min(max_uploads, kMaxListed);
  std::string listing = "uploads/" + std::string(bucket);
  listing.push_back('\0');
  listing.append(prefix);
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, page_token));
  auto snapshot = store_->NewSnapshot();
  K3_RETURN_IF_ERROR(LoadBucket(bucket, snapshot.get()).status());
  const std::string index = storage::UploadIndexPrefix(bucket);
  std::string end = index;
  end.back() = '\1';
  ListMultipartUploadsResponse out;
  auto it = store_->NewIterator(kv::Cf::kUploads, end, snapshot.get());
  std::string start = index + std::string(prefix);
  if (!after.empty()) start = std::max(start, index + after + '\0');
  std::string last;
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view rest = it->key().substr(index.size());  // key "\0" upload id
    if (!rest.starts_with(prefix)) break;
    if (static_cast<int>(out.uploads.size()) == limit) {
      out.is_truncated = true;
      out.next_page_token = util::EncodePageToken(listing, last);
      break;
    }
    const size_t nul = rest.rfind('\0');
    std::string_view key = rest.substr(0, nul), upload_id = rest.substr(nul + 1);
    K3_ASSIGN_OR_RETURN(
        auto value, store_->Get(kv::Cf::kUploads, storage::UploadKey(upload_id), snapshot.get()));
    UploadRecord record;
    if (!value || !storage::DecodeUpload(*value, &record)) {
      return DataLoss("multipart upload index names a missing upload");
    }
    out.uploads.push_back({std::string(upload_id), record.bucket, std::string(key),
                           record.content_type, record.metadata, record.initiated_at});
    last = std::string(rest);
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

Result<ObjectInfo> StorageService::Impl::CompleteUpload(std::string_view bucket,
                                                        std::string_view key,
                                                        std::string_view upload_id,
                                                        const std::vector<CompletedPart>& parts) {
  if (parts.empty()) return InvalidArgument("complete needs at least one part");
  if (parts.size() > kMaxPartNumber) return InvalidArgument("more than 10000 parts");
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  K3_ASSIGN_OR_RETURN(UploadRecord upload, LoadUpload(bucket, key, upload_id));

  // Every stored part, so that the ones not listed can be freed.
  std::vector<std::pair<uint32_t, PartRecord>> stored;
  auto it = store_->NewIterator(kv::Cf::kUploads, PartEnd(upload_id));
  for (it->Seek(storage::PartPrefix(upload_id)); it->Valid(); it->Next()) {
    PartRecord part;
    if (!storage::DecodePart(it->value(), &part)) return DataLoss("malformed part record");
    stored.emplace_back(kv::ReadBigEndian32(it->key().substr(it->key().size() - 4)), part);
  }
  K3_RETURN_IF_ERROR(it->status());
  auto find = [&](uint32_t number) -> const PartRecord* {
    auto pos = std::lower_bound(stored.begin(), stored.end(), number,
                                [](const auto& p, uint32_t n) { return p.first < n; });
    return pos != stored.end() && pos->first == number ? &pos->second : nullptr;
  };

  ObjectRecord record;
  std::string md5s;
  for (size_t i = 0; i < parts.size(); ++i) {
    const CompletedPart& want = parts[i];
    const std::string name = "part " + std::to_string(want.part_number);
    if (i > 0 && want.part_number <= parts[i - 1].part_number) {
      return InvalidArgument(
          "parts must be listed in ascending order of part number without "
          "repeats (" +
          name + " follows part " + std::to_string(parts[i - 1].part_number) + ")");
    }
    const PartRecord* part = find(want.part_number);
    if (part == nullptr) return InvalidArgument(name + " was not uploaded");
    if (storage::UnquoteEtag(want.etag) != part->etag) {
      return InvalidArgument(name + " has ETag " + part->etag + ", not " +
                             std::string(storage::UnquoteEtag(want.etag)));
    }
    if (i + 1 < parts.size() && part->segment.size < kMinPartSize) {
      return InvalidArgument(name + " is " + std::to_string(part->segment.size) +
                             " bytes; every part but the last must be at least 5 MiB");
    }
    std::string raw;
    util::HexDecode(part->etag, &raw);
    md5s += raw;
    record.size += part->segment.size;
    if (part->segment.size > 0) record.segments.push_back(part->segment);
  }
  record.etag = util::HexEncode(util::Md5Digest(md5s)) + "-" + std::to_string(parts.size());
  record.parts_count = static_cast<uint32_t>(parts.size());
  record.content_type = upload.content_type;
  record.metadata = upload.metadata;

  auto batch = store_->NewBatch();
  size_t next_listed = 0;  // both lists ascend by part number
  for (const auto& [number, part] : stored) {
    while (next_listed < parts.size() && parts[next_listed].part_number < number) ++next_listed;
    const bool listed = next_listed < parts.size() && parts[next_listed].part_number == number;
    if (!listed) blobs_.AddDelete(*batch, part.segment);
  }
  batch->DeleteRange(kv::Cf::kUploads, storage::PartPrefix(upload_id), PartEnd(upload_id));
  batch->Delete(kv::Cf::kUploads, storage::UploadKey(upload_id));
  batch->Delete(kv::Cf::kUploads, storage::UploadIndexKey(bucket, key, upload_id));
  return CommitObjectLocked(bucket, key, PutObjectOptions{}, std::move(record), *batch);
}

Status StorageService::Impl::AbortUpload(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id) {
  std::lock_guard lock(commit_mu_);
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  K3_RETURN_IF_ERROR(LoadUpload(bucket, key, upload_id).status());
  auto batch = store_->NewBatch();
  auto it = store_->NewIterator(kv::Cf::kUploads, PartEnd(upload_id));
  for (it->Seek(storage::PartPrefix(upload_id)); it->Valid(); it->Next()) {
    PartRecord part;
    if (storage::DecodePart(it->value(), &part)) blobs_.AddDelete(*batch, part.segment);
  }
  K3_RETURN_IF_ERROR(it->status());
  batch->DeleteRange(kv::Cf::kUploads, storage::PartPrefix(upload_id), PartEnd(upload_id));
  batch->Delete(kv::Cf::kUploads, storage::UploadKey(upload_id));
  batch->Delete(kv::Cf::kUploads, storage::UploadIndexKey(bucket, key, upload_id));
  return store_->Write(*batch);
}

}  // namespace k3
