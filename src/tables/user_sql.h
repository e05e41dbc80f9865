// tables/user_sql.h: preparing and binding the SQL users send (query, execute, the predicates
// of update_rows/delete_rows, materialized queries), and describing a query's result columns.
// The caller holds the connection and a UserSql scope (engine.h) around these calls.
// Thread-safety: per connection.
#ifndef K3_TABLES_USER_SQL_H_
#define K3_TABLES_USER_SQL_H_

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"
#include "k3/tables.h"
#include "tables/engine.h"
#include "tables/sqlite_util.h"

namespace k3::tables {

inline constexpr int64_t kDefaultRowLimit = 10000;

// Prepares exactly one statement of `sql` on `conn`: INVALID_ARGUMENT for empty SQL or for
// anything after the first statement; SQLite's errors through SqliteStatus (an authorizer
// refusal is PERMISSION_DENIED with its reason). `context` prefixes error messages.
Result<Stmt> PrepareUser(Connection& conn, std::string_view sql, std::string_view context);

// Binds `params` to the statement's positional parameters ($N and ?N are position N; an
// anonymous ? takes its SQLite index). INVALID_ARGUMENT for named parameters and when the
// number of values differs from the number of positions the statement uses.
Status BindParams(sqlite3_stmt* stmt, const std::vector<Value>& params);

// The result columns of a prepared query: their names and K3 types, and which statement
// columns they are. k3's `_k3_rowid` key column is left out when it appears under its own
// name: `SELECT *`, and also a bare `SELECT rowid`, which SQLite names after the column
// (`SELECT rowid AS id` keeps it). Types come from the catalog (for columns of k3 tables), else
// from the declared type; `typed[i]` is false when neither says (an expression): the caller infers
// the type from the values.
struct ResultShape {
  std::vector<ResultColumn> columns;
  std::vector<int> statement_columns;
  std::vector<bool> typed;
};
ResultShape DescribeResult(sqlite3_stmt* stmt, const Engine& engine);

// The K3 type of a result column that had none, from one of its values (NULL: unchanged).
void InferType(ResultColumn* column, const Value& value);

// The first word of a statement, uppercased ("" for none).
std::string FirstWord(std::string_view sql);

}  // namespace k3::tables

#endif  // K3_TABLES_USER_SQL_H_
