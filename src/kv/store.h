// kv/store.h: the one place that talks to RocksDB. A Store is the open `<dir>/meta` RocksDB
// with k3's column families; Batch, Iterator and Snapshot wrap RocksDB's so that services
// never include RocksDB headers.
//
// Data directory layout (see docs/architecture.md):
//   <dir>/K3DATA    marker + format version, written once the store exists
//   <dir>/k3.lock   flock()ed by the Db that has the directory open
//   <dir>/meta/     this store
// Thread-safety: Store, its Get/Write/NewIterator are thread-safe; a Batch or Iterator is used
// by one thread at a time.
#ifndef K3_KV_STORE_H_
#define K3_KV_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "k3/options.h"
#include "k3/status.h"
#include "util/log.h"

namespace rocksdb {
class DB;
class WriteBatch;
class Iterator;
class Snapshot;
class ColumnFamilyHandle;
struct Options;
}  // namespace rocksdb

namespace k3::kv {

// The column families. Each service owns the families it writes; see docs/architecture.md.
enum class Cf : int {
  kMeta = 0,  // format version, per-directory settings, pending-blob markers
  kBuckets,   // bucket name -> bucket record; "s/<name>" -> bucket counters
  kObjects,   // bucket \0 key -> object record
  kChunks,    // blob id (16 bytes) + chunk index (4 bytes, BE) -> bytes
  kUploads,   // multipart uploads and their parts
  kEvents,    // offset (8 bytes, BE) -> event record
  kRecords,   // other services' domain records, by "<kind>/<scope>/<id>"
  kVectors,   // VectorService: engines, collections, vector rows (see vectors/records.h)
  kCount,
};

const char* CfName(Cf cf);

// A set of writes applied atomically by Store::Write. Made by Store::NewBatch.
class Batch {
 public:
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(Cf cf, std::string_view begin, std::string_view end);
  size_t ApproximateBytes() const;
  bool empty() const;
  void Clear();

 private:
  friend class Store;
  Batch(const class Store* store, size_t reserved_bytes);
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  const class Store* store_;
};

class Snapshot;

class Iterator {
 public:
  ~Iterator();
  void Seek(std::string_view key);
  void SeekToFirst();
  void SeekToLast();
  void SeekForPrev(std::string_view key);
  bool Valid() const;
  void Next();
  void Prev();
  std::string_view key() const;
  std::string_view value() const;
  Status status() const;

 private:
  friend class Store;
  Iterator() = default;
  struct Bound;
  std::unique_ptr<Bound> bound_;  // must outlive it_
  std::unique_ptr<rocksdb::Iterator> it_;
};

// A consistent read view. Release by destroying it (before the Store).
class Snapshot {
 public:
  ~Snapshot();

 private:
  friend class Store;
  Snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snap) : db_(db), snap_(snap) {}
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

class Store {
 public:
  // Opens or creates the store of the data directory `dir` (see the layout above), taking the
  // directory's lock for the lifetime of the Store.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const Options& options,
                                             util::Logger logger);
  ~Store();

  // reserved_bytes: expected size of the batch's data, to avoid regrowing large batches.
  std::unique_ptr<Batch> NewBatch(size_t reserved_bytes = 0) const;
  // Applies the batch atomically with the directory's durability (Options::sync_writes).
  Status Write(Batch& batch);
  // nullopt when the key is absent.
  Result<std::optional<std::string>> Get(Cf cf, std::string_view key,
                                         const Snapshot* snapshot = nullptr) const;
  // Point lookup that hands the value to `visit` without copying it; returns whether the key
  // exists. The view is valid only during the call.
  Result<bool> Visit(Cf cf, std::string_view key, const Snapshot* snapshot,
                     const std::function<Status(std::string_view)>& visit) const;
  // An iterator over `cf`; when upper_bound is non-empty it stops before that key.
  std::unique_ptr<Iterator> NewIterator(Cf cf, std::string upper_bound = {},
                                        const Snapshot* snapshot = nullptr) const;
  std::unique_ptr<Snapshot> NewSnapshot() const;

  const std::string& dir() const { return dir_; }
  const util::Logger& logger() const { return logger_; }
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const;

  // RocksDB's options for a store built from k3 `options`; shared with the benchmarks so that
  // raw-RocksDB comparisons run with exactly the same settings.
  static void ConfigureRocksOptions(const Options& options, rocksdb::Options* rocks);

 private:
  Store() = default;
  struct State;
  std::unique_ptr<State> state_;
  std::string dir_;
  util::Logger logger_;
};

// Converts a RocksDB status into a k3 Status, naming `what` was being done.
Status FromRocks(const void* rocks_status, std::string_view what);

}  // namespace k3::kv

#endif  // K3_KV_STORE_H_
