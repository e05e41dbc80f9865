// tables/catalog.cc: see catalog.h.
#include "tables/catalog.h"

#include <nlohmann/json.hpp>

#include "tables/sqlite_util.h"
#include "tables/types.h"
#include "util/clock.h"
#include "util/ids.h"

namespace k3::tables {
namespace {

using nlohmann::json;

constexpr char kSelectColumns[] =
    "SELECT name, description, columns, merge_keys, partition_columns, source, pipeline_id, "
    "materialized_sql, materialized_from, rowid_key, trackable, row_count, version, created_at, "
    "updated_at FROM _k3_tables";

std::string ColumnsJson(const std::vector<Column>& columns) {
  json out = json::array();
  for (const Column& c : columns) {
    out.push_back({{"name", c.name},
                   {"type", std::string(ColumnTypeName(c.type))},
                   {"nullable", c.nullable}});
  }
  return out.dump();
}

std::string NamesJson(const std::vector<std::string>& names) { return json(names).dump(); }

Result<TableMeta> FromRow(const Stmt& s, std::string_view bucket) {
  TableMeta meta;
  Table& t = meta.table;
  t.bucket = std::string(bucket);
  t.name = s.Text(0);
  t.description = s.Text(1);
  try {
    for (const json& c : json::parse(s.Text(2))) {
      Column column;
      column.name = c.at("name").get<std::string>();
      column.type = ParseColumnType(c.at("type").get<std::string>()).value_or(ColumnType::kString);
      column.nullable = c.at("nullable").get<bool>();
      t.columns.push_back(std::move(column));
    }
    t.merge_keys = json::parse(s.Text(3)).get<std::vector<std::string>>();
    t.partition_columns = json::parse(s.Text(4)).get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return DataLoss("table \"" + t.name + "\": malformed catalog entry: " + e.what());
  }
  t.source = static_cast<TableSource>(s.Int(5));
  t.pipeline_id = s.Text(6);
  t.materialized_sql = s.Text(7);
  meta.materialized_from = s.Text(8);
  meta.rowid_key = s.Int(9) != 0;
  meta.trackable = s.Int(10) != 0;
  t.row_count = static_cast<uint64_t>(s.Int(11));
  t.version = static_cast<uint64_t>(s.Int(12));
  t.created_at = s.Int(13);
  t.updated_at = s.Int(14);
  return meta;
}

}  // namespace

Status EnsureCatalogSchema(sqlite3* db) {
  return ExecInternal(db,
                      "CREATE TABLE IF NOT EXISTS _k3_engine(key TEXT PRIMARY KEY NOT NULL, "
                      "value TEXT NOT NULL);"
                      "CREATE TABLE IF NOT EXISTS _k3_tables("
                      "name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE, "
                      "description TEXT NOT NULL, columns TEXT NOT NULL, "
                      "merge_keys TEXT NOT NULL, partition_columns TEXT NOT NULL, "
                      "source INTEGER NOT NULL, pipeline_id TEXT NOT NULL, "
                      "materialized_sql TEXT NOT NULL, materialized_from TEXT NOT NULL, "
                      "rowid_key INTEGER NOT NULL, trackable INTEGER NOT NULL, "
                      "row_count INTEGER NOT NULL, version INTEGER NOT NULL, "
                      "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);");
}

Result<EngineInfo> LoadOrCreateEngineInfo(sqlite3* db) {
  EngineInfo info;
  {
    K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, "SELECT key, value FROM _k3_engine"));
    while (true) {
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const std::string key = s.Text(0);
      if (key == "engine_id") info.engine_id = s.Text(1);
      if (key == "created_at") info.created_at = std::stoll("0" + s.Text(1));
    }
  }
  if (!info.engine_id.empty()) return info;
  info.engine_id = util::NewId("eng");
  info.created_at = util::NowMs();
  K3_ASSIGN_OR_RETURN(Stmt s,
                      Stmt::Internal(db,
                                     "INSERT INTO _k3_engine(key, value) VALUES ('engine_id', ?1), "
                                     "('created_at', ?2)"));
  s.BindText(1, info.engine_id);
  s.BindText(2, std::to_string(info.created_at));
  K3_RETURN_IF_ERROR(s.Run());
  return info;
}

Result<std::vector<TableMeta>> LoadCatalog(sqlite3* db, std::string_view bucket) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, kSelectColumns));
  std::vector<TableMeta> out;
  while (true) {
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    K3_ASSIGN_OR_RETURN(TableMeta meta, FromRow(s, bucket));
    out.push_back(std::move(meta));
  }
  return out;
}

Result<std::optional<TableMeta>> LoadCatalogEntry(sqlite3* db, std::string_view bucket,
                                                  std::string_view name) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, std::string(kSelectColumns) + " WHERE name = ?1"));
  s.BindText(1, name);
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<TableMeta>();
  K3_ASSIGN_OR_RETURN(TableMeta meta, FromRow(s, bucket));
  return std::optional<TableMeta>(std::move(meta));
}

Status SaveCatalogEntry(sqlite3* db, const TableMeta& meta) {
  const Table& t = meta.table;
  K3_ASSIGN_OR_RETURN(
      Stmt s, Stmt::Internal(db,
                             "INSERT OR REPLACE INTO _k3_tables(name, description, columns, "
                             "merge_keys, partition_columns, source, pipeline_id, "
                             "materialized_sql, materialized_from, rowid_key, trackable, "
                             "row_count, version, created_at, updated_at) VALUES (?1, ?2, ?3, "
                             "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
  s.BindText(1, t.name);
  s.BindText(2, t.description);
  s.BindText(3, ColumnsJson(t.columns));
  s.BindText(4, NamesJson(t.merge_keys));
  s.BindText(5, NamesJson(t.partition_columns));
  s.BindInt(6, static_cast<int64_t>(t.source));
  s.BindText(7, t.pipeline_id);
  s.BindText(8, t.materialized_sql);
  s.BindText(9, meta.materialized_from);
  s.BindInt(10, meta.rowid_key ? 1 : 0);
  s.BindInt(11, meta.trackable ? 1 : 0);
  s.BindInt(12, static_cast<int64_t>(t.row_count));
  s.BindInt(13, static_cast<int64_t>(t.version));
  s.BindInt(14, t.created_at);
  s.BindInt(15, t.updated_at);
  return s.Run();
}

Status DeleteCatalogEntry(sqlite3* db, std::string_view name) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, "DELETE FROM _k3_tables WHERE name = ?1"));
  s.BindText(1, name);
  return s.Run();
}

}  // namespace k3::tables
