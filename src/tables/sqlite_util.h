// tables/sqlite_util.h: small RAII helpers over the SQLite C API for the table engine: a
// prepared statement that finalizes itself, running k3's own SQL, and turning SQLite result
// codes into k3 Status codes.
// Thread-safety: a Stmt belongs to one connection and is used by one thread at a time.
#ifndef K3_TABLES_SQLITE_UTIL_H_
#define K3_TABLES_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/status.h"
#include "k3/tables.h"

namespace k3::tables {

// The Status for result code `rc` of a statement on `db`, its message prefixed by `context`:
//   SQLITE_AUTH -> PERMISSION_DENIED; when the authorizer refused something (`denial` is not
//   empty) -> PERMISSION_DENIED with `denial` as the message, whatever `rc`
//   constraint violations, SQL errors, type mismatches, too-big values -> INVALID_ARGUMENT
//   ("no such table" -> NOT_FOUND, "already exists" -> ALREADY_EXISTS)
//   BUSY/LOCKED -> UNAVAILABLE, FULL/NOMEM -> RESOURCE_EXHAUSTED, CORRUPT/NOTADB -> DATA_LOSS,
//   INTERRUPT -> CANCELLED, anything else -> INTERNAL.
Status SqliteStatus(sqlite3* db, int rc, std::string_view context, std::string_view denial = {});

// A prepared statement, finalized on destruction. Movable.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { Reset(); }
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept {
    if (this != &other) {
      Reset();
      db_ = other.db_;
      stmt_ = other.stmt_;
      other.stmt_ = nullptr;
    }
    return *this;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Prepares k3's own single statement (errors are INTERNAL: k3's SQL is expected to be right).
  static Result<Stmt> Internal(sqlite3* db, std::string_view sql);

  // Wraps an already prepared statement (takes ownership).
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3_stmt* get() const { return stmt_; }
  sqlite3* db() const { return db_; }
  explicit operator bool() const { return stmt_ != nullptr; }

  void BindText(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // true: a row is ready; false: done; an INTERNAL error otherwise.
  Result<bool> Step();
  // Steps to the end (k3's own statements).
  Status Run();
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  void Reset();
  // Gives up ownership of the statement (the caller finalizes it).
  sqlite3_stmt* Release() {
    sqlite3_stmt* s = stmt_;
    stmt_ = nullptr;
    return s;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs k3's own SQL (one or more statements without results). INTERNAL on error.
Status ExecInternal(sqlite3* db, std::string_view sql);
// Runs SQL k3 built from validated input (DDL of a user's table); errors are mapped by
// SqliteStatus with `context`.
Status ExecMapped(sqlite3* db, std::string_view sql, std::string_view context);

}  // namespace k3::tables

#endif  // K3_TABLES_SQLITE_UTIL_H_
