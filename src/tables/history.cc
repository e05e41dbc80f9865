// tables/history.cc: see history.h.
// The session API is declared only with these (Debian's libsqlite3 is built with both).
#ifndef SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_SESSION
#endif
#ifndef SQLITE_ENABLE_PREUPDATE_HOOK
#define SQLITE_ENABLE_PREUPDATE_HOOK
#endif
#include "tables/history.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace k3::tables {
namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Internal(std::move(msg));
}

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, std::string("preparing ") + sql);
    return Status::Ok();
  }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view v) {
    // A zero-length blob, not NULL, for an empty changeset.
    sqlite3_bind_blob(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // true: a row; false: done; an error otherwise.
  Result<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, "executing history statement");
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = std::string(sql) + ": " + (err != nullptr ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return Internal(std::move(msg));
}

Status CheckVersion(uint64_t version) {
  if (version > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return OutOfRange("history version " + std::to_string(version) + " is too large");
  }
  return Status::Ok();
}

std::string TableLabel(std::string_view table) { return "table \"" + std::string(table) + "\""; }

// An identifier as an SQL quoted name: "a""b".
std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

// The record BeginAppendOnly writes instead of a changeset: a magic prefix (a changeset starts
// with 'T'), then the smallest and largest key added and the number of rows added, each as 8
// big-endian bytes.
constexpr std::string_view kAppendMagic = "K3APPEND1";
constexpr size_t kAppendRecordSize = kAppendMagic.size() + 24;

void PutBigEndian(std::string* out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
  }
}
int64_t GetBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<int64_t>(v);
}
bool IsAppendRecord(std::string_view blob) { return blob.substr(0, 1) == "K"; }

// What history needs to know of a table's schema.
struct TableShape {
  int64_t column_count = 0;
  bool without_rowid = false;
  struct Column {
    std::string name;
    std::string type;
    bool not_null = false;
  };
  std::vector<Column> primary_key;  // in key order
  bool has_pk_index = false;        // an index with origin "pk" (so no INTEGER PRIMARY KEY alias)
};

Result<TableShape> ReadShape(sqlite3* db, std::string_view table) {
  TableShape shape;
  {
    Stmt s;
    K3_RETURN_IF_ERROR(
        s.Prepare(db, "SELECT ncol, wr FROM pragma_table_list(?1) WHERE schema = 'main'"));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFound(TableLabel(table) + " does not exist");
    shape.without_rowid = s.Int(1) != 0;
  }
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(
        db, "SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?1, 'main') ORDER BY cid"));
    s.BindText(1, table);
    std::vector<std::pair<int64_t, TableShape::Column>> pk;
    while (true) {
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ++shape.column_count;
      if (s.Int(3) > 0) pk.push_back({s.Int(3), {s.Text(0), s.Text(1), s.Int(2) != 0}});
    }
    std::sort(pk.begin(), pk.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [order, column] : pk) shape.primary_key.push_back(std::move(column));
  }
  {
    Stmt s;
    K3_RETURN_IF_ERROR(
        s.Prepare(db, "SELECT 1 FROM pragma_index_list(?1, 'main') WHERE origin = 'pk'"));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    shape.has_pk_index = row;
  }
  return shape;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x < 0x80 && y < 0x80) {
      if (std::tolower(x) != std::tolower(y)) return false;
    } else if (x != y) {
      return false;
    }
  }
  return true;
}

