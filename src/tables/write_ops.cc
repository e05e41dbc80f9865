// tables/write_ops.cc: TableService::Impl — row writes (insert/upsert, merge, update, delete),
// history and restore, maintenance, materialization. Every write is one WriteTxn
// (write_txn.h): one transaction, one new version, one history entry.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tables/history.h"
#include "tables/sql_text.h"
#include "tables/sqlite_util.h"
#include "tables/table_impl.h"
#include "tables/types.h"
#include "tables/user_sql.h"
#include "tables/write_txn.h"
#include "util/clock.h"
#include "util/utf8.h"

namespace k3 {

using tables::Engine;
using tables::QuoteIdent;
using tables::Stmt;
using tables::TableMeta;
using tables::ToLower;
using tables::UserSql;
using tables::WriteTxn;

namespace {

std::string Label(size_t row) { return "row " + std::to_string(row); }

// Looks columns up by name (exactly, then case-insensitively).
class ColumnIndex {
 public:
  explicit ColumnIndex(const std::vector<Column>& columns) {
    for (size_t i = 0; i < columns.size(); ++i) {
      exact_.emplace(columns[i].name, static_cast<int>(i));
      lower_.emplace(ToLower(columns[i].name), static_cast<int>(i));
    }
  }
  int Find(const std::string& name) const {
    if (auto it = exact_.find(name); it != exact_.end()) return it->second;
    if (auto it = lower_.find(ToLower(name)); it != lower_.end()) return it->second;
    return -1;
  }
  // Find() for the `position`-th name of a row. Rows of one write usually name the same
  // columns (a Row is ordered by name, so in the same order): the answer for the previous
  // row's name at this position is reused when the name is the same.
  int FindAt(size_t position, const std::string& name) {
    if (position < recent_.size() && recent_[position].first == name) {
      return recent_[position].second;
    }
    const int i = Find(name);
    if (position >= recent_.size()) recent_.resize(position + 1);
    recent_[position] = {name, i};
    return i;
  }

 private:
  std::unordered_map<std::string, int> exact_;
  std::unordered_map<std::string, int> lower_;
  std::vector<std::pair<std::string, int>> recent_;  // by position in the row
};

// Whether a JSON text is valid for certain, by a strict RFC 8259 check that only answers true
// for texts nlohmann::json::accept (ToStored's check) also accepts: false for invalid texts
// and for the few it leaves to ToStored to decide (numbers with an exponent or more than 300
// integer digits, whose range nlohmann checks; \u escapes of surrogates, whose pairing it
// checks; nesting deeper than 256). Bytes of 0x80 and above are taken as they are (the
// caller checks UTF-8): `*ascii` says whether there were none.
bool SurelyValidJson(std::string_view s, bool* ascii) {
  unsigned char high = 0;  // the OR of the bytes inside strings
  size_t i = 0;
  const size_t n = s.size();
  auto skip_space = [&] {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  auto is_digit = [&](size_t at) { return at < n && s[at] >= '0' && s[at] <= '9'; };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // Scans the string starting at s[i] == '"'.
  auto string = [&]() -> bool {
    ++i;
    while (i < n) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        high |= c;
        ++i;
        continue;
      }
      if (++i >= n) return false;
      switch (s[i]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          ++i;
          break;
        case 'u': {
          if (i + 4 >= n) return false;
          int code = 0;
          for (size_t k = 1; k <= 4; ++k) {
            const int h = hex(s[i + k]);
            if (h < 0) return false;
            code = code * 16 + h;
          }
          if (code >= 0xD800 && code <= 0xDFFF) return false;
          i += 5;
          break;
        }
        default:
          return false;
      }
    }
    return false;
  };
  auto number = [&]() -> bool {
    if (s[i] == '-') ++i;
    if (!is_digit(i)) return false;
    const size_t int_start = i;
    if (s[i] == '0') {
      ++i;
    } else {
      while (is_digit(i)) ++i;
    }
    if (i - int_start > 300) return false;
    if (i < n && s[i] == '.') {
      ++i;
      if (!is_digit(i)) return false;
      while (is_digit(i)) ++i;
    }
    return !(i < n && (s[i] == 'e' || s[i] == 'E'));
  };
  auto literal = [&](std::string_view word) -> bool {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  };

