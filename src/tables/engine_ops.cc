// tables/engine_ops.cc: TableService::Impl — engines and tables (create, list, get, alter,
// drop). See table_impl.h.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

#include "tables/history.h"
#include "tables/sql_text.h"
#include "tables/sqlite_util.h"
#include "tables/table_impl.h"
#include "tables/types.h"
#include "tables/write_txn.h"
#include "util/clock.h"
#include "util/page_token.h"

namespace k3 {

using tables::Engine;
using tables::QuoteIdent;
using tables::Stmt;
using tables::TableMeta;
using tables::ToLower;
using tables::WriteTxn;

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxColumns = 1000;

std::string TableLabel(std::string_view bucket, std::string_view name) {
  return "table \"" + std::string(name) + "\" in bucket \"" + std::string(bucket) + "\"";
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// The bytes of the b-trees (table and indexes) of `table`, or of every user table when
// `table` is empty, by lower-case table name. Measured with the dbstat virtual table.
Result<std::map<std::string, uint64_t>> TableSizes(sqlite3* db, std::string_view table) {
  std::map<std::string, std::string> owner;  // b-tree -> its table (lower case)
  {
    std::string sql =
        "SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index') AND "
        "rootpage > 0";
    if (!table.empty()) sql += " AND tbl_name = ?1 COLLATE NOCASE";
    K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db, sql));
    if (!table.empty()) s.BindText(1, table);
    while (true) {
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      owner[s.Text(0)] = ToLower(s.Text(1));
    }
  }
  std::map<std::string, uint64_t> sizes;
  if (table.empty()) {
    K3_ASSIGN_OR_RETURN(Stmt s,
                        Stmt::Internal(db, "SELECT name, pgsize FROM dbstat WHERE aggregate = 1"));
    while (true) {
      K3_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      auto it = owner.find(s.Text(0));
      if (it != owner.end()) sizes[it->second] += static_cast<uint64_t>(s.Int(1));
    }
    return sizes;
  }
  K3_ASSIGN_OR_RETURN(
      Stmt s, Stmt::Internal(db, "SELECT pgsize FROM dbstat WHERE name = ?1 AND aggregate = 1"));
  for (const auto& [btree, tbl] : owner) {
    s.BindText(1, btree);
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) sizes[tbl] += static_cast<uint64_t>(s.Int(0));
    sqlite3_reset(s.get());
  }
  return sizes;
}

// Validates the columns of a new table (or new columns: `existing` holds the table's).
Status ValidateColumns(const std::vector<Column>& columns, const std::vector<Column>& existing) {
  std::set<std::string> seen;
  for (const Column& c : existing) seen.insert(ToLower(c.name));
  for (const Column& c : columns) {
    K3_RETURN_IF_ERROR(tables::ValidateColumnName(c.name));
    if (!seen.insert(ToLower(c.name)).second) {
      return existing.empty() ? InvalidArgument("column \"" + c.name + "\" is declared twice")
                              : AlreadyExists("column \"" + c.name + "\" already exists");
    }
    if (c.type == ColumnType::kUnspecified || tables::ColumnTypeName(c.type) == "UNSPECIFIED") {
      return InvalidArgument("column \"" + c.name +
                             "\": a type is required (STRING, INT, LONG, "
                             "SHORT, FLOAT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, BINARY or JSON)");
    }
  }
  return Status();
}

// The column definition in CREATE TABLE / ADD COLUMN.
std::string ColumnDefinition(const Column& c) {
  const std::string q = QuoteIdent(c.name);
  std::string def = q + " " + std::string(tables::StorageType(c.type));
  if (!c.nullable) def += " NOT NULL";
  const std::string check = tables::CheckConstraint(c.type, q);
  if (!check.empty()) def += " " + check;
  return def;
}