// Sessions record only tables with a PRIMARY KEY, and only rows whose key columns are all
// non-NULL: refuse tables where either could be missed.
Status CheckTrackable(std::string_view table, const TableShape& shape) {
  if (shape.primary_key.empty()) {
    return FailedPrecondition(TableLabel(table) +
                              " has no PRIMARY KEY; its writes cannot be recorded in history "
                              "(SQLite sessions track only tables with a PRIMARY KEY)");
  }
  if (shape.without_rowid) return Status::Ok();  // key columns are implicitly NOT NULL
  if (shape.primary_key.size() == 1 && !shape.has_pk_index &&
      EqualsIgnoreCase(shape.primary_key[0].type, "INTEGER")) {
    return Status::Ok();  // a rowid alias: never NULL
  }
  for (const auto& column : shape.primary_key) {
    if (!column.not_null) {
      return FailedPrecondition(TableLabel(table) + ": PRIMARY KEY column \"" + column.name +
                                "\" may hold NULL; rows with a NULL key cannot be recorded in "
                                "history (declare it NOT NULL)");
    }
  }
  return Status::Ok();
}

// The table's INTEGER PRIMARY KEY column (the rowid alias), if it has one.
std::optional<std::string> RowidAlias(const TableShape& shape) {
  if (shape.without_rowid || shape.primary_key.size() != 1 || shape.has_pk_index ||
      !EqualsIgnoreCase(shape.primary_key[0].type, "INTEGER")) {
    return std::nullopt;
  }
  return shape.primary_key[0].name;
}

// The newest version pruned by retention, if any.
Result<std::optional<int64_t>> PrunedThrough(sqlite3* db, std::string_view table) {
  Stmt s;
  K3_RETURN_IF_ERROR(
      s.Prepare(db, "SELECT through_version FROM _k3_history_pruned WHERE table_name = ?1"));
  s.BindText(1, table);
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

Status MarkPruned(sqlite3* db, std::string_view table, int64_t through) {
  Stmt s;
  K3_RETURN_IF_ERROR(s.Prepare(db,
                               "INSERT INTO _k3_history_pruned(table_name, through_version) "
                               "VALUES(?1, ?2) ON CONFLICT(table_name) DO UPDATE SET "
                               "through_version = max(through_version, excluded.through_version)"));
  s.BindText(1, table);
  s.BindInt(2, through);
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  (void)row;
  return Status::Ok();
}

const char* ConflictName(int conflict) {
  switch (conflict) {
    case SQLITE_CHANGESET_DATA:
      return "a row no longer holds the values history recorded";
    case SQLITE_CHANGESET_NOTFOUND:
      return "a row history recorded is missing";
    case SQLITE_CHANGESET_CONFLICT:
      return "a row history would re-create already exists";
    case SQLITE_CHANGESET_CONSTRAINT:
      return "a constraint would be violated";
    case SQLITE_CHANGESET_FOREIGN_KEY:
      return "a foreign key would be violated";
    default:
      return "unknown conflict";
  }
}

struct ApplyContext {
  std::string table;
  int conflict = 0;
  bool other_table = false;
};

int FilterTable(void* ctx, const char* table) {
  auto* c = static_cast<ApplyContext*>(ctx);
  if (EqualsIgnoreCase(table, c->table)) return 1;
  c->other_table = true;
  return 0;
}

int AbortOnConflict(void* ctx, int conflict, sqlite3_changeset_iter*) {
  auto* c = static_cast<ApplyContext*>(ctx);
  if (c->conflict == 0) c->conflict = conflict;
  return SQLITE_CHANGESET_ABORT;
}

// Undoes a BeginAppendOnly write: deletes the key range it added, after checking that
// exactly the rows it added are there.
Status UndoAppend(sqlite3* db, std::string_view table, const TableShape& shape, int64_t version,
                  const std::string& record) {
  const std::string what =
      "cannot undo version " + std::to_string(version) + " of " + TableLabel(table) + ": ";
  if (record.size() != kAppendRecordSize ||
      record.compare(0, kAppendMagic.size(), kAppendMagic) != 0) {
    return DataLoss(what + "its history record is malformed");
  }
  std::optional<std::string> key = RowidAlias(shape);
  if (!key) return FailedPrecondition(what + "the table no longer has an INTEGER PRIMARY KEY");
  std::string_view fields = std::string_view(record).substr(kAppendMagic.size());
  int64_t lo = GetBigEndian(fields), hi = GetBigEndian(fields.substr(8)),
          count = GetBigEndian(fields.substr(16));
  const std::string range =
      " FROM main." + Quote(table) + " WHERE " + Quote(*key) + " BETWEEN ?1 AND ?2";
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db, ("SELECT count(*)" + range).c_str()));
    s.BindInt(1, lo);
    s.BindInt(2, hi);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Int(0) != count) {
      return Aborted(what + "the rows it added are not all there (the table was changed " +
                     "outside its history)");
    }
  }
  Stmt s;
  K3_RETURN_IF_ERROR(s.Prepare(db, ("DELETE" + range).c_str()));
  s.BindInt(1, lo);
  s.BindInt(2, hi);
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  (void)row;
  return Status::Ok();
}