  // Containers still open: '{' or '['.
  char stack[256];
  size_t depth = 0;
  while (true) {
    // A value.
    skip_space();
    if (i >= n) return false;
    bool scalar = true;
    switch (s[i]) {
      case '{':
      case '[': {
        if (depth == sizeof stack) return false;
        const char open = s[i++];
        skip_space();
        if (i < n && s[i] == (open == '{' ? '}' : ']')) {
          ++i;  // empty
          break;
        }
        stack[depth++] = open;
        scalar = false;
        if (open == '{') {
          if (i >= n || s[i] != '"' || !string()) return false;
          skip_space();
          if (i >= n || s[i] != ':') return false;
          ++i;
        }
        break;
      }
      case '"':
        if (!string()) return false;
        break;
      case 't':
        if (!literal("true")) return false;
        break;
      case 'f':
        if (!literal("false")) return false;
        break;
      case 'n':
        if (!literal("null")) return false;
        break;
      default:
        if (!number()) return false;
        break;
    }
    if (!scalar) continue;  // the container's first value comes next
    // After a value: close containers, or go on with the next member or element.
    while (true) {
      skip_space();
      if (depth == 0) {
        *ascii = high < 0x80;
        return i == n;
      }
      if (i >= n) return false;
      const char open = stack[depth - 1];
      if (s[i] == (open == '{' ? '}' : ']')) {
        ++i;
        --depth;
        continue;
      }
      if (s[i] != ',') return false;
      ++i;
      if (open == '{') {
        skip_space();
        if (i >= n || s[i] != '"' || !string()) return false;
        skip_space();
        if (i >= n || s[i] != ':') return false;
        ++i;
      }
      break;
    }
  }
}

// True when ToStored(column, value) would accept `value` and return it unchanged, decided
// without copying it, for the common values: NULL in a nullable column, an int64 for LONG, a
// double for FLOAT/DOUBLE, and strings for STRING, DATE, TIMESTAMP and JSON. Mirrors
// ToStored's checks for these cases (debug builds verify it); false means "ask ToStored".
bool StoredAsIs(const Column& column, const Value& value) {
  switch (value.index()) {
    case 0:
      return column.nullable;
    case 1:
      return column.type == ColumnType::kLong;
    case 2:
      return (column.type == ColumnType::kDouble || column.type == ColumnType::kFloat) &&
             !std::isnan(std::get<double>(value));
    case 3: {
      const std::string& s = std::get<std::string>(value);
      switch (column.type) {
        case ColumnType::kUnspecified:
        case ColumnType::kString:
          return util::IsValidUtf8(s);
        case ColumnType::kDate:
          return tables::IsValidDate(s);
        case ColumnType::kTimestamp:
          return tables::IsValidTimestamp(s);
        case ColumnType::kJson: {
          bool ascii = false;
          return SurelyValidJson(s, &ascii) && (ascii || util::IsValidUtf8(s));
        }
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

// One row validated against the table: value(i) is column i's value to store (the row's own
// value when it is stored as is, else ToStored's conversion), present[i] says whether the row
// names column i.
struct ConvertedRow {
  std::vector<const Value*> values;  // into the source row or `converted`
  std::vector<Value> converted;      // by column
  std::vector<bool> present;
  std::string signature;  // '1' / '0' per column: which columns the row names

  const Value& value(size_t c) const { return *values[c]; }
};

Status CheckRequired(const ConvertedRow& row, const std::vector<Column>& columns,
                     std::string_view label) {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!row.present[c] && !columns[c].nullable) {
      return InvalidArgument(std::string(label) + ": column \"" + columns[c].name +
                             "\" is required (it is not nullable)");
    }
  }
  return Status();
}

// Converts row `row_index` (named "row <row_index>" in errors). `out` refers to `row`'s
// values until `row` changes. `check_required`: refuse a row that lacks a non-nullable column
// (a row to insert).
Status ConvertRow(const Row& row, size_t row_index, const std::vector<Column>& columns,
                  ColumnIndex& index, bool check_required, ConvertedRow* out) {
  static const Value kNull;
  const size_t n = columns.size();
  out->values.assign(n, &kNull);
  out->converted.resize(n);
  for (Value& v : out->converted) {
    if (v.index() != 0) v = Value();
  }
  out->present.assign(n, false);
  out->signature.assign(n, '0');
  size_t position = 0;
  for (const auto& [name, value] : row) {
    const int i = index.FindAt(position++, name);
    if (i < 0) {
      return InvalidArgument(Label(row_index) + ": unknown column \"" + name + "\"");
    }
    const auto c = static_cast<size_t>(i);
    if (out->present[c]) {
      return InvalidArgument(Label(row_index) + ": column \"" + columns[c].name +
                             "\" is given twice");
    }
    if (StoredAsIs(columns[c], value)) {
#ifndef NDEBUG
      Result<Value> stored = tables::ToStored(columns[c], value, Label(row_index));
      assert(stored.ok() && *stored == value);
#endif
      out->values[c] = &value;
    } else {
      K3_ASSIGN_OR_RETURN(out->converted[c], tables::ToStored(columns[c], value, Label(row_index)));
      out->values[c] = &out->converted[c];
    }
    out->present[c] = true;
    out->signature[c] = '1';
  }
  if (!check_required) return Status();
  for (size_t c = 0; c < n; ++c) {
    if (!out->present[c] && !columns[c].nullable) {
      return CheckRequired(*out, columns, Label(row_index));
    }
  }
  return Status();
}

Status StepWrite(Stmt& stmt, std::string_view label, uint64_t* rows) {
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Status s = tables::SqliteStatus(stmt.db(), rc, label);
    sqlite3_reset(stmt.get());
    return s;
  }
  *rows += static_cast<uint64_t>(sqlite3_changes64(stmt.db()));
  sqlite3_reset(stmt.get());
  sqlite3_clear_bindings(stmt.get());
  return Status();
}

Result<Stmt> PrepareOwn(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return tables::SqliteStatus(db, rc, "preparing the write");
  }
  return Stmt(db, stmt);
}

std::string JoinQuoted(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteIdent(names[i]);
  }
  return out;
}

