// tables/engine.h: one bucket's table engine — its SQLite file (<data dir>/tables/<bucket>.db,
// WAL mode), one writer connection behind a mutex, a pool of read-only connections, the
// authorizer that fences user SQL, and a cache of the table catalog.
//
// Connections: every connection has extension loading off, SQLite's defensive mode on, busy
// timeouts, DuckDB's functions (duckdb_functions.h) and an authorizer. The writer has
// `foreign_keys=ON` and `synchronous=FULL` when Options::sync_writes, else `NORMAL` (in WAL
// mode NORMAL loses no committed transaction on a process crash, only on power loss). Readers
// are opened with SQLITE_OPEN_READONLY; up to kMaxIdleReaders stay open between calls, more are
// opened when several readers are in use at once (a RowCursor holds one until destroyed).
//
// The authorizer: a connection is trusted (k3's own statements) except inside a UserSql
// scope, where it refuses ATTACH/DETACH, transaction control, PRAGMAs other than a read-only
// whitelist, temporary objects, triggers, virtual tables, load_extension, and any access to
// k3's internal tables ("_k3_*") and SQLite's ("sqlite_*", dbstat). It also records what the
// statement writes and which DDL it runs, which execute() uses to keep the catalog in step.
//
// Thread-safety: Engine is thread-safe. The writer is used by whoever holds WriterLock; a
// Reader lease is used by one thread at a time. Close() waits for the running write.
#ifndef K3_TABLES_ENGINE_H_
#define K3_TABLES_ENGINE_H_

#include <sqlite3.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "k3/status.h"
#include "tables/catalog.h"

namespace k3::tables {

inline constexpr int kMaxIdleReaders = 4;
inline constexpr int kBusyTimeoutMs = 10000;

// How the authorizer treats SQLite's schema table while preparing a user statement: DDL
// needs SQLite's own reads and writes of it, nothing else may touch it.
enum class StatementKind { kOther, kCreate, kDropAlter };

// The authorizer's state, one per connection.
struct AuthState {
  bool untrusted = false;
  StatementKind kind = StatementKind::kOther;
  std::string denial;               // why the first refused action was refused
  std::vector<std::string> writes;  // tables the statement inserts into, updates or deletes from
  struct Ddl {
    std::string op;      // "CREATE_TABLE", "DROP_TABLE", "ALTER_TABLE", "CREATE_INDEX", ...
    std::string target;  // the table (or view) it applies to
  };
  std::vector<Ddl> ddl;
  void Clear() {
    denial.clear();
    writes.clear();
    ddl.clear();
  }
};

class Connection {
 public:
  enum class Role { kWriter, kReader };
  // Opens `path`. The writer creates the file when `create` (else NOT_FOUND when missing),
  // switches it to WAL and creates k3's internal tables.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Role role, bool create,
                                                  bool sync_full);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  AuthState& auth() { return auth_; }
  Role role() const { return role_; }

 private:
  Connection(sqlite3* db, Role role) : db_(db), role_(role) {}
  sqlite3* db_;
  Role role_;
  AuthState auth_;
};

// Fences user SQL on `conn` for the scope's lifetime (see the authorizer above); the
// connection is trusted again afterwards. Trust()/Distrust() switch inside the scope (the
// writer prepares user SQL distrusted, then runs it trusted so that SQLite's and the session
// extension's internal statements run unhindered).
class UserSql {
 public:
  UserSql(Connection& conn, StatementKind kind) : conn_(conn) {
    conn_.auth().Clear();
    conn_.auth().kind = kind;
    conn_.auth().untrusted = true;
  }
  ~UserSql() {
    conn_.auth().untrusted = false;
    conn_.auth().kind = StatementKind::kOther;
  }
  UserSql(const UserSql&) = delete;
  UserSql& operator=(const UserSql&) = delete;
  void Trust() { conn_.auth().untrusted = false; }
  void Distrust() { conn_.auth().untrusted = true; }

 private:
  Connection& conn_;
};

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  // Opens (create: creating) the engine file at `path` and loads its catalog.
  static Result<std::shared_ptr<Engine>> Open(std::string path, std::string bucket, bool create,
                                              bool sync_full);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::string& bucket() const { return bucket_; }
  const std::string& path() const { return path_; }
  const EngineInfo& info() const { return info_; }

  // The writer connection, held exclusively while the lock lives.
  class WriterLock {
   public:
    Connection& conn() { return *conn_; }
    sqlite3* db() { return conn_->db(); }

   private:
    friend class Engine;
    WriterLock(std::unique_lock<std::mutex> lock, Connection* conn)
        : lock_(std::move(lock)), conn_(conn) {}
    std::unique_lock<std::mutex> lock_;
    Connection* conn_;
  };
  // NOT_FOUND once the engine was closed (deleted).
  Result<WriterLock> LockWriter();

  // A read-only connection, returned to the pool when the lease is destroyed.
  class Reader {
   public:
    Reader(Reader&&) noexcept = default;
    Reader& operator=(Reader&&) noexcept = default;
    ~Reader();
    Connection& conn() { return *conn_; }
    sqlite3* db() { return conn_->db(); }

   private:
    friend class Engine;
    Reader(std::shared_ptr<Engine> engine, std::unique_ptr<Connection> conn)
        : engine_(std::move(engine)), conn_(std::move(conn)) {}
    std::shared_ptr<Engine> engine_;
    std::unique_ptr<Connection> conn_;
  };
  Result<Reader> AcquireReader();

  // Closes every connection not in use (leased readers close when returned). Waits for the
  // write in progress. Afterwards LockWriter and AcquireReader answer NOT_FOUND.
  void Close();

  // The catalog cache (a copy of _k3_tables, updated after each commit that changes it).
  std::optional<TableMeta> Find(std::string_view name) const;
  std::vector<TableMeta> Tables() const;  // by name (case-insensitive order)
  // Re-reads the entries of `names` from `db` (the writer, after a commit) into the cache.
  Status Refresh(sqlite3* db, const std::vector<std::string>& names);

 private:
  Engine(std::string path, std::string bucket)
      : path_(std::move(path)), bucket_(std::move(bucket)) {}
  void Release(std::unique_ptr<Connection> conn);
  Status ClosedError() const;

  const std::string path_;
  const std::string bucket_;
  EngineInfo info_;

  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // null once closed; guarded by write_mu_

  mutable std::mutex mu_;  // guards the pool, closed_ and the catalog cache
  bool closed_ = false;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  std::map<std::string, TableMeta> catalog_;  // by lower-case name
};

}  // namespace k3::tables

#endif  // K3_TABLES_ENGINE_H_
