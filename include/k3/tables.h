// k3/tables.h: TableService — a per-bucket table engine with SQL (K3's dodil.k3.tables.v1).
//
// Each bucket's tables live in one SQLite file (<data dir>/tables/<bucket>.db, WAL mode) with
// one writer connection and a pool of readers. SQL is K3's dialect, DuckDB's: the functions
// DuckDB queries use most (date_trunc, date_part, epoch_ms, json_extract_string,
// quantile_cont, median, regexp_matches, starts_with, ...) are registered;
// docs/duckdb-functions.md lists them.
// Every write to a table gets a version and a history entry, and restore() brings a table back
// to an earlier version.
//
// Tables are SQLite STRICT tables. A table with merge keys has them as its PRIMARY KEY; a
// table without gets a hidden `_k3_rowid INTEGER PRIMARY KEY` column (SQLite's session
// extension, which records history, needs a primary key). Query results leave `_k3_rowid` out
// (`SELECT *` shows the declared columns); `SELECT rowid AS id` reads it. Positional
// `INSERT ... VALUES` through execute() must give it (as NULL): name the columns instead.
// Thread-safety: every method may be called concurrently from any thread. Queries run in
// parallel on the reader pool and never see a partial write; writes are serialized.
#ifndef K3_TABLES_H_
#define K3_TABLES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

enum class ColumnType : int {
  kUnspecified = 0,
  kString = 1,
  kInt = 2,
  kLong = 3,
  kShort = 4,
  kFloat = 5,
  kDouble = 6,
  kBoolean = 7,
  kDate = 8,       // "YYYY-MM-DD" text
  kTimestamp = 9,  // ISO-8601 text ("2026-05-14T10:00:00Z"); an int64 on input is Unix
                   // milliseconds, stored as ISO-8601 text
  kBinary = 10,
  kJson = 11,  // JSON text, validated on write
};

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool nullable = true;
};

// A SQL value. std::monostate is NULL.
using Value =
    std::variant<std::monostate, int64_t, double, std::string, std::vector<uint8_t>, bool>;

struct TableEngine {
  std::string engine_id;  // "eng_..."
  std::string bucket;
  EngineStatus status = EngineStatus::kActive;
  std::string error_message;
  uint64_t table_count = 0;
  uint64_t size_bytes = 0;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

enum class TableSource : int { kManual = 0, kPipeline = 1, kMaterialized = 2 };

struct Table {
  std::string bucket;
  std::string name;
  std::string description;
  std::vector<Column> columns;
  std::vector<std::string> merge_keys;         // a unique index; inserts upsert on it
  std::vector<std::string> partition_columns;  // metadata, and indexed
  TableSource source = TableSource::kManual;
  std::string pipeline_id;       // when source is kPipeline
  std::string materialized_sql;  // when source is kMaterialized
  uint64_t row_count = 0;
  uint64_t size_bytes = 0;
  uint64_t version = 0;  // the version of the last write (0 = never written)
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct CreateTableRequest {
  std::string bucket;
  std::string name;  // [A-Za-z_][A-Za-z0-9_]{0,62}; not starting with "_k3_" or "sqlite_"
  std::string description;
  std::vector<Column> columns;  // 1..1000, names as table names
  std::vector<std::string> merge_keys;
  std::vector<std::string> partition_columns;
  TableSource source = TableSource::kManual;
  std::string pipeline_id;
};

struct ListTablesRequest {
  std::string bucket;
  int page_size = 0;
  std::string page_token;
};

struct ListTablesResponse {
  std::vector<Table> tables;  // by name
  Pagination pagination;
};

// The SQL result's column: its name and its K3 type — the catalog type of a table column,
// else derived from SQLite's declared type, else (an expression) from the first non-NULL
// value (STRING when every value is NULL).
struct ResultColumn {
  std::string name;
  ColumnType type = ColumnType::kString;
};

struct QueryRequest {
  std::string bucket;
  std::string table_name;  // what "{table}" in sql stands for (may be empty)
  std::string sql;
  std::vector<Value> params;                         // $1.. / ? in order
  std::map<std::string, std::string> lookup_tables;  // alias -> table: "{alias}" in sql
  // At most this many rows; 0 = 10000 (the default row limit). query_cursor: 0 = no limit.
  int64_t limit = 0;
};

struct QueryResult {
  std::vector<ResultColumn> columns;
  std::vector<std::vector<Value>> rows;
  uint64_t row_count = 0;
  bool truncated = false;  // the limit cut the result
  double execution_time_ms = 0;
};

// Streams a query's rows without building them in memory. Holds a read connection (and its
// snapshot: the rows are those of the moment the query started) until destroyed; destroy it
// before the Db. Thread-compatible: use from one thread at a time.
class K3_EXPORT RowCursor {
 public:
  class Impl;
  explicit RowCursor(std::unique_ptr<Impl> impl);
  RowCursor(RowCursor&&) noexcept;
  RowCursor& operator=(RowCursor&&) noexcept;
  ~RowCursor();

