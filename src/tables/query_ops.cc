// tables/query_ops.cc: TableService::Impl — query, query_cursor and execute; RowCursor.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include "tables/history.h"
#include "tables/sql_text.h"
#include "tables/sqlite_util.h"
#include "tables/table_impl.h"
#include "tables/types.h"
#include "tables/user_sql.h"
#include "tables/write_txn.h"
#include "util/clock.h"

namespace k3 {

using tables::Connection;
using tables::Engine;
using tables::QuoteIdent;
using tables::Stmt;
using tables::TableMeta;
using tables::ToLower;
using tables::UserSql;
using tables::WriteTxn;

namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsQueryWord(std::string_view w) {
  return w == "SELECT" || w == "WITH" || w == "VALUES" || w == "EXPLAIN" || w == "PRAGMA";
}

// Refuses the statements no call runs, with a message saying what to do instead.
Status RefuseStatement(std::string_view word) {
  if (word.empty()) return InvalidArgument("the SQL holds no statement");
  if (word == "BEGIN" || word == "COMMIT" || word == "END" || word == "ROLLBACK" ||
      word == "SAVEPOINT" || word == "RELEASE") {
    return InvalidArgument(std::string(word) +
                           ": transaction control is not allowed; each call runs as its own "
                           "transaction");
  }
  if (word == "ATTACH" || word == "DETACH") {
    return Status(StatusCode::kPermissionDenied,
                  std::string(word) + " is not allowed: a bucket's tables are its own database");
  }
  if (word == "VACUUM") return InvalidArgument("VACUUM is not allowed in SQL; use vacuum()");
  if (word == "ANALYZE" || word == "REINDEX") {
    return InvalidArgument(std::string(word) + " is not allowed in SQL; use optimize()");
  }
  return InvalidArgument(std::string(word) + " statements are not supported");
}

// The query text with its placeholders replaced: {table} by request.table_name and {alias}
// by each lookup table, quoted. NOT_FOUND for a table that does not exist.
Result<std::string> QueryText(const Engine& engine, const QueryRequest& request) {
  std::map<std::string, std::string> values;
  if (!request.table_name.empty()) {
    K3_ASSIGN_OR_RETURN(TableMeta meta, TableService::Impl::FindTable(engine, request.table_name));
    values["table"] = QuoteIdent(meta.table.name);
  }
  for (const auto& [alias, table] : request.lookup_tables) {
    Status valid = tables::ValidateColumnName(alias);  // the same identifier rules
    if (!valid.ok()) return InvalidArgument("lookup table alias \"" + alias + "\" is not a name");
    K3_ASSIGN_OR_RETURN(TableMeta meta, TableService::Impl::FindTable(engine, table));
    values[alias] = QuoteIdent(meta.table.name);
  }
  if (request.sql.find('{') == std::string::npos) return request.sql;
  return tables::SubstitutePlaceholders(request.sql, values);
}

Result<uint64_t> EffectiveLimit(int64_t limit) {
  if (limit < 0) return InvalidArgument("limit must not be negative");
  return static_cast<uint64_t>(limit == 0 ? tables::kDefaultRowLimit : limit);
}

// Prepares a read-only query on `reader` (inside the caller's UserSql scope) and binds it.
Result<Stmt> PrepareQuery(Engine::Reader& reader, std::string_view sql,
                          const std::vector<Value>& params) {
  const std::string word = tables::FirstWord(sql);
  if (!IsQueryWord(word)) {
    if (word == "INSERT" || word == "REPLACE" || word == "UPDATE" || word == "DELETE" ||
        word == "CREATE" || word == "DROP" || word == "ALTER") {
      return InvalidArgument("query is read-only: " + word +
                             " statements go through execute() or the write calls");
    }
    return RefuseStatement(word);
  }
  K3_ASSIGN_OR_RETURN(Stmt stmt, tables::PrepareUser(reader.conn(), sql, "query"));
  if (!sqlite3_stmt_readonly(stmt.get())) {
    return InvalidArgument("query is read-only, but this statement writes; use execute()");
  }
  K3_RETURN_IF_ERROR(tables::BindParams(stmt.get(), params));
  return stmt;
}

// Runs a prepared, bound query to the end or to `limit` rows.
Result<QueryResult> RunQuery(Engine& engine, Connection& conn, Stmt& stmt, uint64_t limit,
                             Clock::time_point start) {
  tables::ResultShape shape = tables::DescribeResult(stmt.get(), engine);
  QueryResult out;
  out.columns = shape.columns;
  std::vector<bool> typed = shape.typed;
  const size_t n = shape.columns.size();
  while (true) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return tables::SqliteStatus(conn.db(), rc, "query", conn.auth().denial);
    if (out.rows.size() >= limit) {
      out.truncated = true;
      break;
    }
    std::vector<Value> row;
    row.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      row.push_back(tables::ReadValue(stmt.get(), shape.statement_columns[i], out.columns[i].type));
      if (!typed[i] && row.back().index() != 0) {
        tables::InferType(&out.columns[i], row.back());
        typed[i] = true;
      }
    }
    out.rows.push_back(std::move(row));
  }
  out.row_count = out.rows.size();
  out.execution_time_ms = MillisSince(start);
  return out;
}