// Prepared statements of one write, by the set of columns a row names.
class StatementCache {
 public:
  template <typename Build>
  Result<Stmt*> Get(sqlite3* db, const std::string& key, Build build) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    K3_ASSIGN_OR_RETURN(Stmt stmt, PrepareOwn(db, build()));
    return &cache_.emplace(key, std::move(stmt)).first->second;
  }

 private:
  std::map<std::string, Stmt> cache_;
};

// INSERT of the named columns of a row, as an upsert on `conflict_keys` when not empty.
std::string InsertSql(const TableMeta& meta, const ConvertedRow& row,
                      const std::vector<std::string>& conflict_keys, bool with_source_key) {
  const std::vector<Column>& columns = meta.table.columns;
  std::string names, values, updates;
  int p = 0;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!row.present[c]) continue;
    if (p > 0) {
      names += ", ";
      values += ", ";
    }
    names += QuoteIdent(columns[c].name);
    values += "?" + std::to_string(++p);
    const bool is_key = std::find(conflict_keys.begin(), conflict_keys.end(), columns[c].name) !=
                        conflict_keys.end();
    if (!is_key) {
      if (!updates.empty()) updates += ", ";
      updates += QuoteIdent(columns[c].name) + " = excluded." + QuoteIdent(columns[c].name);
    }
  }
  if (with_source_key) {
    const std::string separator = p > 0 ? ", " : "";
    ++p;
    names += separator + QuoteIdent(tables::kSourceKeyColumn);
    values += separator + "?" + std::to_string(p);
  }
  std::string sql = "INSERT INTO " + QuoteIdent(meta.table.name);
  sql += p == 0 ? " DEFAULT VALUES" : " (" + names + ") VALUES (" + values + ")";
  if (!conflict_keys.empty() && p > 0) {
    sql += " ON CONFLICT (" + JoinQuoted(conflict_keys) + ") DO ";
    sql += updates.empty() ? "NOTHING" : "UPDATE SET " + updates;
  }
  return sql;
}

Status BindRow(Stmt& stmt, const ConvertedRow& row, int first) {
  int p = first;
  for (size_t c = 0; c < row.values.size(); ++c) {
    if (!row.present[c]) continue;
    const int rc = tables::BindValue(stmt.get(), p++, row.value(c));
    if (rc != SQLITE_OK) return tables::SqliteStatus(stmt.db(), rc, "binding a row");
  }
  return Status();
}

// Inserts (or, with conflict keys, upserts) `rows` inside the caller's transaction.
// `source_key`: a pipeline table's rows all get this object key in kSourceKeyColumn.
Status WriteInserts(sqlite3* db, const TableMeta& meta, const std::vector<Row>& rows,
                    const std::vector<std::string>& conflict_keys, uint64_t* written,
                    const std::string* source_key = nullptr) {
  ColumnIndex index(meta.table.columns);
  StatementCache cache;
  ConvertedRow row;
  for (size_t i = 0; i < rows.size(); ++i) {
    K3_RETURN_IF_ERROR(ConvertRow(rows[i], i, meta.table.columns, index, true, &row));
    K3_ASSIGN_OR_RETURN(Stmt * stmt, cache.Get(db, row.signature, [&] {
      return InsertSql(meta, row, conflict_keys, source_key != nullptr);
    }));
    // Every row binds every parameter of its statement: no bindings are cleared in between.
    K3_RETURN_IF_ERROR(BindRow(*stmt, row, 1));
    if (source_key != nullptr) {
      const int last = sqlite3_bind_parameter_count(stmt->get());
      // *source_key outlives the statement's step (SQLITE_STATIC binds without a copy).
      const int rc = sqlite3_bind_text(stmt->get(), last, source_key->data(),
                                       static_cast<int>(source_key->size()), SQLITE_STATIC);
      if (rc != SQLITE_OK) return tables::SqliteStatus(db, rc, "binding the source key");
    }
    const int rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      Status s = tables::SqliteStatus(db, rc, Label(i));
      sqlite3_reset(stmt->get());
      return s;
    }
    *written += static_cast<uint64_t>(sqlite3_changes64(db));
    sqlite3_reset(stmt->get());
  }
  return Status();
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

uint64_t EngineBytes(const Engine& engine) {
  return FileSize(engine.path()) + FileSize(engine.path() + "-wal");
}

