// tables/engine.cc: see engine.h.
#include "tables/engine.h"

#include <algorithm>
#include <array>
#include <string>

#include "tables/duckdb_functions.h"
#include "tables/history.h"
#include "tables/sql_text.h"
#include "tables/sqlite_util.h"

namespace k3::tables {
namespace {

// PRAGMAs user SQL may run: read-only schema inspection of one table or index.
constexpr std::array<std::string_view, 6> kAllowedPragmas = {
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"};

bool AllowedPragma(std::string_view name) {
  for (std::string_view p : kAllowedPragmas) {
    if (EqualsIgnoreCase(name, p)) return true;
  }
  return false;
}

std::string AllowedPragmaList() {
  std::string out;
  for (std::string_view p : kAllowedPragmas) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

bool IsSchemaTable(std::string_view name) {
  return EqualsIgnoreCase(name, "sqlite_master") || EqualsIgnoreCase(name, "sqlite_schema") ||
         EqualsIgnoreCase(name, "sqlite_temp_master") ||
         EqualsIgnoreCase(name, "sqlite_temp_schema");
}

int Deny(AuthState* auth, std::string reason) {
  if (auth->denial.empty()) auth->denial = std::move(reason);
  return SQLITE_DENY;
}

void Record(std::vector<std::string>* list, std::string_view name) {
  for (const std::string& n : *list) {
    if (EqualsIgnoreCase(n, name)) return;
  }
  list->emplace_back(name);
}

void RecordDdl(AuthState* auth, std::string_view op, std::string_view target) {
  for (const auto& d : auth->ddl) {
    if (d.op == op && EqualsIgnoreCase(d.target, target)) return;
  }
  auth->ddl.push_back({std::string(op), std::string(target)});
}

bool IsAutoIndexName(std::string_view name) {
  constexpr std::string_view kPrefix = "sqlite_autoindex_";
  return name.size() > kPrefix.size() && EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix);
}

std::string Internal(std::string_view name) {
  return "\"" + std::string(name) + "\" is internal to k3 and cannot be used from SQL";
}

int CheckRead(AuthState* auth, std::string_view table, std::string_view column) {
  if (IsSchemaTable(table)) {
    if (auth->kind == StatementKind::kDropAlter) return SQLITE_OK;
    // SQLite reads the schema's rowids itself: creating a table or view, and the first use
    // of an eponymous virtual table (json_each, pragma_table_info) on a connection.
    if (EqualsIgnoreCase(column, "ROWID")) return SQLITE_OK;
    return Deny(auth, Internal(table) + " (list tables with TableService::list_tables)");
  }
  if (table.size() > 7 && EqualsIgnoreCase(table.substr(0, 7), "pragma_")) {
    if (AllowedPragma(table.substr(7))) return SQLITE_OK;
    return Deny(auth, "PRAGMA " + std::string(table.substr(7)) +
                          " is not allowed (allowed: " + AllowedPragmaList() + ")");
  }
  if (EqualsIgnoreCase(table, "dbstat") || IsInternalName(table)) {
    return Deny(auth, Internal(table));
  }
  return SQLITE_OK;
}

// The authorizer of every connection (see engine.h). `ctx` is the connection's AuthState.
int Authorize(void* ctx, int code, const char* a1, const char* a2, const char* /*db*/,
              const char* /*trigger_or_view*/) {
  auto* auth = static_cast<AuthState*>(ctx);
  if (!auth->untrusted) return SQLITE_OK;
  const std::string_view x = a1 != nullptr ? a1 : "";
  const std::string_view y = a2 != nullptr ? a2 : "";
  switch (code) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return Deny(auth,
                  "ATTACH and DETACH are not allowed: a bucket's tables are its own database");
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return Deny(auth,
                  "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is not "
                  "allowed: each call runs as its own transaction");
    case SQLITE_PRAGMA:
      if (AllowedPragma(x) && (y.empty() || !IsInternalName(y))) return SQLITE_OK;
      if (AllowedPragma(x)) return Deny(auth, Internal(y));
      return Deny(auth, "PRAGMA " + std::string(x) +
                            " is not allowed (allowed: " + AllowedPragmaList() + ")");
    case SQLITE_READ:
      return CheckRead(auth, x, y);
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      if (IsSchemaTable(x)) {
        // DDL writes the schema; so does SQLite when it first sets up an eponymous virtual
        // table (as an UPDATE). Defensive mode refuses any direct write to it by user SQL.
        if (auth->kind != StatementKind::kOther || code == SQLITE_UPDATE) return SQLITE_OK;
        return Deny(auth, Internal(x));
      }
      if (IsInternalName(x)) return Deny(auth, Internal(x));
      Record(&auth->writes, x);
      return SQLITE_OK;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_VIEW: {
      if (IsInternalName(x)) return Deny(auth, Internal(x));
      Status valid = ValidateTableName(x);
      if (!valid.ok()) return Deny(auth, valid.message());
      RecordDdl(auth, code == SQLITE_CREATE_TABLE ? "CREATE_TABLE" : "CREATE_VIEW", x);
      return SQLITE_OK;
    }
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
      // SQLite's own index behind a PRIMARY KEY or UNIQUE constraint of a user table (users
      // cannot name an index "sqlite_..." themselves): part of the CREATE TABLE.
      if (IsAutoIndexName(x) && !IsInternalName(y)) return SQLITE_OK;
      if (IsInternalName(x)) return Deny(auth, Internal(x));
      if (IsInternalName(y)) return Deny(auth, Internal(y));
      RecordDdl(auth, code == SQLITE_CREATE_INDEX ? "CREATE_INDEX" : "DROP_INDEX", y);
      return SQLITE_OK;
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_VIEW:
      if (IsInternalName(x)) return Deny(auth, Internal(x));
      RecordDdl(auth, code == SQLITE_DROP_TABLE ? "DROP_TABLE" : "DROP_VIEW", x);
      return SQLITE_OK;
    case SQLITE_ALTER_TABLE:  // a1: the schema, a2: the table
      if (IsInternalName(y)) return Deny(auth, Internal(y));
      RecordDdl(auth, "ALTER_TABLE", y);
      return SQLITE_OK;
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
      return Deny(auth, "temporary tables, views and indexes are not supported");
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TRIGGER:
      return Deny(auth, "triggers are not supported (every write must be recorded in history)");
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return Deny(auth, "virtual tables are not supported");
    case SQLITE_FUNCTION:  // a2: the function's name
      if (EqualsIgnoreCase(y, "load_extension") || EqualsIgnoreCase(y, "fts3_tokenizer")) {
        return Deny(auth, "function " + std::string(y) + "() is not allowed");
      }
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

Status Configure(Connection& conn, sqlite3* db, Connection::Role role, bool sync_full) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  int ignored = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &ignored);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored);
  if (role == Connection::Role::kWriter) {
    {
      K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, "PRAGMA journal_mode=WAL"));
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row || s.Text(0) != "wal") {
        return k3::Internal("table engine: cannot switch " +
                            std::string(sqlite3_db_filename(db, "main")) + " to WAL mode");
      }
    }
    K3_RETURN_IF_ERROR(
        ExecInternal(db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    K3_RETURN_IF_ERROR(ExecInternal(db, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384"));
    K3_RETURN_IF_ERROR(EnsureCatalogSchema(db));
    K3_RETURN_IF_ERROR(EnsureHistorySchema(db));
  } else {
    K3_RETURN_IF_ERROR(ExecInternal(db, "PRAGMA query_only=1; PRAGMA cache_size=-8192"));
  }
  K3_RETURN_IF_ERROR(RegisterDuckDbFunctions(db));
  sqlite3_set_authorizer(db, Authorize, &conn.auth());
  return Status();
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Role role,
                                                     bool create, bool sync_full) {
  int flags = SQLITE_OPEN_NOMUTEX;
  if (role == Role::kWriter) {
    flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  } else {
    flags |= SQLITE_OPEN_READONLY;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(db, role));
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_CANTOPEN && !create) {
      return NotFound("table engine file " + path + " does not exist");
    }
    return SqliteStatus(db, rc, "opening table engine " + path);
  }
  K3_RETURN_IF_ERROR(Configure(*conn, db, role, sync_full));
  return conn;
}

