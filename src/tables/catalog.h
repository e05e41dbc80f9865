// tables/catalog.h: the table engine's own tables inside each bucket's SQLite file.
//
//   _k3_engine(key TEXT PRIMARY KEY, value TEXT)      engine_id, created_at
//   _k3_tables(name TEXT PRIMARY KEY COLLATE NOCASE,  one row per user table: its K3 schema
//              description, columns (JSON), merge_keys (JSON), partition_columns (JSON),
//              source, pipeline_id, materialized_sql, materialized_from, rowid_key,
//              trackable, row_count, version, created_at, updated_at)
//   _k3_history, _k3_history_pruned                    tables/history.h
//
// Every function runs k3's own statements on the connection it is given (the caller holds
// the connection and, for writes, the write transaction). Thread-safety: per connection.
#ifndef K3_TABLES_CATALOG_H_
#define K3_TABLES_CATALOG_H_

#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "k3/status.h"
#include "k3/tables.h"

namespace k3::tables {

// What the engine knows of one user table.
struct TableMeta {
  Table table;                    // size_bytes is not stored (computed on demand)
  std::string materialized_from;  // a materialized table's source table ({table} in its sql)
  bool rowid_key = false;         // the table has k3's `_k3_rowid INTEGER PRIMARY KEY`
  bool trackable = true;          // its writes are recorded by ChangeCapture (it has a usable
                                  // PRIMARY KEY); false for some tables created by execute
};

// Creates _k3_engine and _k3_tables when missing.
Status EnsureCatalogSchema(sqlite3* db);

// The engine's id and creation time, creating them (in the caller's transaction) when absent.
struct EngineInfo {
  std::string engine_id;
  TimestampMs created_at = 0;
};
Result<EngineInfo> LoadOrCreateEngineInfo(sqlite3* db);

Result<std::vector<TableMeta>> LoadCatalog(sqlite3* db, std::string_view bucket);
Result<std::optional<TableMeta>> LoadCatalogEntry(sqlite3* db, std::string_view bucket,
                                                  std::string_view name);
// Inserts or replaces the entry of meta.table.name.
Status SaveCatalogEntry(sqlite3* db, const TableMeta& meta);
Status DeleteCatalogEntry(sqlite3* db, std::string_view name);

}  // namespace k3::tables

#endif  // K3_TABLES_CATALOG_H_