// Runs user-predicate SQL built by k3 (`sql` ends in the user's WHERE) inside the caller's
// transaction: prepared fenced, tables it writes besides `meta`'s tracked, run trusted.
// `first_user_param` is the position of the user's $1 in `sql`.
Status RunPredicateWrite(Engine& engine, WriteTxn& txn, const std::string& sql,
                         std::string_view context, const std::vector<Value>& set_values,
                         const std::vector<Value>& params, uint64_t* rows) {
  UserSql fence(txn.conn(), tables::StatementKind::kOther);
  K3_ASSIGN_OR_RETURN(Stmt stmt, tables::PrepareUser(txn.conn(), sql, context));
  const std::vector<std::string> writes = txn.conn().auth().writes;
  fence.Trust();
  for (const std::string& table : writes) K3_RETURN_IF_ERROR(txn.TrackIfKnown(table));
  int p = 1;
  for (const Value& v : set_values) tables::BindValue(stmt.get(), p++, v);
  for (const Value& v : params) tables::BindValue(stmt.get(), p++, v);
  return StepWrite(stmt, context, rows);
}

// `where` with its parameters renumbered after `offset` k3 parameters; checks the count.
Result<std::string> UserPredicate(std::string_view where, int offset,
                                  const std::vector<Value>& params) {
  int count = 0;
  K3_ASSIGN_OR_RETURN(std::string sql, tables::RenumberParameters(where, offset, &count));
  if (static_cast<size_t>(count) != params.size()) {
    return InvalidArgument("the predicate takes " + std::to_string(count) + " parameter" +
                           (count == 1 ? "" : "s") + " but " + std::to_string(params.size()) +
                           (params.size() == 1 ? " was" : " were") + " given");
  }
  return sql;
}

}  // namespace

// ---- writes ----

Result<WriteResult> TableService::Impl::InsertRows(std::string_view bucket, std::string_view table,
                                                   const std::vector<Row>& rows) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
  if (rows.empty()) return WriteResult{0, meta.table.version};
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  // Without merge keys every statement is a plain INSERT that leaves the key to SQLite.
  K3_RETURN_IF_ERROR(meta.table.merge_keys.empty() ? txn.TrackAppend(meta, rows.size())
                                                   : txn.Track(meta));
  uint64_t written = 0;
  K3_RETURN_IF_ERROR(WriteInserts(writer.db(), meta, rows, meta.table.merge_keys, &written));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("INSERT", meta.table.name, written));
  return WriteResult{written, outcome[ToLower(meta.table.name)].version};
}

