// storage_bench: StorageService put_object / get_object against raw RocksDB.
//
// Flags: --quick (10x fewer objects, for smoke runs); --only=4k or --only=1m (one workload,
// for profiling). Other arguments are ignored, since `./build.sh bench ARGS` passes the same
// ARGS to every benchmark.
//
// For each workload (100k x 4 KiB, 1k x 1 MiB), k3 and raw RocksDB each get a fresh directory
// under one /tmp scratch dir, opened with the same RocksDB options
// (kv::Store::ConfigureRocksOptions of a default k3::Options, create_if_missing = true), and
// both see the same keys and the same incompressible bytes in the same shuffled order. The
// puts are cut into kSlices slices that run interleaved — k3 slice 1, raw slice 1, raw slice 2,
// k3 slice 2, ... (who goes first alternates) — so both stores fill up in step and a burst of
// noise hits both alike; then the gets (another shuffled order) run the same way. A
// throughput is the median of its per-slice throughputs. Every 97th object is checked
// byte-exact afterwards, outside the timing.
//
//   k3 put  = db.storage().put_object(bucket, key, bytes)
//   k3 get  = db.storage().get_object(bucket, key)
//   raw put = rocksdb::DB::Put(WriteOptions{}, key, bytes)   (sync = false, as k3's default)
//   raw get = rocksdb::DB::Get(ReadOptions{}, key, &std::string)
//
// Output: for storage.put_4k, storage.get_4k, storage.put_1m and storage.get_1m, one line
// "ratio <name> <k3 MB/s / raw MB/s>" followed by indented figures.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "k3/db.h"
#include "k3/options.h"
#include "k3/storage.h"
#include "kv/store.h"

namespace {

using k3::bench::Check;
using k3::bench::Die;

constexpr int kSlices = 5;
constexpr std::string_view kBucket = "bench";
constexpr size_t kPoolBytes = 64u << 20;

struct Workload {
  std::string suffix;  // "4k" -> storage.put_4k / storage.get_4k
  size_t count = 0;
  size_t size = 0;
};

// The objects of a workload: key i and bytes i (a slice of a shared random pool).
class Objects {
 public:
  Objects(const Workload& w, const std::string& pool) : size_(w.size), pool_(pool) {
    keys_.reserve(w.count);
    char buf[32];
    for (size_t i = 0; i < w.count; ++i) {
      std::snprintf(buf, sizeof buf, "obj/%08zu", i);
      keys_.emplace_back(buf);
    }
  }
  size_t count() const { return keys_.size(); }
  size_t size() const { return size_; }
  const std::string& key(size_t i) const { return keys_[i]; }
  std::string_view bytes(size_t i) const {
    // Consecutive objects never share bytes; the odd stride makes the offsets vary.
    const size_t stride = size_ + 4099;
    return std::string_view(pool_).substr((i * stride) % (pool_.size() - size_), size_);
  }

 private:
  size_t size_;
  const std::string& pool_;
  std::vector<std::string> keys_;
};

// One store under test: put / get of object i (dying on any error), and a read-back for
// verification.
struct Target {
  std::function<void(size_t)> put;
  std::function<void(size_t)> get;
  std::function<std::string(const std::string& key)> read;
};

// k3: a Db with one bucket.
class K3Target {
 public:
  K3Target(const std::string& dir, const Objects& objects) : objects_(objects) {
    auto opened = k3::Db::open(dir, k3::Options{});
    Check(opened.ok(), "k3::Db::open: " + opened.status().ToString());
    db_.emplace(std::move(opened).value());
    auto bucket = db_->storage().create_bucket({.name = std::string(kBucket)});
    Check(bucket.ok(), "create_bucket: " + bucket.status().ToString());
  }

  Target target() {
    k3::StorageService& storage = db_->storage();
    Target t;
    t.put = [this, &storage](size_t i) {
      auto r = storage.put_object(kBucket, objects_.key(i), objects_.bytes(i));
      if (!r.ok()) Die("k3 put_object " + objects_.key(i) + ": " + r.status().ToString());
    };
    t.get = [this, &storage](size_t i) {
      auto r = storage.get_object(kBucket, objects_.key(i));
      if (!r.ok()) Die("k3 get_object " + objects_.key(i) + ": " + r.status().ToString());
      if (r->body.size() != objects_.size()) Die("k3 get_object " + objects_.key(i) + ": size");
    };
    t.read = [&storage](const std::string& key) {
      auto r = storage.get_object(kBucket, key);
      Check(r.ok(), "k3 get_object " + key + ": " + r.status().ToString());
      return std::move(r->body);
    };
    return t;
  }

 private:
  const Objects& objects_;
  std::optional<k3::Db> db_;
};

// Raw RocksDB: the default column family of a DB with k3's options.
class RawTarget {
 public:
  RawTarget(const std::string& dir, const Objects& objects) : objects_(objects) {
    rocksdb::Options options;
    k3::kv::Store::ConfigureRocksOptions(k3::Options{}, &options);
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
    Check(s.ok(), "rocksdb::DB::Open: " + s.ToString());
    db_.reset(raw);
    write_options_.sync = k3::Options{}.sync_writes;
  }
  ~RawTarget() {
    rocksdb::Status s = db_->Close();
    Check(s.ok(), "rocksdb Close: " + s.ToString());
  }

