// tables/sql_text.h: the text side of the table engine's SQL: identifier rules and quoting,
// a small lexer that knows SQLite's literals, quoted identifiers and comments, the `{table}`
// placeholders of K3 queries, and the positional parameters `$1`, `?`, `?NNN`.
// Thread-safety: pure functions.
#ifndef K3_TABLES_SQL_TEXT_H_
#define K3_TABLES_SQL_TEXT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"

namespace k3::tables {

// The key column k3 adds to tables created without merge keys (SQLite's session extension
// records only tables with an explicit PRIMARY KEY). Query results leave it out of `SELECT *`.
inline constexpr std::string_view kRowIdColumn = "_k3_rowid";
// The column of a pipeline table (TableSource::kPipeline) that holds the key of the object each
// row came from, so that a re-run replaces that object's rows. Hidden like kRowIdColumn.
inline constexpr std::string_view kSourceKeyColumn = "_k3_source_key";
// True for k3's own columns (named "_k3_...", in any case), which `SELECT *` leaves out.
bool IsK3Column(std::string_view name);

// Table names: [A-Za-z_][A-Za-z0-9_]{0,62}, not starting with "_k3_" or "sqlite_" (in any
// case). INVALID_ARGUMENT naming the rule otherwise.
Status ValidateTableName(std::string_view name);
// Column names: the same characters; not starting with "_k3_".
Status ValidateColumnName(std::string_view name);
// A name k3 or SQLite keeps for itself ("_k3_..." or "sqlite_...", any case).
bool IsInternalName(std::string_view name);

// "name" with embedded quotes doubled: always safe as an SQLite identifier.
std::string QuoteIdent(std::string_view name);
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// True when `s` holds only whitespace, comments and semicolons.
bool IsTrivia(std::string_view s);
// The first `n` words of `sql` (runs of identifier characters outside comments, uppercased);
// fewer when the statement has fewer.
std::vector<std::string> LeadingWords(std::string_view sql, size_t n);

// Replaces each `{name}` outside string literals, quoted identifiers and comments by
// values[name]. INVALID_ARGUMENT for a placeholder that `values` lacks.
Result<std::string> SubstitutePlaceholders(std::string_view sql,
                                           const std::map<std::string, std::string>& values);

// Rewrites the positional parameters of `sql` (`?`, `?N`, `$N`) as `?M` with M = N + offset
// (an anonymous `?` is one more than the largest position before it, as in SQLite) and sets
// *count to the largest position N. Named parameters (`:a`, `@a`, `$a`) are INVALID_ARGUMENT.
Result<std::string> RenumberParameters(std::string_view sql, int offset, int* count);

}  // namespace k3::tables

#endif  // K3_TABLES_SQL_TEXT_H_