Result<WriteResult> TableService::Impl::Merge(const MergeRequest& request) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, request.table_name));
  const std::vector<Column>& columns = meta.table.columns;
  ColumnIndex index(columns);
  std::vector<std::string> match;
  std::vector<size_t> match_idx;
  for (const std::string& m :
       request.match_columns.empty() ? meta.table.merge_keys : request.match_columns) {
    const int i = index.Find(m);
    if (i < 0) {
      return InvalidArgument("merge: match column \"" + m + "\" is not a column of table \"" +
                             meta.table.name + "\"");
    }
    if (std::find(match_idx.begin(), match_idx.end(), static_cast<size_t>(i)) != match_idx.end()) {
      return InvalidArgument("merge: match column \"" + m + "\" is listed twice");
    }
    match.push_back(columns[static_cast<size_t>(i)].name);
    match_idx.push_back(static_cast<size_t>(i));
  }
  if (match.empty()) {
    return InvalidArgument("merge: table \"" + meta.table.name +
                           "\" has no merge keys; give match_columns");
  }
  if (request.rows.empty()) return WriteResult{0, meta.table.version};

  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  uint64_t written = 0;
  std::vector<std::string> sorted_match = match, sorted_keys = meta.table.merge_keys;
  std::sort(sorted_match.begin(), sorted_match.end());
  std::sort(sorted_keys.begin(), sorted_keys.end());
  if (sorted_match == sorted_keys && request.when_matched == WhenMatched::kUpdate &&
      request.when_not_matched == WhenNotMatched::kInsert) {
    // Matching on the merge keys (the PRIMARY KEY): one upsert per row.
    K3_RETURN_IF_ERROR(WriteInserts(writer.db(), meta, request.rows, match, &written));
  } else {
    std::string where;
    for (size_t k = 0; k < match.size(); ++k) {
      if (k > 0) where += " AND ";
      where += QuoteIdent(match[k]) + " = ?" + std::to_string(k + 1);
    }
    StatementCache updates, inserts;
    Stmt probe, remove;
    ConvertedRow row;
    for (size_t i = 0; i < request.rows.size(); ++i) {
      const std::string label = Label(i);
      K3_RETURN_IF_ERROR(ConvertRow(request.rows[i], i, columns, index, false, &row));
      for (size_t k = 0; k < match.size(); ++k) {
        if (!row.present[match_idx[k]] || row.value(match_idx[k]).index() == 0) {
          return InvalidArgument(label + ": match column \"" + match[k] + "\" needs a value");
        }
      }
      auto bind_match = [&](Stmt& stmt) {
        for (size_t k = 0; k < match.size(); ++k) {
          tables::BindValue(stmt.get(), static_cast<int>(k + 1), row.value(match_idx[k]));
        }
      };
      bool matched = false;
      if (request.when_matched == WhenMatched::kDelete) {
        if (!remove) {
          K3_ASSIGN_OR_RETURN(
              remove, PrepareOwn(writer.db(),
                                 "DELETE FROM " + QuoteIdent(meta.table.name) + " WHERE " + where));
        }
        bind_match(remove);
        uint64_t n = 0;
        K3_RETURN_IF_ERROR(StepWrite(remove, label, &n));
        matched = n > 0;
        written += n;
      } else {
        std::string set;
        int p = static_cast<int>(match.size());
        for (size_t c = 0; c < columns.size(); ++c) {
          if (!row.present[c] ||
              std::find(match_idx.begin(), match_idx.end(), c) != match_idx.end()) {
            continue;
          }
          if (!set.empty()) set += ", ";
          set += QuoteIdent(columns[c].name) + " = ?" + std::to_string(++p);
        }
        if (set.empty()) {
          if (!probe) {
            K3_ASSIGN_OR_RETURN(
                probe, PrepareOwn(writer.db(), "SELECT 1 FROM " + QuoteIdent(meta.table.name) +
                                                   " WHERE " + where + " LIMIT 1"));
          }
          bind_match(probe);
          const int rc = sqlite3_step(probe.get());
          if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return tables::SqliteStatus(writer.db(), rc, label);
          }
          matched = rc == SQLITE_ROW;
          sqlite3_reset(probe.get());
        } else {
          std::string key = row.signature;
          K3_ASSIGN_OR_RETURN(Stmt * update, updates.Get(writer.db(), key, [&] {
            return "UPDATE " + QuoteIdent(meta.table.name) + " SET " + set + " WHERE " + where;
          }));
          bind_match(*update);
          p = static_cast<int>(match.size());
          for (size_t c = 0; c < columns.size(); ++c) {
            if (!row.present[c] ||
                std::find(match_idx.begin(), match_idx.end(), c) != match_idx.end()) {
              continue;
            }
            tables::BindValue(update->get(), ++p, row.value(c));
          }
          uint64_t n = 0;
          K3_RETURN_IF_ERROR(StepWrite(*update, label, &n));
          matched = n > 0;
          written += n;
        }
      }
      if (!matched && request.when_not_matched == WhenNotMatched::kInsert) {
        K3_RETURN_IF_ERROR(CheckRequired(row, columns, label));
        K3_ASSIGN_OR_RETURN(Stmt * insert, inserts.Get(writer.db(), row.signature, [&] {
          return InsertSql(meta, row, {}, false);
        }));
        K3_RETURN_IF_ERROR(BindRow(*insert, row, 1));
        K3_RETURN_IF_ERROR(StepWrite(*insert, label, &written));
      }
    }
  }
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("MERGE", meta.table.name, written));
  return WriteResult{written, outcome[ToLower(meta.table.name)].version};
}

Result<WriteResult> TableService::Impl::UpdateRows(const UpdateRowsRequest& request) {
  if (request.set.empty()) return InvalidArgument("update_rows: `set` names no column");
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, request.table_name));
  const ColumnIndex index(meta.table.columns);
  std::string set;
  std::vector<Value> values;
  for (const auto& [name, value] : request.set) {
    const int i = index.Find(name);
    if (i < 0) return InvalidArgument("set: unknown column \"" + name + "\"");
    const Column& column = meta.table.columns[static_cast<size_t>(i)];
    K3_ASSIGN_OR_RETURN(Value stored, tables::ToStored(column, value, "set"));
    values.push_back(std::move(stored));
    if (!set.empty()) set += ", ";
    set += QuoteIdent(column.name) + " = ?" + std::to_string(values.size());
  }
  const std::string where = tables::IsTrivia(request.where) ? "1=1" : request.where;
  K3_ASSIGN_OR_RETURN(std::string predicate,
                      UserPredicate(where, static_cast<int>(values.size()), request.params));
  const std::string sql =
      "UPDATE " + QuoteIdent(meta.table.name) + " SET " + set + " WHERE (" + predicate + "\n)";
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  uint64_t rows = 0;
  K3_RETURN_IF_ERROR(
      RunPredicateWrite(*engine, txn, sql, "update_rows", values, request.params, &rows));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("UPDATE", meta.table.name, rows));
  return WriteResult{rows, outcome[ToLower(meta.table.name)].version};
}