// Applies the inverse of one version's changeset.
Status ApplyInverse(sqlite3* db, std::string_view table, const TableShape& shape, int64_t version,
                    const std::string& changeset) {
  if (IsAppendRecord(changeset)) return UndoAppend(db, table, shape, version, changeset);
  int inverse_size = 0;
  void* inverse = nullptr;
  int rc = sqlite3changeset_invert(static_cast<int>(changeset.size()),
                                   const_cast<char*>(changeset.data()), &inverse_size, &inverse);
  if (rc != SQLITE_OK) {
    sqlite3_free(inverse);
    return DataLoss("the changeset of version " + std::to_string(version) + " of " +
                    TableLabel(table) + " cannot be inverted: " + sqlite3_errstr(rc));
  }
  ApplyContext ctx{std::string(table)};
  rc = sqlite3changeset_apply(db, inverse_size, inverse, FilterTable, AbortOnConflict, &ctx);
  sqlite3_free(inverse);
  if ((rc & 0xff) == SQLITE_ABORT && ctx.conflict != 0) {
    return Aborted("cannot undo version " + std::to_string(version) + " of " + TableLabel(table) +
                   ": " + ConflictName(ctx.conflict) +
                   " (the table was changed outside its history)");
  }
  if (rc != SQLITE_OK) {
    return SqliteError(db, rc,
                       "undoing version " + std::to_string(version) + " of " + TableLabel(table));
  }
  if (ctx.other_table) {
    return DataLoss("the changeset of version " + std::to_string(version) + " of " +
                    TableLabel(table) + " holds changes to another table");
  }
  return Status::Ok();
}

struct EntryShape {
  int64_t version = 0;
  int64_t column_count = 0;
  int64_t changeset_bytes = 0;
};

Status RevertInSavepoint(sqlite3* db, std::string_view table, const TableShape& shape,
                         const std::vector<EntryShape>& newer) {
  for (const EntryShape& entry : newer) {  // newest first
    if (entry.changeset_bytes == 0) continue;
    std::string changeset;
    {
      Stmt s;
      K3_RETURN_IF_ERROR(s.Prepare(
          db, "SELECT changeset FROM _k3_history WHERE table_name = ?1 AND version = ?2"));
      s.BindText(1, table);
      s.BindInt(2, entry.version);
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Internal("history entry vanished during restore");
      changeset = s.Blob(0);
    }
    K3_RETURN_IF_ERROR(ApplyInverse(db, table, shape, entry.version, changeset));
  }
  return Status::Ok();
}