  const std::vector<ResultColumn>& columns() const;
  // Advances to the next row: true when there is one, false at the end; an error otherwise.
  Result<bool> next();
  // The current row's values (valid after next() returned true).
  const std::vector<Value>& row() const;

 private:
  std::unique_ptr<Impl> impl_;
};

enum class ExecuteKind : int { kQuery = 0, kWrite = 1, kDdl = 2 };

struct ExecuteResult {
  ExecuteKind kind = ExecuteKind::kQuery;
  QueryResult query;          // kind kQuery
  uint64_t rows_written = 0;  // kind kWrite
  bool noop = false;          // kind kWrite: the statement changed nothing
  std::string ddl_op;         // kind kDdl: "CREATE_TABLE", "DROP_TABLE", "ALTER_TABLE",
                              // "CREATE_INDEX", "DROP_INDEX", "CREATE_VIEW", "DROP_VIEW"
  std::string target_table;   // kind kWrite / kDdl (kWrite: the first table written)
};

// One row to write: column name -> value (names match case-insensitively, as in SQL). Values
// are checked against the column's type (see ColumnType; bool for BOOLEAN, bytes for BINARY,
// JSON text or a JSON scalar for JSON). Columns absent from a row are NULL in a new row; an
// upsert (an insert on a table with merge keys) leaves them as they were in an existing row.
// Unknown columns are refused.
using Row = std::map<std::string, Value>;

struct WriteResult {
  uint64_t rows_written = 0;
  // The table's version after the write. A write that changes no row makes no version (the
  // version stays what it was).
  uint64_t version = 0;
};

enum class WhenMatched : int { kUpdate = 0, kDelete = 1 };
enum class WhenNotMatched : int { kInsert = 0, kIgnore = 1 };

struct MergeRequest {
  std::string bucket;
  std::string table_name;
  std::vector<Row> rows;
  // Default: the table's merge keys. Each row must give every match column a value. Rows
  // match with `=` on all of them; matching on the merge keys is an indexed upsert, on other
  // columns one UPDATE/DELETE per row (which may match several rows).
  std::vector<std::string> match_columns;
  WhenMatched when_matched = WhenMatched::kUpdate;
  WhenNotMatched when_not_matched = WhenNotMatched::kInsert;
};

struct UpdateRowsRequest {
  std::string bucket;
  std::string table_name;
  Row set;                    // column -> new value
  std::string where;          // a SQL predicate over the table's columns; empty = every row
  std::vector<Value> params;  // for $1.. / ? in where
};

struct DeleteRowsRequest {
  std::string bucket;
  std::string table_name;
  std::string where;  // required (use "1=1" to delete every row)
  std::vector<Value> params;
};

// Version 0 is the table's creation ("CREATE", no rows); each write adds the next version.
// Options::table_history_versions bounds how many entries are kept; restore() reaches only
// retained versions, and not across a change of the column count.
struct HistoryEntry {
  uint64_t version = 0;
  std::string operation;  // "CREATE", "INSERT", "MERGE", "UPDATE", "DELETE", "EXECUTE",
                          // "REPLACE" (a pipeline re-ran one object),
                          // "ALTER", "RESTORE", "REFRESH"
  uint64_t rows_affected = 0;
  TimestampMs time = 0;
};

struct MaintenanceResult {
  std::string operation;
  std::string detail;  // integrity_check's answer, bytes reclaimed, ...
  bool ok = true;
};

class K3_EXPORT TableService {
 public:
  class Impl;
  explicit TableService(Impl* impl) : impl_(impl) {}