Result<WriteResult> TableService::Impl::DeleteRows(const DeleteRowsRequest& request) {
  if (tables::IsTrivia(request.where)) {
    return InvalidArgument("delete_rows: `where` is required (use \"1=1\" to delete every row)");
  }
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(request.bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, request.table_name));
  K3_ASSIGN_OR_RETURN(std::string predicate, UserPredicate(request.where, 0, request.params));
  const std::string sql =
      "DELETE FROM " + QuoteIdent(meta.table.name) + " WHERE (" + predicate + "\n)";
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  uint64_t rows = 0;
  K3_RETURN_IF_ERROR(
      RunPredicateWrite(*engine, txn, sql, "delete_rows", {}, request.params, &rows));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("DELETE", meta.table.name, rows));
  return WriteResult{rows, outcome[ToLower(meta.table.name)].version};
}

// ---- history ----

Result<std::vector<HistoryEntry>> TableService::Impl::History(std::string_view bucket,
                                                              std::string_view table) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
  K3_ASSIGN_OR_RETURN(Engine::Reader reader, engine->AcquireReader());
  return tables::ReadHistory(reader.db(), meta.table.name);
}

Result<WriteResult> TableService::Impl::Restore(std::string_view bucket, std::string_view table,
                                                uint64_t version) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
  if (version > meta.table.version) {
    return OutOfRange("cannot restore table \"" + meta.table.name + "\" to version " +
                      std::to_string(version) + ": its latest version is " +
                      std::to_string(meta.table.version));
  }
  if (version == meta.table.version) return WriteResult{0, version};
  if (!meta.trackable) {
    return FailedPrecondition("table \"" + meta.table.name +
                              "\" has no usable PRIMARY KEY, so its history records versions "
                              "but not rows; it cannot be restored");
  }
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  K3_RETURN_IF_ERROR(tables::RevertTo(writer.db(), meta.table.name, version));
  K3_ASSIGN_OR_RETURN(auto outcome,
                      txn.Commit("RESTORE", meta.table.name, WriteTxn::kRowsFromChangeset));
  const WriteTxn::Outcome& o = outcome[ToLower(meta.table.name)];
  const uint64_t rows = o.rows;
  return WriteResult{rows, o.version};
}

// ---- maintenance ----

Result<MaintenanceResult> TableService::Impl::Optimize(std::string_view bucket,
                                                       std::string_view table) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  MaintenanceResult out;
  out.operation = "OPTIMIZE";
  std::string sql = "ANALYZE";
  if (!table.empty()) {
    K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
    sql += " " + QuoteIdent(meta.table.name);
    out.detail = "analyzed table \"" + meta.table.name + "\"";
  } else {
    out.detail = "analyzed every table";
  }
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), sql, "optimize"));
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), "PRAGMA optimize", "optimize"));
  return out;
}

Result<MaintenanceResult> TableService::Impl::Vacuum(std::string_view bucket) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  const uint64_t before = EngineBytes(*engine);
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), "VACUUM", "vacuum"));
  // The rewritten pages sit in the WAL until a checkpoint; fold them in where no reader
  // prevents it.
  (void)tables::ExecMapped(writer.db(), "PRAGMA wal_checkpoint(TRUNCATE)", "vacuum");
  const uint64_t after = EngineBytes(*engine);
  MaintenanceResult out;
  out.operation = "VACUUM";
  out.detail = "database and WAL: " + std::to_string(before) + " -> " + std::to_string(after) +
               " bytes (" + std::to_string(before > after ? before - after : 0) + " reclaimed)";
  return out;
}

Result<MaintenanceResult> TableService::Impl::Compact(std::string_view bucket) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  const uint64_t wal_before = FileSize(engine->path() + "-wal");
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(writer.db(), "PRAGMA wal_checkpoint(TRUNCATE)"));
  K3_ASSIGN_OR_RETURN(bool row, s.Step());
  MaintenanceResult out;
  out.operation = "COMPACT";
  const bool busy = row && s.Int(0) != 0;
  const int64_t frames = row ? s.Int(1) : 0, done = row ? s.Int(2) : 0;
  out.ok = !busy;
  out.detail = busy ? "readers kept part of the WAL in use: checkpointed " + std::to_string(done) +
                          " of " + std::to_string(frames) + " frames; try again"
                    : "checkpointed the WAL (" + std::to_string(wal_before) +
                          " bytes) into the database and truncated it";
  return out;
}

Result<MaintenanceResult> TableService::Impl::IntegrityCheck(std::string_view bucket) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(Stmt s, Stmt::Internal(writer.db(), "PRAGMA integrity_check"));
  MaintenanceResult out;
  out.operation = "INTEGRITY_CHECK";
  std::vector<std::string> lines;
  while (true) {
    K3_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    lines.push_back(s.Text(0));
  }
  out.ok = lines.size() == 1 && lines[0] == "ok";
  for (const std::string& line : lines) {
    if (!out.detail.empty()) out.detail += "; ";
    out.detail += line;
  }
  return out;
}

// ---- materialization ----

