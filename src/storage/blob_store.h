// storage/blob_store.h: object bytes as chunked blobs in the chunks column family.
// A blob is a random 16-byte id; its chunk i holds bytes [i*kChunkSize, (i+1)*kChunkSize).
// Blobs written by streaming are marked pending in the meta column family until the batch
// that references them commits (which clears the mark); a crash in between leaves a pending
// mark that RecoverPending removes, with its chunks, on the next open.
// Thread-safety: thread-safe; each call works on its own blob.
#ifndef K3_STORAGE_BLOB_STORE_H_
#define K3_STORAGE_BLOB_STORE_H_

#include <string>
#include <vector>

#include "k3/storage.h"
#include "kv/store.h"
#include "storage/records.h"

namespace k3::storage {

struct WrittenBlob {
  Segment segment;
  std::string md5;  // 16 raw bytes of the blob's MD5
};

class BlobStore {
 public:
  explicit BlobStore(kv::Store* store) : store_(store) {}

  // Deletes blobs left pending by a crash; returns how many.
  Result<int> RecoverPending();

  // Adds all of `bytes` as a new blob to `batch` (committed with it; no pending mark).
  WrittenBlob AddInline(kv::Batch& batch, std::string_view bytes);

  // Streams `reader` into a new pending blob with memory bounded by a few chunks. When the
  // size would exceed max_bytes the write stops with `over_limit`. On any error the blob is
  // removed and nothing remains.
  Result<WrittenBlob> WriteStream(const ObjectReader& reader, uint64_t max_bytes,
                                  const Status& over_limit);

  // Adds to `batch` the clearing of a pending mark (the blob becomes owned by what the batch
  // writes) / the deletion of a blob's chunks.
  void AddClearPending(kv::Batch& batch, const Segment& segment);
  void AddDelete(kv::Batch& batch, const Segment& segment);
  // Removes a pending blob that will not be committed.
  Status Discard(const Segment& segment);

  // Passes bytes [offset, offset + length) of the concatenated segments to `writer`, reading
  // only the chunks that hold them, from `snapshot`. DATA_LOSS when a chunk is missing.
  Status Read(const std::vector<Segment>& segments, uint64_t offset, uint64_t length,
              const kv::Snapshot* snapshot, const ObjectWriter& writer) const;

 private:
  kv::Store* store_;
};

}  // namespace k3::storage

#endif  // K3_STORAGE_BLOB_STORE_H_
