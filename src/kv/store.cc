#include "kv/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "k3/db.h"

namespace k3::kv {
namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, static_cast<int>(Cf::kCount)> kCfNames = {
    "default", "buckets", "objects", "chunks", "uploads", "events", "records", "vectors"};

constexpr char kMarkerFile[] = "K3DATA";
constexpr char kLockFile[] = "k3.lock";
constexpr char kStoreDir[] = "meta";
constexpr char kMarkerMagic[] = "k3 data directory";
constexpr char kFormatKey[] = "format_version";

// Files that a directory may hold before its marker exists (a fresh or half-created one).
bool MayPrecedeMarker(const std::string& name) {
  return name == kLockFile || name == kStoreDir || name == std::string(kMarkerFile) + ".tmp";
}

Status IoError(std::string_view what, const fs::path& p, int err) {
  return Internal(std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

}  // namespace

Status FromRocks(const void* rocks_status, std::string_view what) {
  const auto& s = *static_cast<const rocksdb::Status*>(rocks_status);
  if (s.ok()) return Status();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return DataLoss(msg);
  if (s.IsNotFound()) return NotFound(msg);
  if (s.IsInvalidArgument()) return InvalidArgument(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return Unavailable(msg);
  if (s.IsNoSpace()) return ResourceExhausted(msg);
  return Internal(msg);
}

const char* CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

// ---- Batch ----

Batch::Batch(const Store* store, size_t reserved_bytes)
    : batch_(std::make_unique<rocksdb::WriteBatch>(reserved_bytes)), store_(store) {}
Batch::~Batch() = default;

void Batch::Put(Cf cf, std::string_view key, std::string_view value) {
  batch_->Put(store_->handle(cf), rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
}
void Batch::Delete(Cf cf, std::string_view key) {
  batch_->Delete(store_->handle(cf), rocksdb::Slice(key.data(), key.size()));
}
void Batch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  batch_->DeleteRange(store_->handle(cf), rocksdb::Slice(begin.data(), begin.size()),
                      rocksdb::Slice(end.data(), end.size()));
}
size_t Batch::ApproximateBytes() const { return batch_->GetDataSize(); }
bool Batch::empty() const { return batch_->Count() == 0; }
void Batch::Clear() { batch_->Clear(); }

// ---- Iterator ----

struct Iterator::Bound {
  std::string bytes;
  rocksdb::Slice slice;
};

Iterator::~Iterator() { it_.reset(); }
void Iterator::Seek(std::string_view key) { it_->Seek(rocksdb::Slice(key.data(), key.size())); }
void Iterator::SeekToFirst() { it_->SeekToFirst(); }
void Iterator::SeekToLast() { it_->SeekToLast(); }
void Iterator::SeekForPrev(std::string_view key) {
  it_->SeekForPrev(rocksdb::Slice(key.data(), key.size()));
}
bool Iterator::Valid() const { return it_->Valid(); }
void Iterator::Next() { it_->Next(); }
void Iterator::Prev() { it_->Prev(); }
std::string_view Iterator::key() const {
  rocksdb::Slice s = it_->key();
  return {s.data(), s.size()};
}
std::string_view Iterator::value() const {
  rocksdb::Slice s = it_->value();
  return {s.data(), s.size()};
}
Status Iterator::status() const {
  rocksdb::Status s = it_->status();
  return FromRocks(&s, "iterating the store");
}

Snapshot::~Snapshot() { db_->ReleaseSnapshot(snap_); }

// ---- Store ----

struct Store::State {
  int lock_fd = -1;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::WriteOptions write_options;

  ~State() {
    if (db) {
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
      db->Close();
      db.reset();
    }
    if (lock_fd >= 0) {
      flock(lock_fd, LOCK_UN);
      close(lock_fd);
    }
  }
};

void Store::ConfigureRocksOptions(const Options& options, rocksdb::Options* rocks) {
  rocks->create_if_missing = false;
  rocks->create_missing_column_families = true;
  rocks->write_buffer_size = options.write_buffer_bytes;
  rocks->max_background_jobs = 2;
  rocks->bytes_per_sync = 1 << 20;
  rocks->compression = rocksdb::kLZ4Compression;
  rocks->bottommost_compression = rocksdb::kZSTD;
  rocks->info_log_level = rocksdb::WARN_LEVEL;
  rocks->keep_log_file_num = 3;
  rocks->max_manifest_file_size = 64 << 20;
  // A memtable bloom filter makes lookups of absent keys (new objects) cheap.
  rocks->memtable_prefix_bloom_size_ratio = 0.02;
  rocks->memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.block_size = 16 << 10;
  rocks->table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
}

namespace {

// Reads the marker; returns its format version, or an error when it is not a k3 marker.
Result<int> ReadMarker(const fs::path& marker) {
  std::ifstream in(marker);
  std::string magic, word;
  int version = 0;
  std::getline(in, magic);
  if (!in || magic != kMarkerMagic || !(in >> word >> version) || word != "format") {
    return FailedPrecondition(marker.parent_path().string() +
                              " is not a k3 data directory (its K3DATA file is not k3's)");
  }
  return version;
}

Status WriteMarker(const fs::path& dir) {
  fs::path tmp = dir / (std::string(kMarkerFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kMarkerMagic << "\nformat " << kDataFormatVersion << "\n";
    out.flush();
    if (!out) return IoError("cannot write", tmp, errno);
  }
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  std::error_code ec;
  fs::rename(tmp, dir / kMarkerFile, ec);
  if (ec) return Internal("cannot create " + (dir / kMarkerFile).string() + ": " + ec.message());
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir_in, const Options& options,
                                           util::Logger logger) {
  if (dir_in.empty()) return InvalidArgument("the data directory path is empty");
  fs::path dir(dir_in);
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (!fs::exists(st)) {
    if (!options.create_if_missing) {
      return NotFound("data directory " + dir.string() +
                      " does not exist (and Options::create_if_missing is false)");
    }
    fs::create_directories(dir, ec);
    if (ec) return Internal("cannot create data directory " + dir.string() + ": " + ec.message());
  } else if (!fs::is_directory(st)) {
    return FailedPrecondition(dir.string() + " is not a directory");
  }

  // Refuse a foreign directory before creating anything in it.
  const fs::path marker = dir / kMarkerFile;
  auto check_foreign = [&]() -> Status {
    if (fs::exists(marker)) return Status();
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!MayPrecedeMarker(entry.path().filename().string())) {
        return FailedPrecondition(dir.string() +
                                  " is not a k3 data directory: it is not empty and has no "
                                  "K3DATA file (found \"" +
                                  entry.path().filename().string() + "\")");
      }
    }
    if (ec) return Internal("cannot list " + dir.string() + ": " + ec.message());
    return Status();
  };
  K3_RETURN_IF_ERROR(check_foreign());

  auto store = std::unique_ptr<Store>(new Store());
  store->state_ = std::make_unique<State>();
  store->dir_ = dir.string();
  store->logger_ = std::move(logger);
  State& state = *store->state_;

  const fs::path lock_path = dir / kLockFile;
  state.lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (state.lock_fd < 0) return IoError("cannot open lock file", lock_path, errno);
  if (flock(state.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("data directory " + dir.string() +
                              " is already open by another k3::Db (in this or another process)");
  }
  // Another opener may have initialized the directory between the check and the lock.
  K3_RETURN_IF_ERROR(check_foreign());

  const bool fresh = !fs::exists(marker);
  if (!fresh) {
    K3_ASSIGN_OR_RETURN(int version, ReadMarker(marker));
    if (version != kDataFormatVersion) {
      return FailedPrecondition("data directory " + dir.string() + " has format version " +
                                std::to_string(version) + "; this k3 reads version " +
                                std::to_string(kDataFormatVersion));
    }
  }

  const std::string store_path = (dir / kStoreDir).string();
  if (!fresh && !fs::exists(dir / kStoreDir / "CURRENT")) {
    return DataLoss("data directory " + dir.string() + " has lost its store (" + store_path +
                    " is missing or incomplete)");
  }
  rocksdb::Options rocks;
  ConfigureRocksOptions(options, &rocks);
  rocks.create_if_missing = fresh;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kCfNames) {
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions(rocks));
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocks, store_path, cfs, &state.handles, &raw);
  if (!s.ok()) return FromRocks(&s, "opening " + store_path);
  state.db.reset(raw);
  state.write_options.sync = options.sync_writes;

  K3_ASSIGN_OR_RETURN(auto stored, store->Get(Cf::kMeta, kFormatKey));
  if (fresh) {
    auto batch = store->NewBatch();
    batch->Put(Cf::kMeta, kFormatKey, std::to_string(kDataFormatVersion));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = state.db->Write(sync, batch->batch_.get());
    if (!s.ok()) return FromRocks(&s, "initializing " + store_path);
    K3_RETURN_IF_ERROR(WriteMarker(dir));
  } else if (!stored || *stored != std::to_string(kDataFormatVersion)) {
    return FailedPrecondition("data directory " + dir.string() + ": its store's format version (" +
                              stored.value_or("none") + ") does not match K3DATA");
  }
  return store;
}

Store::~Store() = default;

rocksdb::ColumnFamilyHandle* Store::handle(Cf cf) const {
  return state_->handles[static_cast<int>(cf)];
}

std::unique_ptr<Batch> Store::NewBatch(size_t reserved_bytes) const {
  return std::unique_ptr<Batch>(new Batch(this, reserved_bytes));
}

Result<bool> Store::Visit(Cf cf, std::string_view key, const Snapshot* snapshot,
                          const std::function<Status(std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->snap_;
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      state_->db->Get(ro, handle(cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(&s, "reading from the store");
  K3_RETURN_IF_ERROR(visit(std::string_view(value.data(), value.size())));
  return true;
}

Status Store::Write(Batch& batch) {
  rocksdb::Status s = state_->db->Write(state_->write_options, batch.batch_.get());
  return FromRocks(&s, "writing to the store");
}

Result<std::optional<std::string>> Store::Get(Cf cf, std::string_view key,
                                              const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->snap_;
  std::string value;
  rocksdb::Status s =
      state_->db->Get(ro, handle(cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(&s, "reading from the store");
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<Iterator> Store::NewIterator(Cf cf, std::string upper_bound,
                                             const Snapshot* snapshot) const {
  auto it = std::unique_ptr<Iterator>(new Iterator());
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->snap_;
  if (!upper_bound.empty()) {
    it->bound_ = std::make_unique<Iterator::Bound>();
    it->bound_->bytes = std::move(upper_bound);
    it->bound_->slice = rocksdb::Slice(it->bound_->bytes);
    ro.iterate_upper_bound = &it->bound_->slice;
  }
  it->it_.reset(state_->db->NewIterator(ro, handle(cf)));
  return it;
}

std::unique_ptr<Snapshot> Store::NewSnapshot() const {
  return std::unique_ptr<Snapshot>(new Snapshot(state_->db.get(), state_->db->GetSnapshot()));
}

}  // namespace k3::kv
