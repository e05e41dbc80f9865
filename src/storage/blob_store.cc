#include "storage/blob_store.h"

#include <algorithm>
#include <atomic>

#include "kv/codec.h"
#include "util/hash.h"
#include "util/ids.h"

namespace k3::storage {
namespace {

constexpr std::string_view kPendingPrefix = "pending/";
constexpr size_t kFlushBytes = 4 * kChunkSize;  // bytes buffered in a batch before writing

std::string ChunkKey(std::string_view blob_id, uint32_t index) {
  std::string k(blob_id);
  kv::AppendBigEndian32(&k, index);
  return k;
}

// Sorts after every chunk key of the blob.
std::string BlobEnd(std::string_view blob_id) {
  std::string k(blob_id);
  k.append(5, '\xff');
  return k;
}

// Unique without being unpredictable: a random per-process salt and a counter.
std::string NewBlobId() {
  static const std::string salt = util::RandomBytes(8);
  static std::atomic<uint64_t> counter{0};
  std::string id = salt;
  kv::AppendBigEndian64(&id, counter.fetch_add(1, std::memory_order_relaxed));
  return id;
}

std::string PendingKey(std::string_view blob_id) {
  std::string k(kPendingPrefix);
  k.append(blob_id);
  return k;
}

}  // namespace

Result<int> BlobStore::RecoverPending() {
  std::vector<std::string> blobs;
  std::string end(kPendingPrefix);
  end.back() = '/' + 1;
  auto it = store_->NewIterator(kv::Cf::kMeta, end);
  for (it->Seek(kPendingPrefix); it->Valid(); it->Next()) {
    blobs.emplace_back(it->key().substr(kPendingPrefix.size()));
  }
  K3_RETURN_IF_ERROR(it->status());
  if (blobs.empty()) return 0;
  auto batch = store_->NewBatch();
  for (const std::string& blob : blobs) {
    batch->DeleteRange(kv::Cf::kChunks, ChunkKey(blob, 0), BlobEnd(blob));
    batch->Delete(kv::Cf::kMeta, PendingKey(blob));
  }
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return static_cast<int>(blobs.size());
}

WrittenBlob BlobStore::AddInline(kv::Batch& batch, std::string_view bytes) {
  WrittenBlob out;  // the caller sized the batch for the bytes
  out.segment.blob_id = NewBlobId();
  out.segment.size = bytes.size();
  out.md5 = util::Md5Digest(bytes);
  uint32_t index = 0;
  for (size_t pos = 0; pos < bytes.size(); pos += kChunkSize, ++index) {
    batch.Put(kv::Cf::kChunks, ChunkKey(out.segment.blob_id, index), bytes.substr(pos, kChunkSize));
  }
  return out;
}

Result<WrittenBlob> BlobStore::WriteStream(const ObjectReader& reader, uint64_t max_bytes,
                                           const Status& over_limit) {
  WrittenBlob out;
  out.segment.blob_id = NewBlobId();
  util::Md5 md5;
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kMeta, PendingKey(out.segment.blob_id), "");
  // The mark is written first and alone, so that no chunk can exist without it.
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  batch->Clear();

  auto fail = [&](Status s) -> Status {
    Status discard = Discard(out.segment);
    return discard.ok() ? s : discard;
  };

  std::string chunk;
  chunk.reserve(kChunkSize);
  uint32_t index = 0;
  bool eof = false;
  while (!eof) {
    chunk.clear();
    while (chunk.size() < kChunkSize) {
      size_t old = chunk.size();
      chunk.resize(kChunkSize);
      Result<size_t> n = reader(chunk.data() + old, kChunkSize - old);
      if (!n.ok()) {
        chunk.resize(old);
        return fail(n.status());
      }
      if (*n > kChunkSize - old) {
        return fail(InvalidArgument("object reader returned more bytes than asked for"));
      }
      chunk.resize(old + *n);
      if (*n == 0) {
        eof = true;
        break;
      }
    }
    if (chunk.empty()) break;
    out.segment.size += chunk.size();
    if (out.segment.size > max_bytes) return fail(over_limit);
    md5.Update(chunk);
    batch->Put(kv::Cf::kChunks, ChunkKey(out.segment.blob_id, index++), chunk);
    if (batch->ApproximateBytes() >= kFlushBytes) {
      Status s = store_->Write(*batch);
      if (!s.ok()) return fail(s);
      batch->Clear();
    }
  }
  if (!batch->empty()) {
    Status s = store_->Write(*batch);
    if (!s.ok()) return fail(s);
  }
  out.md5 = md5.Finish();
  return out;
}

void BlobStore::AddClearPending(kv::Batch& batch, const Segment& segment) {
  batch.Delete(kv::Cf::kMeta, PendingKey(segment.blob_id));
}

void BlobStore::AddDelete(kv::Batch& batch, const Segment& segment) {
  batch.DeleteRange(kv::Cf::kChunks, ChunkKey(segment.blob_id, 0), BlobEnd(segment.blob_id));
}

Status BlobStore::Discard(const Segment& segment) {
  auto batch = store_->NewBatch();
  AddDelete(*batch, segment);
  AddClearPending(*batch, segment);
  return store_->Write(*batch);
}

Status BlobStore::Read(const std::vector<Segment>& segments, uint64_t offset, uint64_t length,
                       const kv::Snapshot* snapshot, const ObjectWriter& writer) const {
  const uint64_t end = offset + length;
  uint64_t seg_start = 0;
  for (const Segment& seg : segments) {
    const uint64_t seg_end = seg_start + seg.size;
    if (seg_end <= offset || seg.size == 0) {
      seg_start = seg_end;
      continue;
    }
    if (seg_start >= end) break;
    const uint64_t from = std::max(offset, seg_start) - seg_start;
    const uint64_t to = std::min(end, seg_end) - seg_start;
    // Point lookups (not an iterator): each uses the bloom filters and reads one block.
    for (uint64_t chunk_start = from / kChunkSize * kChunkSize; chunk_start < to;
         chunk_start += kChunkSize) {
      const uint32_t index = static_cast<uint32_t>(chunk_start / kChunkSize);
      const uint64_t expected = std::min(kChunkSize, seg.size - chunk_start);
      const uint64_t lo = std::max(from, chunk_start) - chunk_start;
      const uint64_t hi = std::min(to, chunk_start + expected) - chunk_start;
      auto missing = [&] {
        return DataLoss("object data is missing or damaged (chunk " + std::to_string(index) +
                        " of blob " + util::HexEncode(seg.blob_id) + ")");
      };
      K3_ASSIGN_OR_RETURN(bool found,
                          store_->Visit(kv::Cf::kChunks, ChunkKey(seg.blob_id, index), snapshot,
                                        [&](std::string_view bytes) -> Status {
                                          if (bytes.size() != expected) return missing();
                                          return writer(bytes.substr(lo, hi - lo));
                                        }));
      if (!found) return missing();
    }
    seg_start = seg_end;
  }
  return Status();
}

}  // namespace k3::storage