// Resolves `names` against the columns (case-insensitively) to their declared spelling.
Result<std::vector<std::string>> ResolveColumns(const std::vector<std::string>& names,
                                                const std::vector<Column>& columns,
                                                std::string_view what) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& n : names) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const Column& c) { return tables::EqualsIgnoreCase(c.name, n); });
    if (it == columns.end()) {
      return InvalidArgument(std::string(what) + " \"" + n + "\" is not a column of the table");
    }
    if (!seen.insert(ToLower(n)).second) {
      return InvalidArgument(std::string(what) + " \"" + n + "\" is listed twice");
    }
    out.push_back(it->name);
  }
  return out;
}

}  // namespace

TableService::Impl::Impl(const std::string& data_dir, const Options& options, util::Logger logger,
                         BucketCheck bucket_check)
    : tables_dir_((fs::path(data_dir) / "tables").string()),
      sync_full_(options.sync_writes),
      retention_(options.table_history_versions),
      logger_(std::move(logger)),
      bucket_check_(std::move(bucket_check)) {}

TableService::Impl::~Impl() {
  std::lock_guard lock(engines_mu_);
  for (auto& [bucket, engine] : engines_) engine->Close();
  engines_.clear();
}

std::string TableService::Impl::EnginePath(std::string_view bucket) const {
  return (fs::path(tables_dir_) / (std::string(bucket) + ".db")).string();
}

Result<std::shared_ptr<Engine>> TableService::Impl::GetEngine(std::string_view bucket) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  std::lock_guard lock(engines_mu_);
  if (auto it = engines_.find(bucket); it != engines_.end()) return it->second;
  const std::string path = EnginePath(bucket);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return NotFound("bucket \"" + std::string(bucket) +
                    "\" has no table engine; configure one first (configure_engine)");
  }
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine,
                      Engine::Open(path, std::string(bucket), /*create=*/false, sync_full_));
  engines_.emplace(std::string(bucket), engine);
  return engine;
}

Result<TableMeta> TableService::Impl::FindTable(const Engine& engine, std::string_view name) {
  std::optional<TableMeta> meta = engine.Find(name);
  if (!meta) return NotFound(TableLabel(engine.bucket(), name) + " does not exist");
  return std::move(*meta);
}

Result<Table> TableService::Impl::Describe(sqlite3* db, const TableMeta& meta) {
  Table t = meta.table;
  K3_ASSIGN_OR_RETURN(auto sizes, TableSizes(db, t.name));
  auto it = sizes.find(ToLower(t.name));
  t.size_bytes = it == sizes.end() ? 0 : it->second;
  return t;
}

Result<TableEngine> TableService::Impl::EngineInfo(const Engine& engine) {
  TableEngine e;
  e.engine_id = engine.info().engine_id;
  e.bucket = engine.bucket();
  e.status = EngineStatus::kActive;
  e.created_at = engine.info().created_at;
  e.updated_at = e.created_at;
  for (const TableMeta& meta : engine.Tables()) {
    ++e.table_count;
    e.updated_at = std::max(e.updated_at, meta.table.updated_at);
  }
  e.size_bytes = FileSize(engine.path()) + FileSize(engine.path() + "-wal");
  return e;
}

Result<TableEngine> TableService::Impl::ConfigureEngine(std::string_view bucket) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  std::shared_ptr<Engine> engine;
  {
    std::lock_guard lock(engines_mu_);
    if (auto it = engines_.find(bucket); it != engines_.end()) {
      engine = it->second;
    } else {
      std::error_code ec;
      fs::create_directories(tables_dir_, ec);
      if (ec) return k3::Internal("creating " + tables_dir_ + ": " + ec.message());
      K3_ASSIGN_OR_RETURN(engine, Engine::Open(EnginePath(bucket), std::string(bucket),
                                               /*create=*/true, sync_full_));
      engines_.emplace(std::string(bucket), engine);
    }
  }
  return EngineInfo(*engine);
}

Result<TableEngine> TableService::Impl::GetEngineInfo(std::string_view bucket) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  return EngineInfo(*engine);
}

Status TableService::Impl::RemoveEngineLocked(std::string_view bucket) {
  if (auto it = engines_.find(bucket); it != engines_.end()) {
    it->second->Close();
    engines_.erase(it);
  }
  const std::string path = EnginePath(bucket);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    fs::remove(path + suffix, ec);
    if (ec) return k3::Internal("removing " + path + suffix + ": " + ec.message());
  }
  return Status();
}

