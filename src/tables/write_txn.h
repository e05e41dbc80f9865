// tables/write_txn.h: one write transaction on an engine's writer, as every k3 write runs:
//
//   WriteTxn txn(engine, writer.conn(), retention);
//   K3_RETURN_IF_ERROR(txn.Begin());                 // BEGIN IMMEDIATE
//   K3_RETURN_IF_ERROR(txn.Track(meta));             // ChangeCapture on each table written
//   ... the write's statements ...
//   K3_ASSIGN_OR_RETURN(auto out, txn.Commit("INSERT", meta.table.name, rows));
//
// Commit finishes every capture, gives each table that changed a new version with its history
// entry (history.h) and its catalog row (version, row count, updated_at), commits, and then
// refreshes the engine's catalog cache. A WriteTxn destroyed before Commit rolls back.
// Row counts: a tracked table's count moves by the inserts minus the deletes of its changeset;
// a table whose writes cannot be captured (no usable PRIMARY KEY) is recounted.
// Thread-safety: used by the thread holding the writer lock.
#ifndef K3_TABLES_WRITE_TXN_H_
#define K3_TABLES_WRITE_TXN_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tables/catalog.h"
#include "tables/engine.h"
#include "tables/history.h"

namespace k3::tables {

// The number of changes in `changeset` (a changeset or an append-only record, history.h) and
// what they do to the row count (inserts - deletes).
Status CountChanges(const std::string& changeset, uint64_t* changes, int64_t* row_delta);

class WriteTxn {
 public:
  WriteTxn(Engine& engine, Connection& conn, uint32_t retention)
      : engine_(engine), conn_(conn), retention_(retention) {}
  ~WriteTxn();
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  Status Begin();
  // Starts recording the writes to `meta`'s table (idempotent per table).
  Status Track(const TableMeta& meta);
  // Track() for a write whose only statements on the table are plain INSERTs of at most
  // `max_rows` rows that leave the key to SQLite (insert_rows on a table without merge keys).
  // On a table with k3's `_k3_rowid` key it records the range of keys added instead of a copy
  // of every row (ChangeCapture::BeginAppendOnly); otherwise, and when that capture is refused,
  // it is Track(). Commit fails (and the transaction rolls back) if the range does not hold
  // exactly the rows the write reports.
  Status TrackAppend(const TableMeta& meta, uint64_t max_rows);
  // Track() when `name` is in the catalog; nothing otherwise.
  Status TrackIfKnown(std::string_view name);

  // Records a new version of meta->table in the transaction: a history entry (op, rows,
  // changeset), then version + 1, row_count + row_delta and updated_at in `meta` and its
  // catalog row.
  Status BumpVersion(TableMeta* meta, std::string_view op, uint64_t rows, int64_t row_delta,
                     std::string_view changeset);
  // The cache entries to re-read after the commit (tables created, altered, dropped).
  void Touch(std::string name) { touched_.push_back(std::move(name)); }

  // As `main_rows` of Commit: report the main table's changeset's changes as its rows.
  static constexpr uint64_t kRowsFromChangeset = ~uint64_t{0};

  struct Outcome {
    uint64_t version = 0;  // the table's version after the commit
    bool changed = false;  // it got a new version
    uint64_t rows = 0;     // the rows recorded in its history entry
  };
  // Finishes the tracked tables (`main` reports `main_rows` affected rows; another tracked
  // table reports its changeset's changes), commits, refreshes the cache. A tracked table
  // with no rows affected gets no new version. Returns the outcome of each tracked table,
  // by lower-case name.
  Result<std::map<std::string, Outcome>> Commit(std::string_view op, std::string_view main,
                                                uint64_t main_rows);
  // Commits without tracked tables (DDL that only touched the catalog).
  Status CommitPlain();

  Connection& conn() { return conn_; }
  sqlite3* db() { return conn_.db(); }

 private:
  struct Tracked {
    TableMeta meta;
    std::unique_ptr<ChangeCapture> capture;  // null when the table is not trackable
    bool append_only = false;                // capture is a BeginAppendOnly one
    int64_t count_before = 0;                // untrackable tables: the count at Track()
  };
  Result<int64_t> CountRows(std::string_view table);
  Status FinishCommit();

  Engine& engine_;
  Connection& conn_;
  const uint32_t retention_;
  bool open_ = false;
  std::map<std::string, Tracked> tracked_;  // by lower-case name
  std::vector<std::string> touched_;
};

}  // namespace k3::tables

#endif  // K3_TABLES_WRITE_TXN_H_
