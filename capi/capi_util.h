// capi/capi_util.h: what every file of the C shim shares — the handle structs behind k3.h's
// opaque types, and the translation of k3::Status into a C status code plus an optional
// k3-allocated error message. No logic of its own: only conversions between the C and C++
// forms. Thread-safety: every helper is reentrant.
#ifndef K3_CAPI_CAPI_UTIL_H_
#define K3_CAPI_CAPI_UTIL_H_

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "k3/db.h"
#include "k3/k3.h"
#include "k3/options.h"
#include "k3/status.h"

// The handles behind k3.h's opaque types.
struct k3_db {
  explicit k3_db(k3::Db opened) : db(std::move(opened)) {}

  k3::Db db;
  // The cursors k3_query opened and k3_cursor_destroy has not destroyed yet: a k3::RowCursor
  // must be gone before its Db, so k3_close finishes them first (capi/tables.cc).
  std::mutex cursors_mu;
  std::set<k3_cursor*> cursors;
};

struct k3_options {
  k3::Options options;
};

namespace k3::capi {

// Finishes every cursor still open on `db` (their queries end, their read connections are
// released; the handles stay for k3_cursor_destroy). Called by k3_close before the Db goes.
void CloseCursors(k3_db* db) noexcept;

// A NUL-terminated malloc'ed copy of `s` (freed with k3_free), or NULL when out of memory.
inline char* CopyString(std::string_view s) noexcept {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) return nullptr;
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

// Sets *errmsg (when errmsg is non-NULL) to a copy of `message` and returns `code`.
inline int Fail(int code, std::string_view message, char** errmsg) noexcept {
  if (errmsg != nullptr) *errmsg = CopyString(message);
  return code;
}

// A non-OK Status as a C code; its message goes to *errmsg (the code name when it has none).
inline int Fail(const Status& status, char** errmsg) noexcept {
  if (status.ok()) return Fail(K3_INTERNAL, "OK reported as an error", errmsg);
  std::string_view message = status.message();
  if (message.empty()) message = StatusCodeName(status.code());
  return Fail(static_cast<int>(status.code()), message, errmsg);
}

// Success: clears *errmsg (when errmsg is non-NULL) and returns K3_OK.
inline int Ok(char** errmsg) noexcept {
  if (errmsg != nullptr) *errmsg = nullptr;
  return K3_OK;
}

// A NULL argument: K3_INVALID_ARGUMENT naming it.
inline int NullArgument(const char* name, char** errmsg) noexcept {
  if (errmsg != nullptr) {
    std::string_view prefix = "argument ";
    std::string_view suffix = " is NULL";
    size_t name_len = std::strlen(name);
    char* out = static_cast<char*>(std::malloc(prefix.size() + name_len + suffix.size() + 1));
    if (out != nullptr) {
      char* p = out;
      std::memcpy(p, prefix.data(), prefix.size());
      p += prefix.size();
      std::memcpy(p, name, name_len);
      p += name_len;
      std::memcpy(p, suffix.data(), suffix.size());
      p += suffix.size();
      *p = '\0';
    }
    *errmsg = out;
  }
  return K3_INVALID_ARGUMENT;
}

// Runs `body` (returning a C code) so that no exception leaves it: std::bad_alloc becomes
// K3_RESOURCE_EXHAUSTED, anything else K3_INTERNAL, with *errmsg set accordingly.
template <typename F>
int Guard(char** errmsg, F&& body) noexcept {
  try {
    return std::forward<F>(body)();
  } catch (const std::bad_alloc&) {
    return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
  } catch (const std::exception& e) {
    return Fail(K3_INTERNAL, e.what(), errmsg);
  } catch (...) {
    return Fail(K3_INTERNAL, "unexpected exception in the k3 C API", errmsg);
  }
}

// Checks that a required pointer argument is non-NULL; returns from the calling lambda with
// K3_INVALID_ARGUMENT when it is NULL.
#define K3_CAPI_REQUIRE(arg, errmsg)                                       \
  do {                                                                     \
    if ((arg) == nullptr) return ::k3::capi::NullArgument(#arg, (errmsg)); \
  } while (0)

}  // namespace k3::capi

#endif  // K3_CAPI_CAPI_UTIL_H_
