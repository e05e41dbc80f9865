// tables/types.h: K3 column types on SQLite — storage types and CHECK constraints of the
// tables k3 creates, K3 types read back from declared types, validation and conversion of the
// values written, and moving k3::Value in and out of SQLite statements.
//
// Storage (tables are STRICT):
//   STRING, DATE, TIMESTAMP, JSON -> TEXT     (JSON: CHECK json_valid)
//   INT, LONG, SHORT, BOOLEAN     -> INTEGER  (INT/SHORT: range CHECKs; BOOLEAN: CHECK IN (0, 1))
//   FLOAT, DOUBLE                 -> REAL
//   BINARY                        -> BLOB
// Thread-safety: pure functions.
#ifndef K3_TABLES_TYPES_H_
#define K3_TABLES_TYPES_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "k3/status.h"
#include "k3/tables.h"

namespace k3::tables {

// "STRING", "INT", ... ("UNSPECIFIED" for kUnspecified).
std::string_view ColumnTypeName(ColumnType type);
// Accepts "STRING" and "COLUMN_TYPE_STRING" (any case); nullopt otherwise.
std::optional<ColumnType> ParseColumnType(std::string_view name);

// SQLite's storage type for a column of `type` in a STRICT table.
std::string_view StorageType(ColumnType type);
// The column's CHECK constraint ("CHECK (...)"), or "" when the type needs none.
std::string CheckConstraint(ColumnType type, std::string_view quoted_column);
// The K3 type of a column declared with SQLite type `declared` (by a user's CREATE TABLE):
// INTEGER/INT/BIGINT -> LONG, SMALLINT/TINYINT -> SHORT, BOOLEAN -> BOOLEAN, REAL/DOUBLE ->
// DOUBLE, FLOAT -> FLOAT, DATE, TIMESTAMP/DATETIME, JSON, BLOB/BINARY -> BINARY, else STRING.
ColumnType FromDeclaredType(std::string_view declared);
// The K3 type of a value of SQLite storage class `sqlite_type` (SQLITE_INTEGER, ...).
ColumnType FromStorageClass(int sqlite_type);

// Validates `value` for `column` and returns what to store: bool -> 0/1, an epoch-ms int64
// for a TIMESTAMP -> ISO-8601 text, an integral double for an integer column -> int64, a
// JSON scalar for a JSON column -> its JSON text. INVALID_ARGUMENT starting with `label`
// ("row 3") and naming the column otherwise (wrong type, NULL in a non-nullable column,
// invalid JSON / date / timestamp / UTF-8, out of the type's range, NaN).
Result<Value> ToStored(const Column& column, const Value& value, std::string_view label);

// "2026-05-14T10:00:00Z", or with ".123" when the milliseconds are not 0.
std::string FormatTimestampMs(int64_t ms);
bool IsValidDate(std::string_view s);       // YYYY-MM-DD, a real calendar day
bool IsValidTimestamp(std::string_view s);  // YYYY-MM-DD[( |T)HH:MM[:SS[.f+]]][Z|(+|-)HH[:]MM]

// Binds `value` as parameter `index` (bool as 0/1; an empty blob stays a blob). The value's
// bytes must outive the statement's next step (bound without copying).
int BindValue(sqlite3_stmt* stmt, int index, const Value& value);
// Column `col` of the current row: NULL -> monostate, INTEGER -> int64 (bool for a BOOLEAN
// column holding 0/1), REAL -> double, TEXT -> string, BLOB -> bytes.
Value ReadValue(sqlite3_stmt* stmt, int col, ColumnType type);

}  // namespace k3::tables

#endif  // K3_TABLES_TYPES_H_
