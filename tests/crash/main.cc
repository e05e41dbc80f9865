// k3_crash_child: the workloads that crash tests run in a child process and kill with SIGKILL.
// Each workload reports every acknowledged operation on stdout, one line each, flushed before
// the next operation starts, so the parent knows exactly what was acknowledged.
//
//   k3_crash_child storage <data_dir> <seed>
//     puts (sizes from 0 bytes to 3 MiB, some streamed) and deletes objects in bucket "crash"
//     forever; prints "PUT <key> <etag> <size>" and "DEL <key>" after each acknowledged call.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "k3/k3.hpp"

namespace {

// The deterministic bytes of object version `version` of `key`: the parent recomputes them.
std::string Bytes(const std::string& key, uint64_t version, size_t size) {
  std::string out(size, '\0');
  std::mt19937_64 rng(std::hash<std::string>{}(key) ^ (version * 0x9E3779B97F4A7C15ull));
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < size; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

int RunStorage(const std::string& dir, uint64_t seed) {
  auto db = k3::Db::open(dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 2;
  }
  auto& storage = db->storage();
  if (!storage.get_bucket("crash").ok()) {
    auto b = storage.create_bucket({.name = "crash"});
    if (!b.ok()) return 3;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  for (uint64_t op = 0;; ++op) {
    const std::string key = "k/" + std::to_string(rng() % 200);
    if (rng() % 5 == 0) {
      if (!storage.delete_object("crash", key).ok()) return 4;
      std::printf("DEL %s\n", key.c_str());
    } else {
      const uint64_t version = seed * 1000003 + op;
      size_t size;
      switch (rng() % 4) {
        case 0: size = 0; break;
        case 1: size = rng() % 4096; break;
        case 2: size = rng() % (64 << 10); break;
        default: size = rng() % (3 << 20); break;
      }
      const std::string bytes = Bytes(key, version, size);
      k3::Result<k3::ObjectInfo> info = k3::Status();
      if (rng() % 2 == 0) {
        info = storage.put_object("crash", key, bytes);
      } else {
        size_t pos = 0;
        info = storage.put_object_stream("crash", key, [&](char* buf, size_t cap) -> k3::Result<size_t> {
          size_t n = std::min(cap, bytes.size() - pos);
          std::copy_n(bytes.data() + pos, n, buf);
          pos += n;
          return n;
        });
      }
      if (!info.ok()) return 5;
      std::printf("PUT %s %s %zu %llu\n", key.c_str(), info->etag.c_str(), size,
                  static_cast<unsigned long long>(version));
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: k3_crash_child storage <data_dir> <seed>\n");
    return 1;
  }
  const std::string mode = argv[1];
  if (mode == "storage") return RunStorage(argv[2], std::strtoull(argv[3], nullptr, 10));
  std::fprintf(stderr, "unknown workload %s\n", mode.c_str());
  return 1;
}