Connection::~Connection() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<std::shared_ptr<Engine>> Engine::Open(std::string path, std::string bucket, bool create,
                                             bool sync_full) {
  std::shared_ptr<Engine> engine(new Engine(std::move(path), std::move(bucket)));
  K3_ASSIGN_OR_RETURN(engine->writer_, Connection::Open(engine->path_, Connection::Role::kWriter,
                                                        create, sync_full));
  sqlite3* db = engine->writer_->db();
  K3_RETURN_IF_ERROR(ExecInternal(db, "BEGIN IMMEDIATE"));
  auto info = LoadOrCreateEngineInfo(db);
  if (!info.ok()) {
    (void)ExecInternal(db, "ROLLBACK");
    return info.status();
  }
  engine->info_ = std::move(info).value();
  Status committed = ExecInternal(db, "COMMIT");
  if (!committed.ok()) {
    (void)ExecInternal(db, "ROLLBACK");
    return committed;
  }
  K3_ASSIGN_OR_RETURN(std::vector<TableMeta> tables, LoadCatalog(db, engine->bucket_));
  for (TableMeta& meta : tables) {
    std::string key = ToLower(meta.table.name);
    engine->catalog_.emplace(std::move(key), std::move(meta));
  }
  return engine;
}

Engine::~Engine() { Close(); }

