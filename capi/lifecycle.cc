// capi/lifecycle.cc: the library, options and open/close parts of k3.h, translated to k3::Db
// and k3::Options.
#include <array>
#include <cstdlib>
#include <string>
#include <string_view>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/k3.h"
#include "k3/options.h"
#include "k3/status.h"
#include "k3/version.h"

using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

namespace {

// Overwrites a string's bytes before it is cleared, so that a secret does not linger in freed
// memory.
void WipeString(std::string* s) noexcept {
  volatile char* p = s->data();
  for (size_t i = 0; i < s->size(); ++i) p[i] = '\0';
  s->clear();
}

}  // namespace

extern "C" {

const char* k3_version(void) { return K3_VERSION_STRING; }

int k3_version_number(void) { return K3_VERSION_NUMBER; }

const char* k3_status_str(int code) {
  constexpr int kCodes = K3_UNAUTHENTICATED + 1;
  // NUL-terminated copies of k3::StatusCodeName's names, built once.
  static const std::array<std::string, kCodes>* names = [] {
    auto* n = new std::array<std::string, kCodes>();
    for (int i = 0; i < kCodes; ++i) {
      (*n)[i] = std::string(k3::StatusCodeName(static_cast<k3::StatusCode>(i)));
    }
    return n;
  }();
  if (code < 0 || code >= kCodes) return "UNKNOWN";
  return (*names)[code].c_str();
}

void k3_free(void* ptr) { std::free(ptr); }

void* k3_malloc(size_t size) { return std::malloc(size == 0 ? 1 : size); }

int k3_options_create(k3_options** out) {
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = nullptr;
  return Guard(nullptr, [&]() -> int {
    *out = new k3_options();
    return K3_OK;
  });
}

void k3_options_destroy(k3_options** opts) {
  if (opts == nullptr) return;
  if (*opts != nullptr) WipeString(&(*opts)->options.master_key);
  delete *opts;
  *opts = nullptr;
}

int k3_options_set_sync_writes(k3_options* opts, int sync_writes) {
  if (opts == nullptr) return K3_INVALID_ARGUMENT;
  opts->options.sync_writes = sync_writes != 0;
  return K3_OK;
}

int k3_options_set_block_cache_bytes(k3_options* opts, uint64_t bytes) {
  if (opts == nullptr) return K3_INVALID_ARGUMENT;
  opts->options.block_cache_bytes = bytes;
  return K3_OK;
}

int k3_options_set_worker_threads(k3_options* opts, int threads) {
  if (opts == nullptr || threads < 0) return K3_INVALID_ARGUMENT;
  opts->options.worker_threads = threads;
  return K3_OK;
}

int k3_options_set_create_if_missing(k3_options* opts, int create_if_missing) {
  if (opts == nullptr) return K3_INVALID_ARGUMENT;
  opts->options.create_if_missing = create_if_missing != 0;
  return K3_OK;
}

int k3_options_set_log_callback(k3_options* opts,
                                void (*cb)(void* user, int level, const char* msg, size_t len),
                                void* user, int min_level) {
  if (opts == nullptr || min_level < K3_LOG_DEBUG || min_level > K3_LOG_ERROR) {
    return K3_INVALID_ARGUMENT;
  }
  return Guard(nullptr, [&]() -> int {
    opts->options.log_level = static_cast<k3::LogLevel>(min_level);
    if (cb == nullptr) {
      opts->options.log_sink = k3::LogToStderr;
    } else {
      opts->options.log_sink = [cb, user](k3::LogLevel level, std::string_view message) {
        try {
          std::string text(message);  // NUL-terminated for the callback
          cb(user, static_cast<int>(level), text.c_str(), text.size());
        } catch (...) {
          // Out of memory while copying a log line: the line is dropped.
        }
      };
    }
    return K3_OK;
  });
}

int k3_options_set_log_level(k3_options* opts, int level) {
  if (opts == nullptr || level < K3_LOG_DEBUG || level > K3_LOG_ERROR) return K3_INVALID_ARGUMENT;
  opts->options.log_level = static_cast<k3::LogLevel>(level);
  return K3_OK;
}

int k3_options_set_write_buffer_bytes(k3_options* opts, uint64_t bytes) {
  if (opts == nullptr || bytes == 0) return K3_INVALID_ARGUMENT;
  opts->options.write_buffer_bytes = bytes;
  return K3_OK;
}

int k3_options_set_ingest_max_attempts(k3_options* opts, int attempts) {
  if (opts == nullptr || attempts < 1) return K3_INVALID_ARGUMENT;
  opts->options.ingest_max_attempts = attempts;
  return K3_OK;
}

int k3_options_set_ingest_retry_backoff_ms(k3_options* opts, int64_t ms) {
  if (opts == nullptr || ms < 0) return K3_INVALID_ARGUMENT;
  opts->options.ingest_retry_backoff_ms = ms;
  return K3_OK;
}

int k3_options_set_table_history_versions(k3_options* opts, uint32_t versions) {
  if (opts == nullptr) return K3_INVALID_ARGUMENT;
  opts->options.table_history_versions = versions;
  return K3_OK;
}

int k3_options_set_master_key(k3_options* opts, const char* key) {
  if (opts == nullptr) return K3_INVALID_ARGUMENT;
  return Guard(nullptr, [&]() -> int {
    WipeString(&opts->options.master_key);
    if (key != nullptr) opts->options.master_key = key;
    return K3_OK;
  });
}

int k3_open(const char* path, const k3_options* opts, k3_db** out_db, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_db, errmsg);
    *out_db = nullptr;
    K3_CAPI_REQUIRE(path, errmsg);
    k3::Result<k3::Db> db = k3::Db::open(path, opts != nullptr ? opts->options : k3::Options());
    if (!db.ok()) return Fail(db.status(), errmsg);
    *out_db = new k3_db(std::move(db).value());
    return Ok(errmsg);
  });
}

void k3_close(k3_db** db) {
  if (db == nullptr || *db == nullptr) return;
  k3::capi::CloseCursors(*db);
  try {
    delete *db;
  } catch (...) {
    // ~Db does not throw; nothing may cross the C boundary regardless.
  }
  *db = nullptr;
}

}  // extern "C"
