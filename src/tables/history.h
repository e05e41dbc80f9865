// tables/history.h: per-table write history and restore, on SQLite's session extension.
//
// Each write to a user table runs, inside its write transaction, as
//   auto capture = ChangeCapture::Begin(db, table);   // before the first statement
//   ... the write's statements ...
//   auto changeset = capture->Finish();                // before COMMIT
//   AppendHistory(db, table, version, "INSERT", rows, now, *changeset, retention);
// and RevertTo(db, table, v) (inside a transaction, typically itself captured and appended as a
// "RESTORE" version) applies the inverses of the changesets newer than v, newest first.
//
// What the caller (the TableService core) must guarantee:
//  - Every user table has an explicit PRIMARY KEY whose columns never hold NULL: an
//    `INTEGER PRIMARY KEY` column (a rowid alias, never NULL) or PRIMARY KEY columns declared
//    NOT NULL (or a WITHOUT ROWID table). The session extension of SQLite 3.40 records nothing
//    for tables without a PRIMARY KEY and nothing for rows with a NULL key column;
//    ChangeCapture::Begin refuses such tables with FAILED_PRECONDITION instead of silently
//    recording nothing.
//  - Every change to a user table happens under a ChangeCapture whose changeset is appended
//    (in the same transaction): a change made outside one makes later restores across it fail
//    with ABORTED (a conflict), never silently produce wrong rows.
//  - No other pre-update hook is installed on the connection (sessions use it).
//  - Every function here (and ChangeCapture::Finish) runs with the connection's authorizer
//    letting internal statements through: they read and write `_k3_history*`, read
//    pragma_table_list / pragma_table_xinfo / pragma_index_list, and sessions run SAVEPOINT,
//    RELEASE, PRAGMA defer_foreign_keys and PRAGMA table_info themselves. While the user's
//    statement runs under a capture, the session prepares only `PRAGMA table_info(<table>)`.
//  - Versions of one table increase; a version is appended once (AppendHistory refuses
//    otherwise). A "CREATE" entry may be appended as version 0 with an empty changeset; then
//    RevertTo(0) is that entry like any other.
//  - Table names are passed in one spelling (history keys them byte-exactly).
//  - DropHistory when the table is dropped (a re-created table of the same name starts clean).
//  - The only schema change is one that changes the column count (ADD COLUMN); a restore across
//    it is refused. (Whether an "ALTER" entry is appended or not, the change is detected from
//    the column count recorded with each entry.)
//  - Cost: a session-captured write costs several microseconds per changed row and stores a
//    copy of every inserted/deleted row (and the old values of updated ones) in `_k3_history`;
//    BeginAppendOnly avoids both for pure appends.
//
// History is stored in the `_k3_history` table (one row per version) and `_k3_history_pruned`
// (per table, the newest version pruned by retention: versions at or before it are gone, and
// so is version 0, the empty table right after CREATE).
//
// Thread-safety: functions of one sqlite3* connection; use each connection from one thread at
// a time (as SQLite requires). A ChangeCapture must be destroyed before its connection closes.
#ifndef K3_TABLES_HISTORY_H_
#define K3_TABLES_HISTORY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/status.h"
#include "k3/tables.h"

struct sqlite3;
struct sqlite3_session;

namespace k3::tables {

// Records one write's changes to one table with a session object, inside the write
// transaction. Errors: NOT_FOUND when the table does not exist; FAILED_PRECONDITION when it
// has no PRIMARY KEY or a key column may hold NULL (see above).
class ChangeCapture {
 public:
  static Result<std::unique_ptr<ChangeCapture>> Begin(sqlite3* db, std::string_view table);

  // A much cheaper capture for a write that only appends new rows to a table whose PRIMARY
  // KEY is an INTEGER PRIMARY KEY (a rowid alias) that the write leaves to SQLite: plain
  // INSERTs without key values, no REPLACE, no upsert, no UPDATE or DELETE. Instead of a
  // changeset (a copy of every inserted row, built at a cost of several microseconds per row)
  // it records the range of keys the write added, in 33 bytes, at no per-row cost; undoing it
  // deletes that range (after checking that exactly those rows are there). The caller
  // guarantees the contract: a write that breaks it (e.g. an upsert that updates a row) is
  // recorded wrongly. The write adds at most `max_rows` rows. FAILED_PRECONDITION when the
  // table has no INTEGER PRIMARY KEY, or when its largest key leaves no room for `max_rows`
  // keys above it (SQLite would then pick keys at random); use Begin then.
  static Result<std::unique_ptr<ChangeCapture>> BeginAppendOnly(sqlite3* db, std::string_view table,
                                                                uint64_t max_rows = 1);

  // Stops recording and returns what AppendHistory stores: the changeset (empty when the
  // write changed nothing, e.g. an UPDATE that set the values a row already had; an update of
  // a primary key is recorded as a DELETE plus an INSERT), or the appended key range. Call it
  // before COMMIT, once.
  Result<std::string> Finish();
  ~ChangeCapture();

  ChangeCapture(const ChangeCapture&) = delete;
  ChangeCapture& operator=(const ChangeCapture&) = delete;

 private:
  ChangeCapture() = default;
  sqlite3_session* session_ = nullptr;  // Begin
  // BeginAppendOnly: the table, its INTEGER PRIMARY KEY column and its largest key before.
  sqlite3* db_ = nullptr;
  std::string table_;
  std::string key_column_;
  int64_t max_key_before_ = 0;
  bool finished_ = false;
};

// The number of rows an append-only record (what Finish returns after BeginAppendOnly) says
// were added; nullopt when `record` is not one (a changeset, or empty).
std::optional<uint64_t> AppendedRows(std::string_view record);

// Creates `_k3_history` and `_k3_history_pruned` when missing.
Status EnsureHistorySchema(sqlite3* db);

// Appends the entry (table, version, operation, rows, time, changeset, the table's current
// column count) and prunes the table's entries beyond the newest `retention` ones.
// retention 0 keeps no history at all: nothing is appended, every entry of the table is
// removed, and no restore is possible. ALREADY_EXISTS when `version` is already recorded;
// NOT_FOUND when the table does not exist.
Status AppendHistory(sqlite3* db, std::string_view table, uint64_t version,
                     std::string_view operation, uint64_t rows, int64_t time_ms,
                     std::string_view changeset, uint32_t retention);

// The table's retained entries, newest first.
Result<std::vector<HistoryEntry>> ReadHistory(sqlite3* db, std::string_view table);

// Inside the caller's transaction: applies the inverses of the table's changesets newer than
// `version`, newest first, so that the table's rows equal those right after `version` was
// written (version 0: the empty table before the first write). Runs in a SAVEPOINT: on any
// error the table is left as it was. Errors: FAILED_PRECONDITION when `version` is older than
// the retained history, is not a version of this table, or a schema change (a different
// column count) happened after it; ABORTED when a changeset conflicts with the table's rows
// (the table was changed without history); NOT_FOUND when the table does not exist.
Status RevertTo(sqlite3* db, std::string_view table, uint64_t version);

// Removes every history entry of the table (and its pruning mark).
Status DropHistory(sqlite3* db, std::string_view table);

}  // namespace k3::tables

#endif  // K3_TABLES_HISTORY_H_
