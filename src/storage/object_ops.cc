// StorageService::Impl: object writes, reads, deletes and copies.
#include <algorithm>

#include "storage/names.h"
#include "storage/storage_impl.h"
#include "util/hash.h"

namespace k3 {
using storage::BucketStats;
using storage::ObjectRecord;

namespace {

// Objects up to this size given as bytes are written in one batch; larger ones stream.
constexpr size_t kInlinePutLimit = 8 * storage::kChunkSize;

struct ResolvedRange {
  uint64_t first = 0;
  uint64_t length = 0;
  bool partial = false;
};

Result<ResolvedRange> Resolve(const std::optional<ByteRange>& range, uint64_t size) {
  if (!range) return ResolvedRange{0, size, false};
  if (range->first.has_value() == range->suffix_length.has_value() ||
      (range->suffix_length && range->last)) {
    return InvalidArgument("a byte range is either first[-last] or a suffix length");
  }
  const std::string unsatisfiable =
      " is not satisfiable for an object of " + std::to_string(size) + " bytes";
  if (range->suffix_length) {
    if (*range->suffix_length == 0 || size == 0) {
      return OutOfRange("range bytes=-" + std::to_string(*range->suffix_length) + unsatisfiable);
    }
    uint64_t n = std::min(*range->suffix_length, size);
    return ResolvedRange{size - n, n, true};
  }
  const uint64_t first = range->first.value_or(0);
  if (range->last && *range->last < first) return InvalidArgument("range ends before it starts");
  if (first >= size) {
    return OutOfRange("range starting at byte " + std::to_string(first) + unsatisfiable);
  }
  const uint64_t last = std::min(range->last.value_or(size - 1), size - 1);
  return ResolvedRange{first, last - first + 1, true};
}

std::string ObjectName(std::string_view bucket, std::string_view key) {
  return "object \"" + std::string(key) + "\" in bucket \"" + std::string(bucket) + "\"";
}

}  // namespace

Result<ByteRange> ByteRange::Parse(std::string_view header) {
  auto bad = [&] {
    return InvalidArgument("malformed range \"" + std::string(header) +
                           "\"; expected bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX");
  };
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix)) return bad();
  std::string_view spec = header.substr(kPrefix.size());
  if (spec.find(',') != std::string_view::npos) {
    return InvalidArgument("multiple ranges in one request are not supported");
  }
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad();
  auto parse = [](std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return true;
  };
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  uint64_t v;
  if (a.empty()) {
    if (!parse(b, &v)) return bad();
    r.suffix_length = v;
    return r;
  }
  if (!parse(a, &v)) return bad();
  r.first = v;
  if (!b.empty()) {
    if (!parse(b, &v)) return bad();
    if (v < *r.first) return bad();
    r.last = v;
  }
  return r;
}

Result<ObjectInfo> StorageService::Impl::PutBytes(std::string_view bucket, std::string_view key,
                                                  std::string_view bytes,
                                                  const PutObjectOptions& options) {
  if (bytes.size() > kInlinePutLimit) {
    return PutStream(bucket, key, storage::ReaderOver(bytes), options);
  }
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  K3_RETURN_IF_ERROR(storage::ValidatePutOptions(options));
  // The commit checks the bucket; room for the record, counters and event besides the bytes.
  auto batch = store_->NewBatch(bytes.size() + 1024);
  storage::WrittenBlob blob = blobs_.AddInline(*batch, bytes);
  ObjectRecord record;
  record.size = bytes.size();
  record.etag = util::HexEncode(blob.md5);
  record.content_type = options.content_type.empty() ? std::string(storage::kDefaultContentType)
                                                     : options.content_type;
  record.metadata = options.metadata;
  if (blob.segment.size > 0) record.segments.push_back(blob.segment);
  std::lock_guard lock(commit_mu_);
  return CommitObjectLocked(bucket, key, options, std::move(record), *batch);
}