  Target target() {
    Target t;
    t.put = [this](size_t i) {
      const std::string_view bytes = objects_.bytes(i);
      rocksdb::Status s =
          db_->Put(write_options_, objects_.key(i), rocksdb::Slice(bytes.data(), bytes.size()));
      if (!s.ok()) Die("rocksdb Put " + objects_.key(i) + ": " + s.ToString());
    };
    t.get = [this](size_t i) {
      std::string value;
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), objects_.key(i), &value);
      if (!s.ok()) Die("rocksdb Get " + objects_.key(i) + ": " + s.ToString());
      if (value.size() != objects_.size()) Die("rocksdb Get " + objects_.key(i) + ": size");
    };
    t.read = [this](const std::string& key) {
      std::string value;
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
      Check(s.ok(), "rocksdb Get " + key + ": " + s.ToString());
      return value;
    };
    return t;
  }

 private:
  const Objects& objects_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
};

struct Throughputs {
  std::vector<double> k3, raw;  // MB/s per slice
};

// Runs op(i) for every i of `order` on both targets, in kSlices interleaved slices.
Throughputs Interleave(const std::vector<size_t>& order, size_t object_size,
                       const std::function<void(size_t)>& k3_op,
                       const std::function<void(size_t)>& raw_op) {
  Throughputs out;
  for (int slice = 0; slice < kSlices; ++slice) {
    const size_t begin = order.size() * slice / kSlices;
    const size_t end = order.size() * (slice + 1) / kSlices;
    const uint64_t bytes = static_cast<uint64_t>(end - begin) * object_size;
    for (int turn = 0; turn < 2; ++turn) {
      const bool k3_turn = (slice + turn) % 2 == 0;  // k3 first in even slices
      const auto& op = k3_turn ? k3_op : raw_op;
      const double seconds = k3::bench::TimeSeconds([&] {
        for (size_t j = begin; j < end; ++j) op(order[j]);
      });
      (k3_turn ? out.k3 : out.raw).push_back(k3::bench::MBps(bytes, seconds));
    }
  }
  return out;
}

std::string JoinSlices(const std::vector<double>& values) {
  std::string out;
  char buf[32];
  for (double v : values) {
    std::snprintf(buf, sizeof buf, "%s%.1f", out.empty() ? "" : " ", v);
    out += buf;
  }
  return out;
}

void Report(const std::string& name, const Throughputs& t, const std::string& detail) {
  k3::bench::PrintThroughputRatio(name, k3::bench::Median(t.k3), k3::bench::Median(t.raw), detail);
  std::printf("  per slice (MB/s): k3 %s; raw %s\n", JoinSlices(t.k3).c_str(),
              JoinSlices(t.raw).c_str());
  std::fflush(stdout);
}

void RunWorkload(const Workload& w, const std::string& pool, const k3::bench::TempDir& scratch) {
  const Objects objects(w, pool);
  const std::vector<size_t> put_order = k3::bench::Permutation(w.count, 1);
  const std::vector<size_t> get_order = k3::bench::Permutation(w.count, 2);
  const std::string detail = std::to_string(w.count) + " objects x " + k3::bench::SizeName(w.size);
  {
    K3Target k3_store(scratch.Sub("k3-" + w.suffix), objects);
    RawTarget raw_store(scratch.Sub("raw-" + w.suffix), objects);
    const Target k3 = k3_store.target();
    const Target raw = raw_store.target();

    const Throughputs puts = Interleave(put_order, w.size, k3.put, raw.put);
    const Throughputs gets = Interleave(get_order, w.size, k3.get, raw.get);
    for (size_t i = 0; i < objects.count(); i += 97) {
      if (k3.read(objects.key(i)) != objects.bytes(i) ||
          raw.read(objects.key(i)) != objects.bytes(i)) {
        Die("object " + objects.key(i) + " read back different bytes");
      }
    }
    Report("storage.put_" + w.suffix, puts, detail);
    Report("storage.get_" + w.suffix, gets, detail);
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch.Sub("k3-" + w.suffix), ec);
  std::filesystem::remove_all(scratch.Sub("raw-" + w.suffix), ec);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = k3::bench::HasFlag(argc, argv, "--quick");
  const std::string only = k3::bench::FlagValue(argc, argv, "--only=");
  const size_t scale = quick ? 10 : 1;
  const std::vector<Workload> workloads = {
      {"4k", 100000 / scale, 4u << 10},
      {"1m", 1000 / scale, 1u << 20},
  };
  std::printf(
      "storage_bench: k3 StorageService vs raw RocksDB, same options and data; median of %d "
      "interleaved slices%s\n",
      kSlices, quick ? " (--quick)" : "");
  std::fflush(stdout);

  const std::string pool = k3::bench::RandomBytes(kPoolBytes, 42);
  k3::bench::TempDir scratch("k3-storage-bench");
  for (const Workload& w : workloads) {
    if (only.empty() || only == w.suffix) RunWorkload(w, pool, scratch);
  }
  return 0;
}