Result<bool> TableExists(sqlite3* db, std::string_view name) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db,
                                             "SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                                             "AND name = ?1 COLLATE NOCASE"));
  s.BindText(1, name);
  return s.Step();
}

struct SchemaColumn {
  std::string name;
  std::string declared;
  bool not_null = false;
  int pk = 0;
};

Result<std::vector<SchemaColumn>> ReadColumns(sqlite3* db, std::string_view table) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db,
                                             "SELECT name, type, \"notnull\", pk FROM "
                                             "pragma_table_xinfo(?1, 'main') WHERE hidden <> 1 "
                                             "ORDER BY cid"));
  s.BindText(1, table);
  std::vector<SchemaColumn> out;
  while (true) {
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), s.Text(1), s.Int(2) != 0, static_cast<int>(s.Int(3))});
  }
  return out;
}

Result<std::string> CanonicalName(sqlite3* db, std::string_view name) {
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(db,
                                             "SELECT name FROM sqlite_schema WHERE type = "
                                             "'table' AND name = ?1 COLLATE NOCASE"));
  s.BindText(1, name);
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("table \"" + std::string(name) + "\" does not exist");
  return s.Text(0);
}

// A catalog entry for a table a user created with SQL: K3 types from the declared types, the
// PRIMARY KEY as merge keys.
Result<TableMeta> CatalogEntryFor(sqlite3* db, const std::string& bucket, std::string_view name,
                                  uint32_t retention) {
  TableMeta meta;
  Table& t = meta.table;
  t.bucket = bucket;
  K3_ASSIGN_OR_RETURN(t.name, CanonicalName(db, name));
  K3_ASSIGN_OR_RETURN(std::vector<SchemaColumn> columns, ReadColumns(db, t.name));
  std::vector<std::pair<int, std::string>> pk;
  for (const SchemaColumn& c : columns) {
    Status valid = tables::ValidateColumnName(c.name);
    if (!valid.ok()) return valid;
    t.columns.push_back({c.name, tables::FromDeclaredType(c.declared), !c.not_null});
    if (c.pk > 0) pk.emplace_back(c.pk, c.name);
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [order, column] : pk) t.merge_keys.push_back(column);
  t.source = TableSource::kManual;
  t.created_at = t.updated_at = util::NowMs();
  // Trackable when history can record it (a usable PRIMARY KEY): ask it.
  meta.trackable = tables::ChangeCapture::Begin(db, t.name).ok();
  K3_ASSIGN_OR_RETURN(Stmt count, Stmt::Internal(db, "SELECT count(*) FROM " + QuoteIdent(t.name)));
  K3_ASSIGN_OR_RETURN(bool row, count.Step());
  t.row_count = row ? static_cast<uint64_t>(count.Int(0)) : 0;
  (void)retention;
  return meta;
}