Status CheckEmpty(sqlite3* db, std::string_view table) {
  Stmt s;
  K3_RETURN_IF_ERROR(s.Prepare(db, ("SELECT 1 FROM main." + Quote(table) + " LIMIT 1").c_str()));
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) {
    return Aborted("cannot restore " + TableLabel(table) +
                   " to version 0: rows remain after undoing every recorded write (the table "
                   "was changed outside its history)");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ChangeCapture>> ChangeCapture::Begin(sqlite3* db, std::string_view table) {
  if (db == nullptr) return InvalidArgument("ChangeCapture::Begin: no connection");
  K3_ASSIGN_OR_RETURN(TableShape shape, ReadShape(db, table));
  K3_RETURN_IF_ERROR(CheckTrackable(table, shape));
  std::unique_ptr<ChangeCapture> capture(new ChangeCapture());
  int rc = sqlite3session_create(db, "main", &capture->session_);
  if (rc != SQLITE_OK) {
    return SqliteError(nullptr, rc, "creating a session for " + TableLabel(table));
  }
  rc = sqlite3session_attach(capture->session_, std::string(table).c_str());
  if (rc != SQLITE_OK) {
    return SqliteError(nullptr, rc, "attaching " + TableLabel(table) + " to a session");
  }
  return capture;
}

Result<std::unique_ptr<ChangeCapture>> ChangeCapture::BeginAppendOnly(sqlite3* db,
                                                                      std::string_view table,
                                                                      uint64_t max_rows) {
  if (db == nullptr) return InvalidArgument("ChangeCapture::BeginAppendOnly: no connection");
  K3_ASSIGN_OR_RETURN(TableShape shape, ReadShape(db, table));
  std::optional<std::string> key = RowidAlias(shape);
  if (!key) {
    return FailedPrecondition(TableLabel(table) +
                              " has no INTEGER PRIMARY KEY; an append-only capture needs one");
  }
  std::unique_ptr<ChangeCapture> capture(new ChangeCapture());
  capture->db_ = db;
  capture->table_ = std::string(table);
  capture->key_column_ = *key;
  Stmt s;
  K3_RETURN_IF_ERROR(s.Prepare(
      db, ("SELECT coalesce(max(" + Quote(*key) + "), 0) FROM main." + Quote(table)).c_str()));
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) capture->max_key_before_ = s.Int(0);
  constexpr int64_t kMaxKey = std::numeric_limits<int64_t>::max();
  if (max_rows > static_cast<uint64_t>(kMaxKey) ||
      capture->max_key_before_ > kMaxKey - static_cast<int64_t>(max_rows)) {
    return FailedPrecondition(TableLabel(table) + ": its largest key leaves no room for " +
                              std::to_string(max_rows) + " consecutive keys above it");
  }
  return capture;
}

Result<std::string> ChangeCapture::Finish() {
  if (finished_) return FailedPrecondition("ChangeCapture::Finish called twice");
  finished_ = true;
  if (session_ == nullptr) {  // append-only
    // Each new row gets a key above every earlier one (largest + 1, or above the AUTOINCREMENT
    // high-water mark), so an insert-only write adds the consecutive keys from the smallest
    // above max_key_before_ to the largest: two O(log n) lookups, no scan.
    const std::string key = Quote(key_column_), from = " FROM main." + Quote(table_);
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db_, ("SELECT (SELECT min(" + key + ")" + from + " WHERE " + key +
                                       " > ?1), (SELECT max(" + key + ")" + from + ")")
                                          .c_str()));
    s.BindInt(1, max_key_before_);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.IsNull(0)) return std::string();
    const int64_t lo = s.Int(0), hi = s.Int(1);
    std::string record(kAppendMagic);
    PutBigEndian(&record, lo);
    PutBigEndian(&record, hi);
    PutBigEndian(&record, hi - lo + 1);
    return record;
  }
  int size = 0;
  void* data = nullptr;
  int rc = sqlite3session_changeset(session_, &size, &data);
  sqlite3session_delete(session_);
  session_ = nullptr;
  if (rc != SQLITE_OK) {
    sqlite3_free(data);
    return SqliteError(nullptr, rc, "building a changeset");
  }
  std::string out;
  if (data != nullptr && size > 0) out.assign(static_cast<const char*>(data), size);
  sqlite3_free(data);
  return out;
}

ChangeCapture::~ChangeCapture() {
  if (session_ != nullptr) sqlite3session_delete(session_);
}