  // Engine: configure is idempotent (a second call returns the existing engine). delete
  // removes the bucket's SQLite file and every table in it; deleting the bucket does too.
  // Every call on a bucket that does not exist, or has no engine (but configure), is
  // NOT_FOUND.
  Result<TableEngine> configure_engine(std::string_view bucket);
  Result<TableEngine> get_engine(std::string_view bucket);
  Status delete_engine(std::string_view bucket);

  Result<Table> create_table(const CreateTableRequest& request);
  Result<ListTablesResponse> list_tables(const ListTablesRequest& request);
  Result<Table> get_table(std::string_view bucket, std::string_view name);
  // ADD COLUMN only: every column in `add` is new and nullable (or has no rows yet).
  Result<Table> add_columns(std::string_view bucket, std::string_view name,
                            const std::vector<Column>& add);
  Status drop_table(std::string_view bucket, std::string_view name);

  // Read-only SQL, exactly one statement (anything that writes is refused with
  // INVALID_ARGUMENT). User SQL may not ATTACH/DETACH, control transactions, run PRAGMAs other
  // than table_info/table_xinfo/index_list/index_info/index_xinfo/foreign_key_list, create
  // triggers, temporary objects or virtual tables, call load_extension, or touch k3's
  // internal tables (`_k3_*`) or SQLite's (`sqlite_*`, dbstat): PERMISSION_DENIED.
  Result<QueryResult> query(const QueryRequest& request);
  Result<RowCursor> query_cursor(const QueryRequest& request);
  // One statement of any kind (no transactions, no ATTACH, no PRAGMA writes, no VACUUM or
  // ANALYZE: use the maintenance calls). Writes are recorded in history as "EXECUTE" versions
  // of the tables they change; CREATE/ALTER/DROP TABLE keep the catalog in step (a table made
  // by SQL gets K3 types from its declared types and its PRIMARY KEY as merge keys; one
  // without a PRIMARY KEY cannot be restored). ALTER TABLE ... RENAME TO is refused.
  Result<ExecuteResult> execute(std::string_view bucket, std::string_view sql,
                                const std::vector<Value>& params = {});

  // Writes; each is one transaction and one new version. On a table with merge keys an
  // insert is an upsert.
  Result<WriteResult> insert_rows(std::string_view bucket, std::string_view table,
                                  const std::vector<Row>& rows);
  Result<WriteResult> merge(const MergeRequest& request);
  Result<WriteResult> update_rows(const UpdateRowsRequest& request);
  Result<WriteResult> delete_rows(const DeleteRowsRequest& request);

  // Newest first.
  Result<std::vector<HistoryEntry>> history(std::string_view bucket, std::string_view table);
  // Brings the table's rows back to what they were at `version` (recorded as a new "RESTORE"
  // version). OUT_OF_RANGE for a version after the latest; FAILED_PRECONDITION when the version
  // is no longer retained or the column count changed since.
  Result<WriteResult> restore(std::string_view bucket, std::string_view table, uint64_t version);

  Result<MaintenanceResult> optimize(std::string_view bucket, std::string_view table = {});
  Result<MaintenanceResult> vacuum(std::string_view bucket);
  Result<MaintenanceResult> compact(std::string_view bucket);
  Result<MaintenanceResult> integrity_check(std::string_view bucket);

  // Creates `name` from `sql` (a query over the bucket's tables; "{table}" = source_table)
  // and remembers the definition; refresh re-runs it (replacing every row, as one new
  // version "REFRESH"). Result columns need valid, distinct names (alias expressions with AS).
  Result<Table> materialize(std::string_view bucket, std::string_view source_table,
                            std::string_view name, std::string_view sql);
  Result<WriteResult> refresh(std::string_view bucket, std::string_view name);

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_TABLES_H_
