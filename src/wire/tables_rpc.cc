// TableService's RPCs (K3's dodil.k3.tables.v1) in the RPC table: each handler reads its
// request with the codecs of tables_json.h, calls Db::tables() and answers in wire form.
// Every request names its bucket; methods on one table name it as tableName (table_name).
#include <string>
#include <utility>
#include <vector>

#include "wire/rpc_table.h"
#include "wire/tables_json.h"

namespace k3::wire {

namespace {

// The fields {bucket, tableName} common to table methods. `name` is accepted for tableName.
Status GetBucketTable(const Fields& f, std::string* bucket, std::string* table) {
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  K3_RETURN_IF_ERROR(f.Get("name", table));
  return f.Get("tableName", table);
}

Status GetParams(const Fields& f, std::vector<Value>* params) {
  return ParamsFromJson(f.Find("params"), f.PathOf("params"), params);
}

Status GetRowFormat(const Fields& f, RowFormat* format) {
  return f.GetEnum("rowFormat", kRowFormatEnum, format);
}

// The rows of `f`'s array field `name`, read for the columns of the destination table.
Status GetRows(Db& db, const Fields& f, std::string_view bucket, std::string_view table,
               std::string_view name, std::vector<Row>* rows) {
  const Json* array = nullptr;
  std::string path;
  K3_RETURN_IF_ERROR(f.GetArray(name, &array, &path));
  if (array == nullptr) return FieldError(f.PathOf(name), "required: an array of rows");
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().get_table(bucket, table));
  rows->reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    Row row;
    K3_RETURN_IF_ERROR(RowFromJson((*array)[i], t.columns, IndexPath(path, i), &row));
    rows->push_back(std::move(row));
  }
  return Status::Ok();
}

// ---- Engine ----

// {bucket} -> TableEngine
Result<Json> ConfigureEngine(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(TableEngine e, db.tables().configure_engine(bucket));
  return ToJson(e);
}

// {bucket} -> TableEngine
Result<Json> GetEngine(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(TableEngine e, db.tables().get_engine(bucket));
  return ToJson(e);
}

// {bucket} -> {}
Result<Json> DeleteEngine(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(db.tables().delete_engine(bucket));
  return EmptyResponse();
}

// ---- Tables ----

// {bucket, name, description, columns, mergeKeys, partitionColumns, source, pipelineId}
// -> Table
Result<Json> CreateTable(Db& db, const Json& req) {
  CreateTableRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().create_table(r));
  return ToJson(t);
}

// {bucket, pageSize, pageToken} -> {tables, pagination}
Result<Json> ListTables(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  ListTablesRequest r;
  K3_RETURN_IF_ERROR(f.Get("bucket", &r.bucket));
  K3_RETURN_IF_ERROR(f.Get("pageSize", &r.page_size));
  K3_RETURN_IF_ERROR(f.Get("pageToken", &r.page_token));
  K3_ASSIGN_OR_RETURN(ListTablesResponse resp, db.tables().list_tables(r));
  return ToJson(resp);
}

// {bucket, tableName} -> Table (GetTable and DescribeTable answer the same: the schema in K3
// types, row count, bytes, merge keys, source).
Result<Json> GetTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().get_table(bucket, table));
  return ToJson(t);
}

// {bucket, tableName, addColumns (or columns): [Column]} -> Table. ADD COLUMN only.
Result<Json> UpdateTableSchema(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  const char* field = f.Has("addColumns") ? "addColumns" : "columns";
  const Json* array = nullptr;
  std::string path;
  K3_RETURN_IF_ERROR(f.GetArray(field, &array, &path));
  if (array == nullptr) return FieldError(f.PathOf("addColumns"), "required: columns to add");
  std::vector<Column> add;
  for (size_t i = 0; i < array->size(); ++i) {
    Column c;
    K3_RETURN_IF_ERROR(FromJson((*array)[i], &c, IndexPath(path, i)));
    add.push_back(std::move(c));
  }
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().add_columns(bucket, table, add));
  return ToJson(t);
}