Result<ObjectInfo> StorageService::Impl::PutStream(std::string_view bucket, std::string_view key,
                                                   const ObjectReader& reader,
                                                   const PutObjectOptions& options) {
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  K3_RETURN_IF_ERROR(storage::ValidatePutOptions(options));
  if (!reader) return InvalidArgument("object reader is empty");
  K3_ASSIGN_OR_RETURN(uint64_t headroom, QuotaHeadroom(bucket, key));
  // Refuse early what would fail at commit, so a doomed stream is not written out.
  {
    K3_ASSIGN_OR_RETURN(auto old, LoadObject(bucket, key));
    if (options.if_none_match && old) {
      return FailedPrecondition(ObjectName(bucket, key) + " already exists (If-None-Match: *)");
    }
    if (options.if_match && (!old || old->etag != storage::UnquoteEtag(*options.if_match))) {
      return FailedPrecondition(ObjectName(bucket, key) + " does not match If-Match");
    }
  }
  const Status over_limit =
      headroom < storage::kMaxObjectSize
          ? ResourceExhausted("bucket \"" + std::string(bucket) + "\" quota would be exceeded")
          : InvalidArgument("object is larger than 5 TiB");
  K3_ASSIGN_OR_RETURN(
      storage::WrittenBlob blob,
      blobs_.WriteStream(reader, std::min(headroom, storage::kMaxObjectSize), over_limit));
  ObjectRecord record;
  record.size = blob.segment.size;
  record.etag = util::HexEncode(blob.md5);
  record.content_type = options.content_type.empty() ? std::string(storage::kDefaultContentType)
                                                     : options.content_type;
  record.metadata = options.metadata;
  auto batch = store_->NewBatch();
  blobs_.AddClearPending(*batch, blob.segment);
  if (blob.segment.size > 0) {
    record.segments.push_back(blob.segment);
  } else {
    blobs_.AddDelete(*batch, blob.segment);
  }
  Result<ObjectInfo> info = [&] {
    std::lock_guard lock(commit_mu_);
    return CommitObjectLocked(bucket, key, options, std::move(record), *batch);
  }();
  if (!info.ok()) {
    Status discard = blobs_.Discard(blob.segment);
    if (!discard.ok())
      store_->logger().Warn("could not remove a refused blob: " + discard.ToString());
  }
  return info;
}

Result<GetObjectResult> StorageService::Impl::Get(std::string_view bucket, std::string_view key,
                                                  const GetObjectOptions& options,
                                                  const ObjectWriter* writer) {
  K3_RETURN_IF_ERROR(storage::ValidateBucketName(bucket));
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  auto snapshot = store_->NewSnapshot();
  K3_ASSIGN_OR_RETURN(auto record, LoadObject(bucket, key, snapshot.get()));
  if (!record) return ObjectNotFound(bucket, key, snapshot.get());
  GetObjectResult out;
  out.info = storage::ToObjectInfo(bucket, key, *record);
  // RFC 9110 section 13.2.2 evaluation order; HTTP dates have one-second resolution.
  const int64_t modified_s = record->updated_at / 1000;
  if (options.if_match) {
    std::string_view want = storage::UnquoteEtag(*options.if_match);
    if (want != "*" && want != record->etag) {
      return FailedPrecondition(ObjectName(bucket, key) + " has ETag " + record->etag +
                                " (If-Match " + std::string(want) + ")");
    }
  } else if (options.if_unmodified_since && modified_s > *options.if_unmodified_since / 1000) {
    return FailedPrecondition(ObjectName(bucket, key) + " was modified since the given time");
  }
  if (options.if_none_match) {
    std::string_view want = storage::UnquoteEtag(*options.if_none_match);
    if (want == "*" || want == record->etag) {
      out.not_modified = true;
      return out;
    }
  } else if (options.if_modified_since && modified_s <= *options.if_modified_since / 1000) {
    out.not_modified = true;
    return out;
  }
  K3_ASSIGN_OR_RETURN(ResolvedRange range, Resolve(options.range, record->size));
  out.partial = range.partial;
  out.range_first = range.first;
  out.range_last = range.length > 0 ? range.first + range.length - 1 : 0;
  if (writer != nullptr) {
    K3_RETURN_IF_ERROR(
        blobs_.Read(record->segments, range.first, range.length, snapshot.get(), *writer));
  } else {
    out.body.reserve(range.length);
    K3_RETURN_IF_ERROR(blobs_.Read(record->segments, range.first, range.length, snapshot.get(),
                                   [&](std::string_view bytes) {
                                     out.body.append(bytes);
                                     return Status();
                                   }));
  }
  return out;
}