Result<Table> TableService::Impl::Materialize(std::string_view bucket,
                                              std::string_view source_table, std::string_view name,
                                              std::string_view sql) {
  K3_RETURN_IF_ERROR(tables::ValidateTableName(name));
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta source, FindTable(*engine, source_table));
  if (engine->Find(name)) {
    return AlreadyExists("table \"" + std::string(name) + "\" in bucket \"" + std::string(bucket) +
                         "\" already exists");
  }
  K3_ASSIGN_OR_RETURN(std::string text, tables::SubstitutePlaceholders(
                                            sql, {{"table", QuoteIdent(source.table.name)}}));
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());

  // The query's columns become the table's.
  TableMeta meta;
  Table& t = meta.table;
  {
    UserSql fence(writer.conn(), tables::StatementKind::kOther);
    const std::string word = tables::FirstWord(text);
    if (word != "SELECT" && word != "WITH" && word != "VALUES") {
      return InvalidArgument("materialize: the definition must be a query (SELECT ...)");
    }
    K3_ASSIGN_OR_RETURN(Stmt stmt, tables::PrepareUser(writer.conn(), text, "materialize"));
    if (!sqlite3_stmt_readonly(stmt.get())) {
      return InvalidArgument("materialize: the definition must be a read-only query");
    }
    if (sqlite3_bind_parameter_count(stmt.get()) > 0) {
      return InvalidArgument("materialize: the definition cannot take parameters");
    }
    tables::ResultShape shape = tables::DescribeResult(stmt.get(), *engine);
    const int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return tables::SqliteStatus(writer.db(), rc, "materialize", writer.conn().auth().denial);
    }
    for (size_t i = 0; i < shape.columns.size(); ++i) {
      ResultColumn& rc_col = shape.columns[i];
      if (!shape.typed[i] && rc == SQLITE_ROW) {
        tables::InferType(&rc_col, tables::ReadValue(stmt.get(), shape.statement_columns[i],
                                                     ColumnType::kString));
      }
      Status valid = tables::ValidateColumnName(rc_col.name);
      if (!valid.ok()) {
        return InvalidArgument("materialize: result column " + std::to_string(i + 1) + " (\"" +
                               rc_col.name + "\") is not a valid column name; name it with AS (" +
                               valid.message() + ")");
      }
      for (const Column& c : t.columns) {
        if (tables::EqualsIgnoreCase(c.name, rc_col.name)) {
          return InvalidArgument("materialize: two result columns are named \"" + rc_col.name +
                                 "\"; name them apart with AS");
        }
      }
      t.columns.push_back({rc_col.name, rc_col.type, true});
    }
    if (t.columns.empty()) return InvalidArgument("materialize: the query has no columns");
  }
  t.bucket = std::string(bucket);
  t.name = std::string(name);
  t.description = "materialized from \"" + source.table.name + "\"";
  t.source = TableSource::kMaterialized;
  t.materialized_sql = std::string(sql);
  t.created_at = t.updated_at = util::NowMs();
  meta.materialized_from = source.table.name;
  meta.rowid_key = true;
  meta.trackable = true;

  // Values are stored as the query yields them (STRICT ANY); the catalog keeps their K3 types.
  std::vector<std::string> names;
  std::string ddl = "CREATE TABLE " + QuoteIdent(t.name) + " (" + QuoteIdent(tables::kRowIdColumn) +
                    " INTEGER PRIMARY KEY";
  for (const Column& c : t.columns) {
    ddl += ", " + QuoteIdent(c.name) + " ANY";
    names.push_back(c.name);
  }
  ddl += ") STRICT";
  K3_RETURN_IF_ERROR(tables::ExecMapped(writer.db(), ddl, "materialize"));
  K3_RETURN_IF_ERROR(tables::SaveCatalogEntry(writer.db(), meta));
  K3_RETURN_IF_ERROR(
      tables::AppendHistory(writer.db(), t.name, 0, "CREATE", 0, t.created_at, "", retention_));
  txn.Touch(t.name);
  K3_RETURN_IF_ERROR(txn.Track(meta));
  uint64_t rows = 0;
  const std::string fill = "INSERT INTO " + QuoteIdent(t.name) + " (" + JoinQuoted(names) +
                           ") SELECT " + JoinQuoted(names) + " FROM (" + text + "\n)";
  K3_RETURN_IF_ERROR(RunPredicateWrite(*engine, txn, fill, "materialize", {}, {}, &rows));
  K3_RETURN_IF_ERROR(txn.Commit("REFRESH", t.name, rows).status());
  K3_ASSIGN_OR_RETURN(TableMeta saved, FindTable(*engine, t.name));
  return Describe(writer.db(), saved);
}