Status TableService::Impl::DeleteEngine(std::string_view bucket) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  std::lock_guard lock(engines_mu_);
  std::error_code ec;
  if (engines_.find(bucket) == engines_.end() && !fs::exists(EnginePath(bucket), ec)) {
    return NotFound("bucket \"" + std::string(bucket) + "\" has no table engine");
  }
  return RemoveEngineLocked(bucket);
}

Status TableService::Impl::OnBucketDeleted(std::string_view bucket) {
  std::lock_guard lock(engines_mu_);
  std::error_code ec;
  if (engines_.find(bucket) == engines_.end() && !fs::exists(EnginePath(bucket), ec)) {
    return Status();
  }
  return RemoveEngineLocked(bucket);
}

Result<Table> TableService::Impl::CreateTable(const CreateTableRequest& request) {
  K3_RETURN_IF_ERROR(tables::ValidateTableName(request.name));
  if (request.columns.empty() || request.columns.size() > kMaxColumns) {
    return InvalidArgument("table \"" + request.name + "\" needs 1 to 1000 columns, got " +
                           std::to_string(request.columns.size()));
  }
  if (request.source == TableSource::kMaterialized) {
    return InvalidArgument("materialized tables are created with materialize()");
  }
  K3_RETURN_IF_ERROR(ValidateColumns(request.columns, {}));
  K3_ASSIGN_OR_RETURN(std::vector<std::string> merge_keys,
                      ResolveColumns(request.merge_keys, request.columns, "merge key"));
  K3_ASSIGN_OR_RETURN(
      std::vector<std::string> partitions,
      ResolveColumns(request.partition_columns, request.columns, "partition column"));
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));

  TableMeta meta;
  Table& t = meta.table;
  t.bucket = request.bucket;
  t.name = request.name;
  t.description = request.description;
  t.columns = request.columns;
  t.merge_keys = merge_keys;
  t.partition_columns = partitions;
  t.source = request.source;
  t.pipeline_id = request.pipeline_id;
  t.created_at = t.updated_at = util::NowMs();
  meta.rowid_key = merge_keys.empty();
  meta.trackable = true;
  // Merge keys are the PRIMARY KEY: never NULL.
  for (Column& c : t.columns) {
    for (const std::string& k : merge_keys) {
      if (c.name == k) c.nullable = false;
    }
  }

  std::string ddl = "CREATE TABLE " + QuoteIdent(t.name) + " (";
  if (meta.rowid_key) ddl += QuoteIdent(tables::kRowIdColumn) + " INTEGER PRIMARY KEY, ";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i > 0) ddl += ", ";
    ddl += ColumnDefinition(t.columns[i]);
  }
  if (t.source == TableSource::kPipeline) {
    ddl += ", " + QuoteIdent(tables::kSourceKeyColumn) + " TEXT";
  }
  if (!merge_keys.empty()) {
    ddl += ", PRIMARY KEY (";
    for (size_t i = 0; i < merge_keys.size(); ++i) {
      if (i > 0) ddl += ", ";
      ddl += QuoteIdent(merge_keys[i]);
    }
    ddl += ")";
  }
  ddl += ") STRICT";

  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  if (engine->Find(t.name)) {
    return AlreadyExists(TableLabel(request.bucket, t.name) + " already exists");
  }
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), ddl, "creating table \"" + t.name + "\""));
  if (!partitions.empty()) {
    std::string index =
        "CREATE INDEX " + QuoteIdent("_k3_part_" + t.name) + " ON " + QuoteIdent(t.name) + " (";
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (i > 0) index += ", ";
      index += QuoteIdent(partitions[i]);
    }
    index += ")";
    K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), index, "indexing partition columns"));
  }
  if (t.source == TableSource::kPipeline) {
    K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(),
                                          "CREATE INDEX " + QuoteIdent("_k3_src_" + t.name) +
                                              " ON " + QuoteIdent(t.name) + " (" +
                                              QuoteIdent(tables::kSourceKeyColumn) + ")",
                                          "indexing the source key"));
  }
  K3_RETURN_IF_ERROR(tables::SaveCatalogEntry(writer.db(), meta));
  K3_RETURN_IF_ERROR(
      tables::AppendHistory(writer.db(), t.name, 0, "CREATE", 0, t.created_at, "", retention_));
  txn.Touch(t.name);
  K3_RETURN_IF_ERROR(txn.CommitPlain());
  return Describe(writer.db(), meta);
}

