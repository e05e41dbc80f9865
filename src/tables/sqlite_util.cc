// tables/sqlite_util.cc: see sqlite_util.h.
#include "tables/sqlite_util.h"

#include <string>

namespace k3::tables {

Status SqliteStatus(sqlite3* db, int rc, std::string_view context, std::string_view denial) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  const int primary = rc & 0xff;
  // A refusal by the authorizer explains the failure, also when SQLite reports it as a plain
  // error (a statement an eponymous virtual table prepares while stepping).
  if (!denial.empty()) {
    message += denial;
    return Status(StatusCode::kPermissionDenied, std::move(message));
  }
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += detail;
  switch (primary) {
    case SQLITE_AUTH:
      return Status(StatusCode::kPermissionDenied, std::move(message));
    case SQLITE_ERROR:
      if (detail.starts_with("no such table")) return NotFound(std::move(message));
      if (detail.find("already exists") != std::string::npos) {
        return AlreadyExists(std::move(message));
      }
      return InvalidArgument(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_READONLY:
      return InvalidArgument(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhausted(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(std::move(message));
    case SQLITE_INTERRUPT:
      return Cancelled(std::move(message));
    default:
      return k3::Internal(std::move(message));
  }
}

Result<Stmt> Stmt::Internal(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return k3::Internal("table engine: preparing " + std::string(sql.substr(0, 80)) + ": " +
                        sqlite3_errmsg(db));
  }
  return Stmt(db, stmt);
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteStatus(db_, rc, "table engine");
  // Keep codes that say something about the environment; the rest is k3's own bug.
  if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ||
      s.code() == StatusCode::kAlreadyExists || s.code() == StatusCode::kPermissionDenied) {
    return k3::Internal(s.message());
  }
  return s;
}

Status Stmt::Run() {
  while (true) {
    K3_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status();
  }
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return std::string();
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

void Stmt::Reset() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

Status ExecInternal(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status();
  std::string detail = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  Status s = SqliteStatus(nullptr, rc, "");
  const std::string message = "table engine: " + text.substr(0, 80) + ": " + detail;
  if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kResourceExhausted ||
      s.code() == StatusCode::kDataLoss) {
    return Status(s.code(), message);
  }
  return k3::Internal(message);
}

Status ExecMapped(sqlite3* db, std::string_view sql, std::string_view context) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status();
  return SqliteStatus(db, rc, context);
}

}  // namespace k3::tables