Result<ObjectInfo> StorageService::Impl::Head(std::string_view bucket, std::string_view key) {
  K3_RETURN_IF_ERROR(storage::ValidateBucketName(bucket));
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  auto snapshot = store_->NewSnapshot();
  K3_ASSIGN_OR_RETURN(auto record, LoadObject(bucket, key, snapshot.get()));
  if (!record) return ObjectNotFound(bucket, key, snapshot.get());
  return storage::ToObjectInfo(bucket, key, *record);
}

Status StorageService::Impl::Delete(std::string_view bucket, std::string_view key) {
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  std::lock_guard lock(commit_mu_);
  K3_ASSIGN_OR_RETURN(BucketState * state, LockedBucket(bucket));
  K3_ASSIGN_OR_RETURN(auto record, LoadObject(bucket, key));
  if (!record) return Status();
  BucketStats stats = state->stats;
  auto batch = store_->NewBatch();
  Event event = AddObjectDeletion(*batch, bucket, key, *record, &stats);
  batch->Put(kv::Cf::kBuckets, storage::StatsKey(bucket), storage::EncodeStats(stats));
  K3_RETURN_IF_ERROR(events_->Commit(*batch, {std::move(event)}));
  state->stats = stats;
  return Status();
}

Result<std::vector<DeleteObjectResult>> StorageService::Impl::DeleteMany(
    std::string_view bucket, const std::vector<std::string>& keys) {
  if (keys.size() > 1000) return InvalidArgument("at most 1000 keys may be deleted at once");
  K3_RETURN_IF_ERROR(LoadBucket(bucket).status());
  std::vector<DeleteObjectResult> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) out.push_back({key, Delete(bucket, key)});
  return out;
}

Result<ObjectInfo> StorageService::Impl::Copy(const CopyObjectRequest& request) {
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(request.source_key));
  K3_RETURN_IF_ERROR(storage::ValidateObjectKey(request.key));
  auto snapshot = store_->NewSnapshot();
  K3_RETURN_IF_ERROR(LoadBucket(request.source_bucket, snapshot.get()).status());
  K3_ASSIGN_OR_RETURN(auto source,
                      LoadObject(request.source_bucket, request.source_key, snapshot.get()));
  if (!source) {
    return NotFound("copy source " + ObjectName(request.source_bucket, request.source_key) +
                    " does not exist");
  }
  if (request.source_if_match && storage::UnquoteEtag(*request.source_if_match) != source->etag) {
    return FailedPrecondition("copy source has ETag " + source->etag +
                              " (x-amz-copy-source-if-match)");
  }
  PutObjectOptions options;
  if (request.metadata_directive == MetadataDirective::kReplace) {
    options.content_type = request.content_type;
    options.metadata = request.metadata;
  } else {
    options.content_type = source->content_type;
    options.metadata = source->metadata;
  }
  // Stream the source's bytes, as of the snapshot, into the new object.
  uint64_t offset = 0;
  ObjectReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    const uint64_t n = std::min<uint64_t>(cap, source->size - offset);
    size_t filled = 0;
    K3_RETURN_IF_ERROR(
        blobs_.Read(source->segments, offset, n, snapshot.get(), [&](std::string_view bytes) {
          std::copy(bytes.begin(), bytes.end(), buf + filled);
          filled += bytes.size();
          return Status();
        }));
    offset += n;
    return static_cast<size_t>(n);
  };
  return PutStream(request.bucket, request.key, reader, options);
}

}  // namespace k3