// Brings the catalog columns of `meta` in line with the table after an ALTER TABLE: columns
// keep their K3 type by name (or by position when a column was renamed), new ones get the
// type of their declaration.
Status ResyncColumns(sqlite3* db, TableMeta* meta) {
  K3_ASSIGN_OR_RETURN(std::vector<SchemaColumn> columns, ReadColumns(db, meta->table.name));
  std::vector<Column> old = meta->table.columns;
  std::vector<SchemaColumn> user;
  for (SchemaColumn& c : columns) {
    if (!tables::IsK3Column(c.name)) user.push_back(std::move(c));
  }
  std::vector<Column> now;
  std::map<std::string, std::string> renamed;  // old lower-case name -> new name
  for (size_t i = 0; i < user.size(); ++i) {
    K3_RETURN_IF_ERROR(tables::ValidateColumnName(user[i].name));
    const SchemaColumn& c = user[i];
    auto same = std::find_if(old.begin(), old.end(), [&](const Column& o) {
      return tables::EqualsIgnoreCase(o.name, c.name);
    });
    Column col{c.name, tables::FromDeclaredType(c.declared), !c.not_null};
    if (same != old.end()) {
      col.type = same->type;
      col.nullable = same->nullable;
    } else if (user.size() == old.size()) {  // RENAME COLUMN
      col.type = old[i].type;
      col.nullable = old[i].nullable;
      renamed[ToLower(old[i].name)] = c.name;
    }
    now.push_back(std::move(col));
  }
  for (std::vector<std::string>* names :
       {&meta->table.merge_keys, &meta->table.partition_columns}) {
    for (std::string& n : *names) {
      auto it = renamed.find(ToLower(n));
      if (it != renamed.end()) n = it->second;
    }
  }
  meta->table.columns = std::move(now);
  return Status();
}

}  // namespace

// ---- RowCursor ----

RowCursor::Impl::Impl(tables::Engine::Reader reader, sqlite3_stmt* stmt,
                      std::vector<ResultColumn> columns, std::vector<int> kept,
                      std::vector<bool> typed, uint64_t limit)
    : reader_(std::move(reader)),
      stmt_(stmt),
      columns_(std::move(columns)),
      kept_(std::move(kept)),
      typed_(std::move(typed)),
      limit_(limit) {
  reader_.conn().auth().untrusted = true;  // re-preparing (after a schema change) stays fenced
}

RowCursor::Impl::~Impl() { sqlite3_finalize(stmt_); }  // the reader returns to the pool after

Result<bool> RowCursor::Impl::Step() {
  if (done_) return false;
  if (limit_ > 0 && delivered_ >= limit_) {
    done_ = true;
    return false;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE) {
    done_ = true;
    return false;
  }
  if (rc != SQLITE_ROW) {
    done_ = true;
    Connection& conn = reader_.conn();
    return tables::SqliteStatus(conn.db(), rc, "query", conn.auth().denial);
  }
  ReadRow();
  return true;
}

void RowCursor::Impl::ReadRow() {
  row_.clear();
  for (size_t i = 0; i < kept_.size(); ++i) {
    row_.push_back(tables::ReadValue(stmt_, kept_[i], columns_[i].type));
    if (!typed_[i] && row_.back().index() != 0) {
      tables::InferType(&columns_[i], row_.back());
      typed_[i] = true;
    }
  }
}

Status RowCursor::Impl::Prime() {
  K3_ASSIGN_OR_RETURN(bool row, Step());
  primed_row_ = row;
  return Status();
}