// {bucket, tableName} -> {}
Result<Json> DeleteTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  K3_RETURN_IF_ERROR(db.tables().drop_table(bucket, table));
  return EmptyResponse();
}

// ---- SQL ----

// {bucket, tableName, sql, params, lookupTables, limit, rowFormat}
// -> {columns, rows, rowCount, truncated, executionTimeMs}
Result<Json> Query(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  QueryRequest r;
  K3_RETURN_IF_ERROR(f.Get("bucket", &r.bucket));
  K3_RETURN_IF_ERROR(f.Get("tableName", &r.table_name));
  K3_RETURN_IF_ERROR(f.Get("sql", &r.sql));
  K3_RETURN_IF_ERROR(GetParams(f, &r.params));
  K3_RETURN_IF_ERROR(f.Get("lookupTables", &r.lookup_tables));
  K3_RETURN_IF_ERROR(f.Get("limit", &r.limit));
  RowFormat format = RowFormat::kObject;
  K3_RETURN_IF_ERROR(GetRowFormat(f, &format));
  K3_ASSIGN_OR_RETURN(QueryResult result, db.tables().query(r));
  return ToJson(result, format);
}

// {bucket, sql, params, rowFormat} -> {kind, query | write | ddl}
Result<Json> Execute(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, sql;
  std::vector<Value> params;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("sql", &sql));
  K3_RETURN_IF_ERROR(GetParams(f, &params));
  RowFormat format = RowFormat::kObject;
  K3_RETURN_IF_ERROR(GetRowFormat(f, &format));
  K3_ASSIGN_OR_RETURN(ExecuteResult result, db.tables().execute(bucket, sql, params));
  return ToJson(result, format);
}

// ---- Writes ----

// {bucket, tableName, rows: [object | JSON text]} -> {rowsWritten, version}
Result<Json> InsertRows(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  std::vector<Row> rows;
  K3_RETURN_IF_ERROR(GetRows(db, f, bucket, table, "rows", &rows));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().insert_rows(bucket, table, rows));
  return ToJson(w);
}

// {bucket, tableName, rows, matchColumns, whenMatched, whenNotMatched} -> WriteResult
Result<Json> MergeRows(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  MergeRequest r;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &r.bucket, &r.table_name));
  K3_RETURN_IF_ERROR(f.Get("matchColumns", &r.match_columns));
  K3_RETURN_IF_ERROR(f.GetEnum("whenMatched", kWhenMatchedEnum, &r.when_matched));
  K3_RETURN_IF_ERROR(f.GetEnum("whenNotMatched", kWhenNotMatchedEnum, &r.when_not_matched));
  K3_RETURN_IF_ERROR(GetRows(db, f, r.bucket, r.table_name, "rows", &r.rows));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().merge(r));
  return ToJson(w);
}

// {bucket, tableName, set: {column: value}, where, params} -> WriteResult
Result<Json> UpdateRows(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  UpdateRowsRequest r;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &r.bucket, &r.table_name));
  K3_RETURN_IF_ERROR(f.Get("where", &r.where));
  K3_RETURN_IF_ERROR(GetParams(f, &r.params));
  const Json* set = f.Find("set");
  if (set == nullptr) return FieldError(f.PathOf("set"), "required: {column: value}");
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().get_table(r.bucket, r.table_name));
  K3_RETURN_IF_ERROR(RowFromJson(*set, t.columns, f.PathOf("set"), &r.set));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().update_rows(r));
  return ToJson(w);
}

// {bucket, tableName, where, params} -> WriteResult
Result<Json> DeleteRows(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  DeleteRowsRequest r;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &r.bucket, &r.table_name));
  K3_RETURN_IF_ERROR(f.Get("where", &r.where));
  K3_RETURN_IF_ERROR(GetParams(f, &r.params));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().delete_rows(r));
  return ToJson(w);
}