std::optional<uint64_t> AppendedRows(std::string_view record) {
  if (!IsAppendRecord(record) || record.size() != kAppendRecordSize ||
      record.substr(0, kAppendMagic.size()) != kAppendMagic) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(GetBigEndian(record.substr(kAppendMagic.size() + 16)));
}

Status EnsureHistorySchema(sqlite3* db) {
  return Exec(db,
              "CREATE TABLE IF NOT EXISTS _k3_history("
              "table_name TEXT NOT NULL, version INTEGER NOT NULL, operation TEXT NOT NULL, "
              "rows INTEGER NOT NULL, time_ms INTEGER NOT NULL, changeset BLOB NOT NULL, "
              "column_count INTEGER NOT NULL, PRIMARY KEY(table_name, version));"
              "CREATE TABLE IF NOT EXISTS _k3_history_pruned("
              "table_name TEXT PRIMARY KEY NOT NULL, through_version INTEGER NOT NULL);");
}

Status AppendHistory(sqlite3* db, std::string_view table, uint64_t version,
                     std::string_view operation, uint64_t rows, int64_t time_ms,
                     std::string_view changeset, uint32_t retention) {
  K3_RETURN_IF_ERROR(CheckVersion(version));
  if (rows > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return OutOfRange("history row count too large");
  }
  const auto v = static_cast<int64_t>(version);
  K3_ASSIGN_OR_RETURN(TableShape shape, ReadShape(db, table));

  // Versions only grow: the newest recorded (or pruned) version must be older.
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db,
                                 "SELECT max(v) FROM (SELECT max(version) AS v FROM _k3_history "
                                 "WHERE table_name = ?1 UNION ALL SELECT through_version FROM "
                                 "_k3_history_pruned WHERE table_name = ?1)"));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && !s.IsNull(0) && s.Int(0) >= v) {
      std::string msg = "version " + std::to_string(version) + " of " + TableLabel(table);
      if (s.Int(0) == v) return AlreadyExists(msg + " is already recorded");
      return FailedPrecondition(msg + " is older than its latest recorded version " +
                                std::to_string(s.Int(0)));
    }
  }

  if (retention == 0) {
    // No history: nothing is kept, and nothing before this version can be restored.
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db, "DELETE FROM _k3_history WHERE table_name = ?1"));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    (void)row;
    return MarkPruned(db, table, v);
  }

  {
    Stmt s;
    K3_RETURN_IF_ERROR(
        s.Prepare(db,
                  "INSERT INTO _k3_history(table_name, version, operation, rows, time_ms, "
                  "changeset, column_count) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    s.BindText(1, table);
    s.BindInt(2, v);
    s.BindText(3, operation);
    s.BindInt(4, static_cast<int64_t>(rows));
    s.BindInt(5, time_ms);
    s.BindBlob(6, changeset);
    s.BindInt(7, shape.column_count);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    (void)row;
  }

  // Prune beyond the newest `retention` entries.
  std::optional<int64_t> prune_through;
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db,
                                 "SELECT version FROM _k3_history WHERE table_name = ?1 "
                                 "ORDER BY version DESC LIMIT 1 OFFSET ?2"));
    s.BindText(1, table);
    s.BindInt(2, retention);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) prune_through = s.Int(0);
  }
  if (prune_through) {
    Stmt s;
    K3_RETURN_IF_ERROR(
        s.Prepare(db, "DELETE FROM _k3_history WHERE table_name = ?1 AND version <= ?2"));
    s.BindText(1, table);
    s.BindInt(2, *prune_through);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    (void)row;
    K3_RETURN_IF_ERROR(MarkPruned(db, table, *prune_through));
  }
  return Status::Ok();
}