Status Engine::ClosedError() const {
  return NotFound("the table engine of bucket \"" + bucket_ + "\" was deleted");
}

Result<Engine::WriterLock> Engine::LockWriter() {
  std::unique_lock lock(write_mu_);
  if (writer_ == nullptr) return ClosedError();
  Connection* conn = writer_.get();
  return WriterLock(std::move(lock), conn);
}

Result<Engine::Reader> Engine::AcquireReader() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return ClosedError();
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(shared_from_this(), std::move(conn));
    }
  }
  K3_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                      Connection::Open(path_, Connection::Role::kReader, false, false));
  return Reader(shared_from_this(), std::move(conn));
}

void Engine::Release(std::unique_ptr<Connection> conn) {
  // A connection is returned in the trusted state, with no statement of the lease left.
  conn->auth().untrusted = false;
  conn->auth().Clear();
  std::unique_ptr<Connection> drop;
  {
    std::lock_guard lock(mu_);
    if (closed_ || static_cast<int>(idle_readers_.size()) >= kMaxIdleReaders) {
      drop = std::move(conn);
    } else {
      idle_readers_.push_back(std::move(conn));
    }
  }
}

Engine::Reader::~Reader() {
  if (conn_ != nullptr && engine_ != nullptr) engine_->Release(std::move(conn_));
}

void Engine::Close() {
  std::unique_ptr<Connection> writer;
  std::vector<std::unique_ptr<Connection>> readers;
  {
    std::lock_guard write_lock(write_mu_);
    writer = std::move(writer_);
    std::lock_guard lock(mu_);
    closed_ = true;
    readers = std::move(idle_readers_);
    idle_readers_.clear();
  }
  // Connections close here, outside the locks.
}

std::optional<TableMeta> Engine::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = catalog_.find(ToLower(name));
  if (it == catalog_.end()) return std::nullopt;
  return it->second;
}

std::vector<TableMeta> Engine::Tables() const {
  std::lock_guard lock(mu_);
  std::vector<TableMeta> out;
  out.reserve(catalog_.size());
  for (const auto& [key, meta] : catalog_) out.push_back(meta);
  return out;
}

Status Engine::Refresh(sqlite3* db, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::optional<TableMeta>>> loaded;
  for (const std::string& name : names) {
    K3_ASSIGN_OR_RETURN(std::optional<TableMeta> meta, LoadCatalogEntry(db, bucket_, name));
    loaded.emplace_back(ToLower(name), std::move(meta));
  }
  std::lock_guard lock(mu_);
  for (auto& [key, meta] : loaded) {
    if (meta) {
      catalog_[key] = std::move(*meta);
    } else {
      catalog_.erase(key);
    }
  }
  return Status();
}

}  // namespace k3::tables