// ---- History ----

// {bucket, tableName} -> {entries: [HistoryEntry], newest first}
Result<Json> GetTableHistory(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  K3_ASSIGN_OR_RETURN(std::vector<HistoryEntry> entries, db.tables().history(bucket, table));
  Json list = Json::array();
  for (const HistoryEntry& e : entries) list.push_back(ToJson(e));
  return Json{{"entries", std::move(list)}};
}

// {bucket, tableName, version} -> WriteResult
Result<Json> RestoreTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  if (!f.Has("version")) return FieldError(f.PathOf("version"), "required");
  uint64_t version = 0;
  K3_RETURN_IF_ERROR(f.Get("version", &version));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().restore(bucket, table, version));
  return ToJson(w);
}

// ---- Maintenance ----

// {bucket, tableName (optional: every table)} -> MaintenanceResult
Result<Json> OptimizeTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  K3_ASSIGN_OR_RETURN(MaintenanceResult m, db.tables().optimize(bucket, table));
  return ToJson(m);
}

// The engine-wide maintenance calls: {bucket} -> MaintenanceResult.
template <Result<MaintenanceResult> (TableService::*kOp)(std::string_view)>
Result<Json> EngineMaintenance(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(MaintenanceResult m, (db.tables().*kOp)(bucket));
  return ToJson(m);
}

// ---- Materialization ----

// {bucket, sourceTable, name, sql} -> Table
Result<Json> MaterializeTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, source_table, name, sql;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceTable", &source_table));
  K3_RETURN_IF_ERROR(f.Get("name", &name));
  K3_RETURN_IF_ERROR(f.Get("sql", &sql));
  K3_ASSIGN_OR_RETURN(k3::Table t, db.tables().materialize(bucket, source_table, name, sql));
  return ToJson(t);
}

// {bucket, tableName} -> WriteResult
Result<Json> RefreshTable(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, table;
  K3_RETURN_IF_ERROR(GetBucketTable(f, &bucket, &table));
  K3_ASSIGN_OR_RETURN(WriteResult w, db.tables().refresh(bucket, table));
  return ToJson(w);
}

}  // namespace

void RegisterTableRpcs(RpcTable& table) {
  constexpr std::string_view kService = "TableService";
  table.Add(kService, "ConfigureEngine", &ConfigureEngine);
  table.Add(kService, "GetEngine", &GetEngine);
  table.Add(kService, "DeleteEngine", &DeleteEngine);
  table.Add(kService, "CreateTable", &CreateTable);
  table.Add(kService, "ListTables", &ListTables);
  table.Add(kService, "GetTable", &GetTable);
  table.Add(kService, "DescribeTable", &GetTable);
  table.Add(kService, "UpdateTableSchema", &UpdateTableSchema);
  table.Add(kService, "DeleteTable", &DeleteTable);
  table.Add(kService, "Query", &Query);
  table.Add(kService, "Execute", &Execute);
  table.Add(kService, "InsertRows", &InsertRows);
  table.Add(kService, "MergeRows", &MergeRows);
  table.Add(kService, "UpdateRows", &UpdateRows);
  table.Add(kService, "DeleteRows", &DeleteRows);
  table.Add(kService, "GetTableHistory", &GetTableHistory);
  table.Add(kService, "RestoreTable", &RestoreTable);
  table.Add(kService, "OptimizeTable", &OptimizeTable);
  table.Add(kService, "VacuumTables", &EngineMaintenance<&TableService::vacuum>);
  table.Add(kService, "CompactTables", &EngineMaintenance<&TableService::compact>);
  table.Add(kService, "CheckIntegrity", &EngineMaintenance<&TableService::integrity_check>);
  table.Add(kService, "MaterializeTable", &MaterializeTable);
  table.Add(kService, "RefreshTable", &RefreshTable);
}

}  // namespace k3::wire
