// tables/write_txn.cc: see write_txn.h.
#ifndef SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_SESSION
#endif
#ifndef SQLITE_ENABLE_PREUPDATE_HOOK
#define SQLITE_ENABLE_PREUPDATE_HOOK
#endif
#include "tables/write_txn.h"

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string>

#include "tables/sql_text.h"
#include "tables/sqlite_util.h"
#include "util/clock.h"

namespace k3::tables {

Status CountChanges(const std::string& changeset, uint64_t* changes, int64_t* row_delta) {
  *changes = 0;
  *row_delta = 0;
  if (changeset.empty()) return Status();
  if (const std::optional<uint64_t> appended = AppendedRows(changeset)) {
    *changes = *appended;
    *row_delta = static_cast<int64_t>(*appended);
    return Status();
  }
  sqlite3_changeset_iter* it = nullptr;
  int rc = sqlite3changeset_start(&it, static_cast<int>(changeset.size()),
                                  const_cast<char*>(changeset.data()));
  if (rc != SQLITE_OK) return k3::Internal("table engine: reading a changeset failed");
  while (sqlite3changeset_next(it) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0, op = 0, indirect = 0;
    sqlite3changeset_op(it, &table, &columns, &op, &indirect);
    ++*changes;
    if (op == SQLITE_INSERT) ++*row_delta;
    if (op == SQLITE_DELETE) --*row_delta;
  }
  rc = sqlite3changeset_finalize(it);
  if (rc != SQLITE_OK) return k3::Internal("table engine: reading a changeset failed");
  return Status();
}

WriteTxn::~WriteTxn() {
  tracked_.clear();  // sessions go before the rollback
  if (open_) (void)ExecInternal(conn_.db(), "ROLLBACK");
}

Status WriteTxn::Begin() {
  K3_RETURN_IF_ERROR(ExecInternal(conn_.db(), "BEGIN IMMEDIATE"));
  open_ = true;
  return Status();
}

Result<int64_t> WriteTxn::CountRows(std::string_view table) {
  K3_ASSIGN_OR_RETURN(Stmt s,
                      Stmt::Internal(conn_.db(), "SELECT count(*) FROM " + QuoteIdent(table)));
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Status WriteTxn::Track(const TableMeta& meta) {
  const std::string key = ToLower(meta.table.name);
  if (tracked_.count(key) > 0) return Status();
  Tracked t;
  t.meta = meta;
  if (meta.trackable) {
    K3_ASSIGN_OR_RETURN(t.capture, ChangeCapture::Begin(conn_.db(), meta.table.name));
  } else {
    K3_ASSIGN_OR_RETURN(t.count_before, CountRows(meta.table.name));
  }
  tracked_.emplace(key, std::move(t));
  return Status();
}

Status WriteTxn::TrackAppend(const TableMeta& meta, uint64_t max_rows) {
  const std::string key = ToLower(meta.table.name);
  if (tracked_.count(key) > 0) return Status();
  if (!meta.trackable || !meta.rowid_key || !meta.table.merge_keys.empty()) return Track(meta);
  Result<std::unique_ptr<ChangeCapture>> capture =
      ChangeCapture::BeginAppendOnly(conn_.db(), meta.table.name, max_rows);
  if (capture.status().code() == StatusCode::kFailedPrecondition) return Track(meta);
  K3_RETURN_IF_ERROR(capture.status());
  Tracked t;
  t.meta = meta;
  t.capture = std::move(capture).value();
  t.append_only = true;
  tracked_.emplace(key, std::move(t));
  return Status();
}

Status WriteTxn::TrackIfKnown(std::string_view name) {
  std::optional<TableMeta> meta = engine_.Find(name);
  if (!meta) return Status();
  return Track(*meta);
}

Status WriteTxn::BumpVersion(TableMeta* meta, std::string_view op, uint64_t rows, int64_t row_delta,
                             std::string_view changeset) {
  Table& t = meta->table;
  const uint64_t version = t.version + 1;
  const int64_t now = util::NowMs();
  K3_RETURN_IF_ERROR(
      AppendHistory(conn_.db(), t.name, version, op, rows, now, changeset, retention_));
  t.version = version;
  const int64_t count = static_cast<int64_t>(t.row_count) + row_delta;
  t.row_count = static_cast<uint64_t>(std::max<int64_t>(0, count));
  t.updated_at = now;
  K3_RETURN_IF_ERROR(SaveCatalogEntry(conn_.db(), *meta));
  touched_.push_back(t.name);
  return Status();
}

Result<std::map<std::string, WriteTxn::Outcome>> WriteTxn::Commit(std::string_view op,
                                                                  std::string_view main,
                                                                  uint64_t main_rows) {
  std::map<std::string, Outcome> out;
  const std::string main_key = ToLower(main);
  for (auto& [key, t] : tracked_) {
    std::string changeset;
    uint64_t changes = 0;
    int64_t delta = 0;
    if (t.capture != nullptr) {
      K3_ASSIGN_OR_RETURN(changeset, t.capture->Finish());
      t.capture.reset();
      K3_RETURN_IF_ERROR(CountChanges(changeset, &changes, &delta));
      if (t.append_only && key == main_key && main_rows != kRowsFromChangeset &&
          changes != main_rows) {
        return k3::Internal("table engine: the keys added to table \"" + t.meta.table.name +
                            "\" (" + std::to_string(changes) + ") do not match the rows written (" +
                            std::to_string(main_rows) + "); nothing was written");
      }
    } else {
      K3_ASSIGN_OR_RETURN(int64_t after, CountRows(t.meta.table.name));
      delta = after - t.count_before;
      changes = static_cast<uint64_t>(delta < 0 ? -delta : delta);
      t.meta.table.row_count = static_cast<uint64_t>(t.count_before);
    }
    const uint64_t rows = key == main_key && main_rows != kRowsFromChangeset ? main_rows : changes;
    Outcome o;
    o.version = t.meta.table.version;
    o.rows = rows;
    if (rows > 0 || !changeset.empty()) {
      K3_RETURN_IF_ERROR(BumpVersion(&t.meta, op, rows, delta, changeset));
      o.version = t.meta.table.version;
      o.changed = true;
    }
    out[key] = o;
  }
  K3_RETURN_IF_ERROR(FinishCommit());
  return out;
}

Status WriteTxn::CommitPlain() { return FinishCommit(); }

Status WriteTxn::FinishCommit() {
  tracked_.clear();
  Status committed = ExecInternal(conn_.db(), "COMMIT");
  if (!committed.ok()) return committed;  // the destructor rolls back
  open_ = false;
  // The transaction is durable; a failure to re-read the cache is reported but changes
  // nothing on disk.
  return engine_.Refresh(conn_.db(), touched_);
}

}  // namespace k3::tables
