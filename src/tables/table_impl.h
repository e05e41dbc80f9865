// tables/table_impl.h: TableService's implementation. Engines (tables/engine.h) are opened
// lazily, one per bucket, and kept in a map until the engine or its bucket is deleted or the
// Db closes. The methods live in engine_ops.cc (engines and tables), query_ops.cc (query,
// cursors, execute) and write_ops.cc (writes, history, maintenance, materialization).
//
// Lock order: engines_mu_, then an engine's writer lock. The bucket check (StorageService) is
// called before taking either: the bucket-deletion hook runs under the storage commit lock
// and takes engines_mu_.
// Thread-safety: all methods are thread-safe.
#ifndef K3_TABLES_TABLE_IMPL_H_
#define K3_TABLES_TABLE_IMPL_H_

#include <sqlite3.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "k3/options.h"
#include "k3/tables.h"
#include "tables/engine.h"
#include "util/log.h"

namespace k3 {

// RowCursor's state: a prepared user query on a leased reader.
class K3_HIDDEN RowCursor::Impl {
 public:
  Impl(tables::Engine::Reader reader, sqlite3_stmt* stmt, std::vector<ResultColumn> columns,
       std::vector<int> kept, std::vector<bool> typed, uint64_t limit);
  ~Impl();

  const std::vector<ResultColumn>& columns() const { return columns_; }
  Result<bool> Next();
  const std::vector<Value>& row() const { return row_; }
  // Steps to the first row (so that the types of expression columns are known) before the
  // cursor is handed out.
  Status Prime();

 private:
  Result<bool> Step();
  void ReadRow();

  tables::Engine::Reader reader_;
  sqlite3_stmt* stmt_;
  std::vector<ResultColumn> columns_;
  std::vector<int> kept_;    // statement column of each result column
  std::vector<bool> typed_;  // the type came from a declaration
  uint64_t limit_;           // 0 = none
  uint64_t delivered_ = 0;
  bool primed_row_ = false;  // Prime() stepped onto a row not yet delivered
  bool done_ = false;
  std::vector<Value> row_;
};

class K3_HIDDEN TableService::Impl {
 public:
  // Answers OK when the bucket exists, NOT_FOUND (or another error) otherwise.
  using BucketCheck = std::function<Status(std::string_view bucket)>;

  // `data_dir` is the Db's directory; engines live in <data_dir>/tables/.
  Impl(const std::string& data_dir, const Options& options, util::Logger logger,
       BucketCheck bucket_check);
  ~Impl();  // closes every engine

  // The bucket-deletion hook: deletes the bucket's engine and its files, if it has one.
  Status OnBucketDeleted(std::string_view bucket);

  // engine_ops.cc
  Result<TableEngine> ConfigureEngine(std::string_view bucket);
  Result<TableEngine> GetEngineInfo(std::string_view bucket);
  Status DeleteEngine(std::string_view bucket);
  Result<Table> CreateTable(const CreateTableRequest& request);
  Result<ListTablesResponse> ListTables(const ListTablesRequest& request);
  Result<Table> GetTable(std::string_view bucket, std::string_view name);
  Result<Table> AddColumns(std::string_view bucket, std::string_view name,
                           const std::vector<Column>& add);
  Status DropTable(std::string_view bucket, std::string_view name);

  // query_ops.cc
  Result<QueryResult> Query(const QueryRequest& request);
  Result<RowCursor> QueryCursor(const QueryRequest& request);
  Result<ExecuteResult> Execute(std::string_view bucket, std::string_view sql,
                                const std::vector<Value>& params);

  // write_ops.cc
  Result<WriteResult> InsertRows(std::string_view bucket, std::string_view table,
                                 const std::vector<Row>& rows);
  Result<WriteResult> Merge(const MergeRequest& request);
  Result<WriteResult> UpdateRows(const UpdateRowsRequest& request);
  Result<WriteResult> DeleteRows(const DeleteRowsRequest& request);
  Result<std::vector<HistoryEntry>> History(std::string_view bucket, std::string_view table);
  Result<WriteResult> Restore(std::string_view bucket, std::string_view table, uint64_t version);
  Result<MaintenanceResult> Optimize(std::string_view bucket, std::string_view table);
  Result<MaintenanceResult> Vacuum(std::string_view bucket);
  Result<MaintenanceResult> Compact(std::string_view bucket);
  Result<MaintenanceResult> IntegrityCheck(std::string_view bucket);
  Result<Table> Materialize(std::string_view bucket, std::string_view source_table,
                            std::string_view name, std::string_view sql);
  Result<WriteResult> Refresh(std::string_view bucket, std::string_view name);
  // For pipelines, on tables they created (TableSource::kPipeline; FAILED_PRECONDITION for
  // another table). Inserts `rows` tagged with `source_key`; with `replace`, the rows an
  // earlier run wrote for `source_key` are deleted first, in the same transaction.
  Result<WriteResult> WriteSourceRows(std::string_view bucket, std::string_view table,
                                      const std::string& source_key, const std::vector<Row>& rows,
                                      bool replace);
  // Deletes every row of `source_key` (its object was deleted). Idempotent.
  Result<WriteResult> DeleteSourceRows(std::string_view bucket, std::string_view table,
                                       const std::string& source_key);

  // Shared by the ops files.
  // The bucket's engine, opened when needed. NOT_FOUND when the bucket does not exist or has
  // no engine.
  Result<std::shared_ptr<tables::Engine>> GetEngine(std::string_view bucket);
  // The catalog entry of `name`. NOT_FOUND naming the table and bucket.
  static Result<tables::TableMeta> FindTable(const tables::Engine& engine, std::string_view name);
  // meta.table with size_bytes measured (dbstat) on `db`.
  Result<Table> Describe(sqlite3* db, const tables::TableMeta& meta);
  uint32_t retention() const { return retention_; }

 private:
  std::string EnginePath(std::string_view bucket) const;
  Result<TableEngine> EngineInfo(const tables::Engine& engine);
  // Requires engines_mu_: closes the bucket's engine and removes its files.
  Status RemoveEngineLocked(std::string_view bucket);

  const std::string tables_dir_;
  const bool sync_full_;
  const uint32_t retention_;
  util::Logger logger_;
  BucketCheck bucket_check_;
  std::mutex engines_mu_;
  std::map<std::string, std::shared_ptr<tables::Engine>, std::less<>> engines_;
};

}  // namespace k3

#endif  // K3_TABLES_TABLE_IMPL_H_
