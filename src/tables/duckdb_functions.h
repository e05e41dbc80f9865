// tables/duckdb_functions.h: DuckDB's SQL functions registered in SQLite, so that K3's SQL
// (DuckDB's dialect) runs on the table engine: date_trunc, date_part, epoch_ms,
// json_extract_string, quantile_cont, median, regexp_matches, starts_with, string_agg, ...
// docs/duckdb-functions.md lists every function, its DuckDB semantics and the differences that
// remain.
//
// Timestamps are text. Inputs are ISO-8601 ('2026-05-14 10:23:45', '2026-05-14T10:23:45.5Z',
// '2026-05-14T12:23:45+02:00' is normalized to UTC, '2026-05-14') or epoch numbers (|x| >= 1e11:
// milliseconds, else seconds); outputs use DuckDB's TIMESTAMP text form 'YYYY-MM-DD
// HH:MM:SS[.ffffff]'.
//
// Thread-safety: RegisterDuckDbFunctions may be called on any number of connections from any
// threads (each call touches only `db`); the functions keep no state outside one statement.
#ifndef K3_TABLES_DUCKDB_FUNCTIONS_H_
#define K3_TABLES_DUCKDB_FUNCTIONS_H_

#include <sqlite3.h>

#include "k3/status.h"

namespace k3::tables {

// Registers every function on `db` (call once per connection, before preparing statements).
// INTERNAL when SQLite refuses a registration (out of memory, or `db` is busy).
k3::Status RegisterDuckDbFunctions(sqlite3* db);

}  // namespace k3::tables

#endif  // K3_TABLES_DUCKDB_FUNCTIONS_H_
