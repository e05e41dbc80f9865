// tables/user_sql.cc: see user_sql.h.
#include "tables/user_sql.h"

#include <algorithm>
#include <cstdlib>

#include "tables/sql_text.h"
#include "tables/types.h"

namespace k3::tables {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

Result<Stmt> PrepareUser(Connection& conn, std::string_view sql, std::string_view context) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v3(conn.db(), sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteStatus(conn.db(), rc, context, conn.auth().denial);
  }
  Stmt out(conn.db(), stmt);
  if (stmt == nullptr)
    return InvalidArgument(std::string(context) + ": the SQL holds no statement");
  const size_t used = tail == nullptr ? sql.size() : static_cast<size_t>(tail - sql.data());
  if (!IsTrivia(sql.substr(used))) {
    return InvalidArgument(std::string(context) +
                           ": exactly one SQL statement per call is allowed, but more follows "
                           "the first one");
  }
  return out;
}

Status BindParams(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  const int count = sqlite3_bind_parameter_count(stmt);
  std::vector<int> position(static_cast<size_t>(count) + 1, 0);
  int needed = 0;
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    int p = i;
    if (name != nullptr) {
      std::string_view n(name);
      if ((n[0] == '?' || n[0] == '$') && AllDigits(n.substr(1)) && n.size() <= 7) {
        p = std::atoi(name + 1);
      } else {
        return InvalidArgument("named parameter " + std::string(n) +
                               " is not supported; use positional parameters ($1, $2, ... or ?)");
      }
    }
    if (p < 1) return InvalidArgument("parameters are numbered from 1 ($1, ?1)");
    position[static_cast<size_t>(i)] = p;
    needed = std::max(needed, p);
  }
  if (static_cast<size_t>(needed) != params.size()) {
    return InvalidArgument(
        "the statement takes " + Plural(static_cast<size_t>(needed), "parameter") + " but " +
        std::to_string(params.size()) + (params.size() == 1 ? " was" : " were") + " given");
  }
  for (int i = 1; i <= count; ++i) {
    const int rc =
        BindValue(stmt, i, params[static_cast<size_t>(position[static_cast<size_t>(i)] - 1)]);
    if (rc != SQLITE_OK) return SqliteStatus(sqlite3_db_handle(stmt), rc, "binding parameters");
  }
  return Status();
}

ResultShape DescribeResult(sqlite3_stmt* stmt, const Engine& engine) {
  ResultShape shape;
  const int count = sqlite3_column_count(stmt);
  for (int i = 0; i < count; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    const char* table = sqlite3_column_table_name(stmt, i);
    const char* origin = sqlite3_column_origin_name(stmt, i);
    const char* declared = sqlite3_column_decltype(stmt, i);
    const std::string_view column_name = name != nullptr ? name : "";
    const bool is_rowid = origin != nullptr && EqualsIgnoreCase(origin, kRowIdColumn);
    // SELECT *: k3's own columns stay hidden (an alias shows them).
    if (origin != nullptr && IsK3Column(origin) && column_name == origin) continue;
    ResultColumn column;
    column.name = std::string(column_name);
    bool typed = false;
    if (is_rowid) {
      column.type = ColumnType::kLong;
      typed = true;
    } else if (table != nullptr && origin != nullptr) {
      if (std::optional<TableMeta> meta = engine.Find(table)) {
        for (const Column& c : meta->table.columns) {
          if (EqualsIgnoreCase(c.name, origin)) {
            column.type = c.type;
            typed = true;
            break;
          }
        }
      }
    }
    if (!typed && declared != nullptr && *declared != '\0' && !EqualsIgnoreCase(declared, "ANY")) {
      column.type = FromDeclaredType(declared);
      typed = true;
    }
    if (!typed) column.type = ColumnType::kString;
    shape.columns.push_back(std::move(column));
    shape.statement_columns.push_back(i);
    shape.typed.push_back(typed);
  }
  return shape;
}

void InferType(ResultColumn* column, const Value& value) {
  switch (value.index()) {
    case 1:
      column->type = ColumnType::kLong;
      break;
    case 2:
      column->type = ColumnType::kDouble;
      break;
    case 3:
      column->type = ColumnType::kString;
      break;
    case 4:
      column->type = ColumnType::kBinary;
      break;
    case 5:
      column->type = ColumnType::kBoolean;
      break;
    default:
      break;
  }
}

std::string FirstWord(std::string_view sql) {
  std::vector<std::string> words = LeadingWords(sql, 1);
  return words.empty() ? std::string() : words[0];
}

}  // namespace k3::tables