Result<bool> RowCursor::Impl::Next() {
  if (primed_row_) {
    primed_row_ = false;
    ++delivered_;
    return true;
  }
  K3_ASSIGN_OR_RETURN(bool row, Step());
  if (row) ++delivered_;
  return row;
}

// ---- query ----

Result<QueryResult> TableService::Impl::Query(const QueryRequest& request) {
  K3_ASSIGN_OR_RETURN(uint64_t limit, EffectiveLimit(request.limit));
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  K3_ASSIGN_OR_RETURN(std::string sql, QueryText(*engine, request));
  K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
  UserSql fence(reader.conn(), tables::StatementKind::kOther);
  const Clock::time_point start = Clock::now();
  K3_ASSIGN_OR_RETURN(Stmt stmt, PrepareQuery(reader, sql, request.params));
  return RunQuery(*engine, reader.conn(), stmt, limit, start);
}

Result<RowCursor> TableService::Impl::QueryCursor(const QueryRequest& request) {
  if (request.limit < 0) return InvalidArgument("limit must not be negative");
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  K3_ASSIGN_OR_RETURN(std::string sql, QueryText(*engine, request));
  K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
  Stmt stmt;
  {
    UserSql fence(reader.conn(), tables::StatementKind::kOther);
    K3_ASSIGN_OR_RETURN(stmt, PrepareQuery(reader, sql, request.params));
  }
  tables::ResultShape shape = tables::DescribeResult(stmt.get(), *engine);
  auto impl =
      std::make_unique<RowCursor::Impl>(std::move(reader), stmt.Release(), std::move(shape.columns),
                                        std::move(shape.statement_columns), std::move(shape.typed),
                                        static_cast<uint64_t>(request.limit));
  K3_RETURN_IF_ERROR(impl->Prime());
  return RowCursor(std::move(impl));
}

// ---- execute ----