Result<ListTablesResponse> TableService::Impl::ListTables(const ListTablesRequest& request) {
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(request.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "tables/" + request.bucket;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, request.page_token));
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  std::vector<TableMeta> all = engine->Tables();  // by lower-case name
  ListTablesResponse out;
  out.pagination.total_count = static_cast<int64_t>(all.size());
  std::vector<const TableMeta*> page;
  bool more = false;
  for (const TableMeta& meta : all) {
    if (!after.empty() && ToLower(meta.table.name) <= after) continue;
    if (static_cast<int>(page.size()) == page_size) {
      more = true;
      break;
    }
    page.push_back(&meta);
  }
  std::map<std::string, uint64_t> sizes;
  if (!page.empty()) {
    K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
    K3_ASSIGN_OR_RETURN(sizes, TableSizes(reader.db(), {}));
  }
  for (const TableMeta* meta : page) {
    Table t = meta->table;
    auto it = sizes.find(ToLower(t.name));
    t.size_bytes = it == sizes.end() ? 0 : it->second;
    out.tables.push_back(std::move(t));
  }
  if (more && !page.empty()) {
    out.pagination.next_page_token =
        util::EncodePageToken(listing, ToLower(page.back()->table.name));
  }
  return out;
}

Result<Table> TableService::Impl::GetTable(std::string_view bucket, std::string_view name) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, name));
  K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
  return Describe(reader.db(), meta);
}

Result<Table> TableService::Impl::AddColumns(std::string_view bucket, std::string_view name,
                                             const std::vector<Column>& add) {
  if (add.empty()) return InvalidArgument("add_columns needs at least one column");
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, name));
  K3_RETURN_IF_ERROR(ValidateColumns(add, meta.table.columns));
  if (meta.table.columns.size() + add.size() > kMaxColumns) {
    return InvalidArgument("a table has at most 1000 columns");
  }
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  bool has_rows = false;
  {
    K3_ASSIGN_OR_RETURN(
        Stmt s,
        Stmt::Internal(writer.db(), "SELECT 1 FROM " + QuoteIdent(meta.table.name) + " LIMIT 1"));
    K3_ASSIGN_OR_RETURN(has_rows, s.Step());
  }
  for (const Column& c : add) {
    if (!c.nullable && has_rows) {
      return FailedPrecondition("column \"" + c.name + "\" is not nullable, but " +
                                TableLabel(bucket, meta.table.name) +
                                " has rows (which would hold NULL); add it as nullable");
    }
    K3_RETURN_IF_ERROR(tables::ExecMapped(
        writer.db(),
        "ALTER TABLE " + QuoteIdent(meta.table.name) + " ADD COLUMN " + ColumnDefinition(c),
        "adding column \"" + c.name + "\""));
    meta.table.columns.push_back(c);
  }
  K3_RETURN_IF_ERROR(txn.BumpVersion(&meta, "ALTER", 0, 0, ""));
  K3_RETURN_IF_ERROR(txn.CommitPlain());
  return Describe(writer.db(), meta);
}

Status TableService::Impl::DropTable(std::string_view bucket, std::string_view name) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, name));
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), "DROP TABLE " + QuoteIdent(meta.table.name),
                                        "dropping " + TableLabel(bucket, meta.table.name)));
  K3_RETURN_IF_ERROR(tables::DeleteCatalogEntry(writer.db(), meta.table.name));
  K3_RETURN_IF_ERROR(tables::DropHistory(writer.db(), meta.table.name));
  txn.Touch(meta.table.name);
  return txn.CommitPlain();
}

}  // namespace k3
