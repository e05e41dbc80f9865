// The public TableService and RowCursor: argument plumbing to their Impls. SQLite and JSON
// report errors as codes or are caught inside; nothing here throws.
#include "tables/table_impl.h"

namespace k3 {

// ---- RowCursor ----

RowCursor::RowCursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RowCursor::RowCursor(RowCursor&&) noexcept = default;
RowCursor& RowCursor::operator=(RowCursor&&) noexcept = default;
RowCursor::~RowCursor() = default;

const std::vector<ResultColumn>& RowCursor::columns() const { return impl_->columns(); }
Result<bool> RowCursor::next() { return impl_->Next(); }
const std::vector<Value>& RowCursor::row() const { return impl_->row(); }

// ---- TableService ----

Result<TableEngine> TableService::configure_engine(std::string_view bucket) {
  return impl_->ConfigureEngine(bucket);
}
Result<TableEngine> TableService::get_engine(std::string_view bucket) {
  return impl_->GetEngineInfo(bucket);
}
Status TableService::delete_engine(std::string_view bucket) { return impl_->DeleteEngine(bucket); }

Result<Table> TableService::create_table(const CreateTableRequest& request) {
  return impl_->CreateTable(request);
}
Result<ListTablesResponse> TableService::list_tables(const ListTablesRequest& request) {
  return impl_->ListTables(request);
}
Result<Table> TableService::get_table(std::string_view bucket, std::string_view name) {
  return impl_->GetTable(bucket, name);
}
Result<Table> TableService::add_columns(std::string_view bucket, std::string_view name,
                                        const std::vector<Column>& add) {
  return impl_->AddColumns(bucket, name, add);
}
Status TableService::drop_table(std::string_view bucket, std::string_view name) {
  return impl_->DropTable(bucket, name);
}

Result<QueryResult> TableService::query(const QueryRequest& request) {
  return impl_->Query(request);
}
Result<RowCursor> TableService::query_cursor(const QueryRequest& request) {
  return impl_->QueryCursor(request);
}
Result<ExecuteResult> TableService::execute(std::string_view bucket, std::string_view sql,
                                            const std::vector<Value>& params) {
  return impl_->Execute(bucket, sql, params);
}

Result<WriteResult> TableService::insert_rows(std::string_view bucket, std::string_view table,
                                              const std::vector<Row>& rows) {
  return impl_->InsertRows(bucket, table, rows);
}
Result<WriteResult> TableService::merge(const MergeRequest& request) {
  return impl_->Merge(request);
}
Result<WriteResult> TableService::update_rows(const UpdateRowsRequest& request) {
  return impl_->UpdateRows(request);
}
Result<WriteResult> TableService::delete_rows(const DeleteRowsRequest& request) {
  return impl_->DeleteRows(request);
}

Result<std::vector<HistoryEntry>> TableService::history(std::string_view bucket,
                                                        std::string_view table) {
  return impl_->History(bucket, table);
}
Result<WriteResult> TableService::restore(std::string_view bucket, std::string_view table,
                                          uint64_t version) {
  return impl_->Restore(bucket, table, version);
}

Result<MaintenanceResult> TableService::optimize(std::string_view bucket, std::string_view table) {
  return impl_->Optimize(bucket, table);
}
Result<MaintenanceResult> TableService::vacuum(std::string_view bucket) {
  return impl_->Vacuum(bucket);
}
Result<MaintenanceResult> TableService::compact(std::string_view bucket) {
  return impl_->Compact(bucket);
}
Result<MaintenanceResult> TableService::integrity_check(std::string_view bucket) {
  return impl_->IntegrityCheck(bucket);
}

Result<Table> TableService::materialize(std::string_view bucket, std::string_view source_table,
                                        std::string_view name, std::string_view sql) {
  return impl_->Materialize(bucket, source_table, name, sql);
}
Result<WriteResult> TableService::refresh(std::string_view bucket, std::string_view name) {
  return impl_->Refresh(bucket, name);
}

}  // namespace k3
