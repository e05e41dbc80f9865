// k3/options.h: the knobs of a data directory, each with its default, and the log sink.
// Thread-safety: Options is a plain value read once by Db::Open; the log sink it carries is
// called from any k3 thread and must be thread-safe.
#ifndef K3_OPTIONS_H_
#define K3_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "k3/embedder.h"
#include "k3/export.h"

namespace k3 {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Receives every message k3 logs at or above Options::log_level. k3 never prints by itself.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// The default sink: writes "k3 <LEVEL>: message" lines to stderr.
K3_EXPORT void LogToStderr(LogLevel level, std::string_view message);

struct Options {
  // Durability of acknowledged writes.
  //   false (default): every write is in the write-ahead log before it is acknowledged, so it
  //     survives a crash of the process; a power loss or kernel crash may lose the last writes.
  //   true: the write-ahead log is fsync'ed before acknowledging, so writes survive power loss
  //     too, at the cost of one fsync per write.
  bool sync_writes = false;

  // Memory budget for RocksDB's block cache (shared by all column families), in bytes.
  // Default 64 MiB. Memtables add up to about write_buffer_bytes per active column family.
  uint64_t block_cache_bytes = 64ull << 20;

  // Size of one memtable before it is flushed, in bytes. Default 32 MiB.
  uint64_t write_buffer_bytes = 32ull << 20;

  // Background worker threads (ingest jobs and maintenance). 0 (default) = number of cores.
  int worker_threads = 0;

  // Runs an ingest job may take before it is FAILED, when its errors may be transient
  // (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN). Default 3; at least 1.
  int ingest_max_attempts = 3;

  // Backoff before the second run of a failed job, in milliseconds; it doubles for each
  // further run, up to 60 s. Default 500.
  int64_t ingest_retry_backoff_ms = 500;

  // How many versions of history each table keeps for TableService::restore (older entries
  // are pruned on write). Default 1000; 0 keeps no history.
  uint32_t table_history_versions = 1000;

  // Embedders registered before any ingest job runs, as Db::register_embedder would (same
  // rules for names). Jobs left pending by the previous session start as soon as the Db
  // opens, so a pipeline that uses a host embedder needs it here, not only registered later.
  std::map<std::string, std::shared_ptr<Embedder>> embedders;

  // The master key that encrypts credential secrets at rest (AES-256-GCM): 64 hex characters
  // or the standard base64 of 32 bytes. Empty (default): the K3_MASTER_KEY environment
  // variable, else the key file <path>/master.key, created (mode 0600) on first open. A key
  // given here that is malformed makes Db::open fail with INVALID_ARGUMENT; opening with
  // another key than the secrets were sealed with succeeds, and using such a secret is
  // FAILED_PRECONDITION naming both key fingerprints.
  std::string master_key;

  // Create the data directory when it does not exist. Default true.
  bool create_if_missing = true;

  // Where log messages go and from which level. Default: warnings and errors to stderr.
  LogSink log_sink = LogToStderr;
  LogLevel log_level = LogLevel::kWarning;
};

}  // namespace k3

#endif  // K3_OPTIONS_H_