Result<WriteResult> TableService::Impl::Refresh(std::string_view bucket, std::string_view name) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, name));
  if (meta.table.source != TableSource::kMaterialized) {
    return FailedPrecondition("table \"" + meta.table.name + "\" is not materialized");
  }
  std::optional<TableMeta> source = engine->Find(meta.materialized_from);
  if (!source) {
    return FailedPrecondition("the source table \"" + meta.materialized_from + "\" of \"" +
                              meta.table.name + "\" no longer exists");
  }
  K3_ASSIGN_OR_RETURN(std::string text,
                      tables::SubstitutePlaceholders(meta.table.materialized_sql,
                                                     {{"table", QuoteIdent(source->table.name)}}));
  std::vector<std::string> names;
  for (const Column& c : meta.table.columns) names.push_back(c.name);
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  K3_RETURN_IF_ERROR(
      tables::ExecMapped(writer.db(), "DELETE FROM " + QuoteIdent(meta.table.name), "refresh"));
  uint64_t rows = 0;
  const std::string fill = "INSERT INTO " + QuoteIdent(meta.table.name) + " (" + JoinQuoted(names) +
                           ") SELECT " + JoinQuoted(names) + " FROM (" + text + "\n)";
  K3_RETURN_IF_ERROR(RunPredicateWrite(*engine, txn, fill, "refresh", {}, {}, &rows));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("REFRESH", meta.table.name, rows));
  return WriteResult{rows, outcome[ToLower(meta.table.name)].version};
}

namespace {

Status RequirePipelineTable(const TableMeta& meta) {
  if (meta.table.source == TableSource::kPipeline) return Status();
  return FailedPrecondition("table \"" + meta.table.name +
                            "\" was not created by a pipeline; a pipeline writes only its own "
                            "tables");
}

// Deletes the rows of `source_key` inside the caller's transaction (the table is tracked).
Status DeleteSourceRowsIn(sqlite3* db, const TableMeta& meta, const std::string& source_key,
                          uint64_t* deleted) {
  K3_ASSIGN_OR_RETURN(Stmt del,
                      Stmt::Internal(db, "DELETE FROM " + QuoteIdent(meta.table.name) + " WHERE " +
                                             QuoteIdent(tables::kSourceKeyColumn) + " = ?1"));
  del.BindText(1, source_key);
  K3_RETURN_IF_ERROR(del.Run());
  *deleted = static_cast<uint64_t>(sqlite3_changes64(db));
  return Status();
}

}  // namespace

Result<WriteResult> TableService::Impl::WriteSourceRows(std::string_view bucket,
                                                        std::string_view table,
                                                        const std::string& source_key,
                                                        const std::vector<Row>& rows,
                                                        bool replace) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
  K3_RETURN_IF_ERROR(RequirePipelineTable(meta));
  bool had_rows = false;
  if (replace) {
    K3_ASSIGN_OR_RETURN(
        Stmt probe,
        Stmt::Internal(writer.db(), "SELECT 1 FROM " + QuoteIdent(meta.table.name) + " WHERE " +
                                        QuoteIdent(tables::kSourceKeyColumn) + " = ?1 LIMIT 1"));
    probe.BindText(1, source_key);
    K3_ASSIGN_OR_RETURN(had_rows, probe.Step());
  }
  if (rows.empty() && !had_rows) return WriteResult{0, meta.table.version};
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  uint64_t deleted = 0;
  if (had_rows) {
    K3_RETURN_IF_ERROR(txn.Track(meta));
    K3_RETURN_IF_ERROR(DeleteSourceRowsIn(writer.db(), meta, source_key, &deleted));
  } else {
    K3_RETURN_IF_ERROR(meta.table.merge_keys.empty() ? txn.TrackAppend(meta, rows.size())
                                                     : txn.Track(meta));
  }
  uint64_t written = 0;
  K3_RETURN_IF_ERROR(
      WriteInserts(writer.db(), meta, rows, meta.table.merge_keys, &written, &source_key));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit(had_rows ? "REPLACE" : "INSERT", meta.table.name,
                                               had_rows ? WriteTxn::kRowsFromChangeset : written));
  return WriteResult{written, outcome[ToLower(meta.table.name)].version};
}

Result<WriteResult> TableService::Impl::DeleteSourceRows(std::string_view bucket,
                                                         std::string_view table,
                                                         const std::string& source_key) {
  K3_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, GetEngine(bucket));
  K3_ASSIGN_OR_RETURN(Engine::WriterLock writer, engine->LockWriter());
  K3_ASSIGN_OR_RETURN(TableMeta meta, FindTable(*engine, table));
  K3_RETURN_IF_ERROR(RequirePipelineTable(meta));
  WriteTxn txn(*engine, writer.conn(), retention_);
  K3_RETURN_IF_ERROR(txn.Begin());
  K3_RETURN_IF_ERROR(txn.Track(meta));
  uint64_t deleted = 0;
  K3_RETURN_IF_ERROR(DeleteSourceRowsIn(writer.db(), meta, source_key, &deleted));
  K3_ASSIGN_OR_RETURN(auto outcome, txn.Commit("DELETE", meta.table.name, deleted));
  return WriteResult{deleted, outcome[ToLower(meta.table.name)].version};
}

}  // namespace k3