Result<ExecuteResult> TableService::Impl::Execute(std::string_view bucket, std::string_view sql,
                                                  const std::vector<Value>& params) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  const std::string word = tables::FirstWord(sql);
  ExecuteResult out;
  const bool is_write =
      word == "INSERT" || word == "REPLACE" || word == "UPDATE" || word == "DELETE";
  const bool is_ddl = word == "CREATE" || word == "DROP" || word == "ALTER";
  if (!is_write && !is_ddl) {
    if (!IsQueryWord(word)) return RefuseStatement(word);
    // A query (or a WITH ... that turns out to write).
    K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
    UserSql fence(reader.conn(), tables::StatementKind::kOther);
    const Clock::time_point start = Clock::now();
    K3_ASSIGN_OR_RETURN(Stmt stmt, tables::PrepareUser(reader.conn(), sql, "execute"));
    if (sqlite3_stmt_readonly(stmt.get())) {
      K3_RETURN_IF_ERROR(tables::BindParams(stmt.get(), params));
      out.kind = ExecuteKind::kQuery;
      K3_ASSIGN_OR_RETURN(out.query,
                          RunQuery(*engine, reader.conn(), stmt, tables::kDefaultRowLimit, start));
      return out;
    }
    if (word != "WITH") return InvalidArgument("execute: " + word + " statement writes");
  }

  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  const tables::StatementKind kind = word == "CREATE" ? tables::StatementKind::kCreate
                                     : is_ddl         ? tables::StatementKind::kDropAlter
                                                      : tables::StatementKind::kOther;
  std::vector<std::string> writes;
  std::vector<tables::AuthState::Ddl> ddl;
  uint64_t rows = 0;
  {
    UserSql fence(writer.conn(), kind);
    K3_ASSIGN_OR_RETURN(Stmt stmt, tables::PrepareUser(writer.conn(), sql, "execute"));
    K3_RETURN_IF_ERROR(tables::BindParams(stmt.get(), params));
    writes = writer.conn().auth().writes;
    ddl = writer.conn().auth().ddl;
    fence.Trust();  // SQLite's own statements (and the session extension's) run unhindered
    if (!is_ddl) {
      for (const std::string& table : writes) K3_RETURN_IF_ERROR(txn.TrackIfKnown(table));
    }
    while (true) {
      const int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        return tables::SqliteStatus(writer.db(), rc, "execute", writer.conn().auth().denial);
      }
    }
    rows = static_cast<uint64_t>(sqlite3_changes64(writer.db()));
  }

  if (!is_ddl) {
    std::string main = writes.empty() ? std::string() : writes.front();
    if (std::optional<TableMeta> meta = engine->Find(main)) main = meta->table.name;
    K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("EXECUTE", main, rows));
    (void)outcome;
    out.kind = ExecuteKind::kWrite;
    out.rows_written = rows;
    out.noop = rows == 0;
    out.target_table = main;
    return out;
  }

  // DDL: keep the catalog in step with what the statement did.
  for (const tables::AuthState::Ddl& d : ddl) {
    if (d.op == "CREATE_TABLE") {
      K3_ASSIGN_OR_RETURN(bool exists, TableExists(writer.db(), d.target));
      if (!exists || engine->Find(d.target)) continue;  // IF NOT EXISTS on an existing table
      K3_ASSIGN_OR_RETURN(TableMeta meta,
                          CatalogEntryFor(writer.db(), std::string(bucket), d.target, retention_));
      K3_RETURN_IF_ERROR(tables::SaveCatalogEntry(writer.db(), meta));
      K3_RETURN_IF_ERROR(tables::AppendHistory(writer.db(), meta.table.name, 0, "CREATE",
                                               meta.table.row_count, meta.table.created_at, "",
                                               retention_));
      txn.Touch(meta.table.name);
    } else if (d.op == "CREATE_VIEW") {
      // A view must not open a way to k3's internal tables.
      UserSql fence(writer.conn(), tables::StatementKind::kOther);
      auto probe = tables::PrepareUser(writer.conn(), "SELECT * FROM " + QuoteIdent(d.target),
                                       "view \"" + d.target + "\"");
      if (!probe.ok()) return probe.status();
    } else if (d.op == "DROP_TABLE") {
      std::optional<TableMeta> meta = engine->Find(d.target);
      K3_ASSIGN_OR_RETURN(bool exists, TableExists(writer.db(), d.target));
      if (!meta || exists) continue;
      K3_RETURN_IF_ERROR(tables::DeleteCatalogEntry(writer.db(), meta->table.name));
      K3_RETURN_IF_ERROR(tables::DropHistory(writer.db(), meta->table.name));
      txn.Touch(meta->table.name);
    } else if (d.op == "ALTER_TABLE") {
      std::optional<TableMeta> meta = engine->Find(d.target);
      if (!meta) continue;
      K3_ASSIGN_OR_RETURN(bool exists, TableExists(writer.db(), meta->table.name));
      if (!exists) {
        return InvalidArgument(
            "ALTER TABLE ... RENAME TO is not supported (a table's history is kept under its "
            "name); create a new table and copy the rows instead");
      }
      K3_RETURN_IF_ERROR(ResyncColumns(writer.db(), &*meta));
      K3_RETURN_IF_ERROR(txn.BumpVersion(&*meta, "ALTER", 0, 0, ""));
    }
  }
  K3_RETURN_IF_ERROR(txn.CommitPlain());
  out.kind = ExecuteKind::kDdl;
  if (!ddl.empty()) {
    out.ddl_op = ddl.front().op;
    out.target_table = ddl.front().target;
    if (std::optional<TableMeta> meta = engine->Find(out.target_table)) {
      out.target_table = meta->table.name;
    }
  } else {
    std::vector<std::string> words = tables::LeadingWords(sql, 3);
    out.ddl_op = words.size() >= 2 ? words[0] + "_" + words[1] : word;
  }
  return out;
}

}  // namespace k3
