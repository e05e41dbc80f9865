// bench/bench_util.h: helpers shared by the benchmarks — timing, medians, throughput, the
// "ratio <name> <value>" output lines, scratch directories, deterministic data and flags.
//
// Every benchmark compares k3 with the raw dependency in the same run and prints, per
// measurement, exactly one line
//   ratio <name> <k3 ÷ raw, 3 decimals>
// followed by indented lines with the raw figures. Output goes to stdout; only a fatal error
// (Die) writes to stderr.
#ifndef K3_BENCH_BENCH_UTIL_H_
#define K3_BENCH_BENCH_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace k3::bench {

// The live TempDirs, removed by Die as well (exit() runs no destructors).
inline std::vector<std::string>& LiveTempDirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

// Prints `message` to stderr, removes the live TempDirs and exits with status 1.
[[noreturn]] inline void Die(std::string_view message) {
  std::fflush(stdout);
  std::fprintf(stderr, "benchmark failed: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::error_code ec;
  for (const std::string& dir : LiveTempDirs()) std::filesystem::remove_all(dir, ec);
  std::exit(1);
}

// Dies with `what` when `ok` is false.
inline void Check(bool ok, std::string_view what) {
  if (!ok) Die(what);
}

// True when `flag` (e.g. "--quick") is one of the arguments.
inline bool HasFlag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (flag == argv[i]) return true;
  }
  return false;
}

// The value of the last "<prefix><value>" argument (prefix e.g. "--only="), or "" when none.
inline std::string FlagValue(int argc, char** argv, std::string_view prefix) {
  std::string value;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(prefix)) value = arg.substr(prefix.size());
  }
  return value;
}

// Wall-clock seconds since construction (or the last Restart), from a monotonic clock.
class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  void Restart() { start_ = Clock::now(); }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

// Runs `fn` once and returns the seconds it took.
template <typename Fn>
double TimeSeconds(Fn&& fn) {
  Stopwatch watch;
  std::forward<Fn>(fn)();
  return watch.Seconds();
}

// The median of `values` (the mean of the middle two for an even count); 0 when empty.
inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Throughput in MB/s (10^6 bytes per second).
inline double MBps(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0;
}

// "4 KiB", "1 MiB", "100 B".
inline std::string SizeName(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

// Prints the one line a measurement contributes to the summary: "ratio <name> <k3/raw>".
inline void PrintRatio(std::string_view name, double k3_value, double raw_value) {
  const double ratio = raw_value > 0 ? k3_value / raw_value : 0;
  // Three decimals; three significant digits for ratios too small for that ("0.000404").
  std::printf(ratio > 0 && ratio < 0.1 ? "ratio %.*s %.3g\n" : "ratio %.*s %.3f\n",
              static_cast<int>(name.size()), name.data(), ratio);
}

// Prints a ratio line for two throughputs followed by the figures behind it:
//   ratio <name> <k3/raw>
//     k3 <MB/s> MB/s, raw <MB/s> MB/s (<detail>)
inline void PrintThroughputRatio(std::string_view name, double k3_mbps, double raw_mbps,
                                 std::string_view detail) {
  PrintRatio(name, k3_mbps, raw_mbps);
  std::printf("  k3 %.1f MB/s, raw %.1f MB/s (%.*s)\n", k3_mbps, raw_mbps,
              static_cast<int>(detail.size()), detail.data());
  std::fflush(stdout);
}

// A fresh directory under /tmp, removed with everything in it on destruction (or by Die).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix) {
    std::string pattern = "/tmp/" + std::string(prefix) + ".XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr, "cannot create a temporary directory in /tmp");
    path_ = pattern;
    LiveTempDirs().push_back(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    auto& live = LiveTempDirs();
    live.erase(std::remove(live.begin(), live.end(), path_), live.end());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Deterministic, fast pseudo-random numbers (splitmix64): the same seed gives the same data
// in every run, so k3 and the raw dependency see identical inputs.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Uniform(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

// `n` incompressible bytes.
inline std::string RandomBytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::string out(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = rng.Next();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (const uint64_t v = rng.Next(); i < n; ++i) out[i] = static_cast<char>(v >> (8 * (i % 8)));
  return out;
}

// A random permutation of 0..n-1 (Fisher–Yates).
inline std::vector<size_t> Permutation(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Uniform(i)]);
  return order;
}

// Every sentence of the retrieval fixture documents (tests/data/retrieval/*.txt of the source
// tree at `source_dir`), in file-name order: deterministic text for pipeline benchmarks.
inline std::vector<std::string> RetrievalSentences(const std::string& source_dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(source_dir + "/tests/data/retrieval")) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string sentence;
    for (char c : text.str()) {
      sentence += c == '\n' ? ' ' : c;
      if (c == '.' || c == '?' || c == '!') {
        out.push_back(sentence);
        sentence.clear();
      }
    }
  }
  Check(out.size() > 50, "the retrieval fixture has too few sentences");
  return out;
}

}  // namespace k3::bench

#endif  // K3_BENCH_BENCH_UTIL_H_