Result<std::vector<HistoryEntry>> ReadHistory(sqlite3* db, std::string_view table) {
  Stmt s;
  K3_RETURN_IF_ERROR(s.Prepare(db,
                               "SELECT version, operation, rows, time_ms FROM _k3_history "
                               "WHERE table_name = ?1 ORDER BY version DESC"));
  s.BindText(1, table);
  std::vector<HistoryEntry> out;
  while (true) {
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    HistoryEntry e;
    e.version = static_cast<uint64_t>(s.Int(0));
    e.operation = s.Text(1);
    e.rows_affected = static_cast<uint64_t>(s.Int(2));
    e.time = s.Int(3);
    out.push_back(std::move(e));
  }
  return out;
}

Status RevertTo(sqlite3* db, std::string_view table, uint64_t version) {
  K3_RETURN_IF_ERROR(CheckVersion(version));
  const auto v = static_cast<int64_t>(version);
  K3_ASSIGN_OR_RETURN(TableShape shape, ReadShape(db, table));

  // The entries at or after `version`, newest first, without their changesets.
  std::vector<EntryShape> entries;
  int64_t oldest_retained = -1;
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db,
                                 "SELECT version, column_count, length(changeset) FROM "
                                 "_k3_history WHERE table_name = ?1 AND version >= ?2 "
                                 "ORDER BY version DESC"));
    s.BindText(1, table);
    s.BindInt(2, v);
    while (true) {
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      entries.push_back({s.Int(0), s.Int(1), s.Int(2)});
    }
  }
  {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db, "SELECT min(version) FROM _k3_history WHERE table_name = ?1"));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && !s.IsNull(0)) oldest_retained = s.Int(0);
  }
  K3_ASSIGN_OR_RETURN(std::optional<int64_t> pruned, PrunedThrough(db, table));

  const std::string what =
      "cannot restore " + TableLabel(table) + " to version " + std::to_string(version) + ": ";
  const bool target_recorded = !entries.empty() && entries.back().version == v;
  if (!target_recorded) {
    if (pruned && v <= *pruned) {
      return FailedPrecondition(
          what + "it is older than the retained history (" +
          (oldest_retained >= 0
               ? "the oldest version that can be restored is " + std::to_string(oldest_retained)
               : std::string("no version can be restored")) +
          ")");
    }
    if (v != 0) return FailedPrecondition(what + "it is not a version of this table");
  }
  // A schema change after `version` (or between it and the next write) is refused: the
  // changesets of different column counts do not apply to the table as it is.
  for (const EntryShape& entry : entries) {
    if (entry.column_count != shape.column_count) {
      return FailedPrecondition(
          what + "its schema changed since (version " + std::to_string(entry.version) + " had " +
          std::to_string(entry.column_count) + " columns, the table now has " +
          std::to_string(shape.column_count) + ")");
    }
  }
  std::vector<EntryShape> newer(entries.begin(), entries.end() - (target_recorded ? 1 : 0));
  // Version 0 is the empty table: check that undoing every write left nothing behind.
  const bool check_empty = !target_recorded;
  if (newer.empty() && !check_empty) return Status::Ok();

  K3_RETURN_IF_ERROR(Exec(db, "SAVEPOINT k3_history_revert"));
  Status status = RevertInSavepoint(db, table, shape, newer);
  if (status.ok() && check_empty) status = CheckEmpty(db, table);
  if (!status.ok()) {
    (void)Exec(db, "ROLLBACK TO k3_history_revert");
    (void)Exec(db, "RELEASE k3_history_revert");
    return status;
  }
  return Exec(db, "RELEASE k3_history_revert");
}

Status DropHistory(sqlite3* db, std::string_view table) {
  for (const char* sql : {"DELETE FROM _k3_history WHERE table_name = ?1",
                          "DELETE FROM _k3_history_pruned WHERE table_name = ?1"}) {
    Stmt s;
    K3_RETURN_IF_ERROR(s.Prepare(db, sql));
    s.BindText(1, table);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    (void)row;
  }
  return Status::Ok();
}

}  // namespace k3::tables
