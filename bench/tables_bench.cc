// tables_bench: TableService insert_rows and the DuckDB cheat-sheet queries against raw SQLite.
//
// Flags: --quick (100k rows instead of 1M and 3 query repetitions instead of 7, for smoke runs);
// --only=insert or --only=cheatsheet (print one measurement, for profiling; the rows are
// inserted either way). Other arguments are ignored, since `./build.sh bench ARGS` passes the
// same ARGS to every benchmark.
//
// Schema and data. k3 gets a Db with one bucket and the table `events` (id LONG, kind STRING,
// created_at TIMESTAMP, duration_ms LONG, payload JSON; the first three NOT NULL, no merge keys)
// — the table of tests/unit/tables_cheatsheet_test.cc, filled by the same generator
// (tests/common/cheatsheet_events.h). Raw SQLite gets its own file with exactly the DDL k3 created
// (read back from k3's sqlite_schema: STRICT, `_k3_rowid INTEGER PRIMARY KEY`, the CHECKs) and
// the pragmas k3's writer sets (journal_mode=WAL, synchronous=NORMAL as for the default
// Options::sync_writes = false, foreign_keys=ON, cache_size=-16384); both insert the same rows
// in the same order. NULLs are given to k3 as std::monostate, so every row names every column.
//
//   k3 insert  = db.tables().insert_rows("bench", "events", rows) with kBatchRows rows per call
//                (each call one transaction and one version with its history entry); the
//                Row maps are built before the timing, as the raw side's rows are
//   raw insert = BEGIN; one prepared INSERT of the same columns, bound and stepped per row;
//                COMMIT (one transaction for all the rows)
//
// Each of 3 rounds inserts every row into a fresh k3 Db and a fresh raw file, in slices of
// kBatchRows rows that run interleaved — k3's call for slice i, then the raw rows of slice i
// (inside its one open transaction), in an order that rotates — so that both files grow in
// step and a burst of noise hits both alike. A round's throughput is rows / (the sum of its
// slice times; raw: plus BEGIN and COMMIT); the figure is the median over the rounds. For
// reference (not in the ratio), a third file gets the same rows with one transaction per
// slice — as many commits as k3 makes — interleaved the same way. The last round's k3 Db and
// raw file stay for the queries.
//
// Queries: the five cheat-sheet queries, verbatim with {table}. k3 runs them with
// db.tables().query (limit above the row count, so query 3 returns every row); raw SQLite
// runs the same SQL on a read-only connection configured like k3's readers (query_only,
// cache_size=-8192, the DuckDB functions of tables/duckdb_functions.h registered), preparing
// the statement, stepping it and reading every column value of every row. After one untimed
// warm-up each query runs 7 times (3 with --quick) on each side (alternating who goes first);
// the figure per query is the median, and the ratio compares the sums of those medians. The
// warm-up checks that both sides answer the same (query 3: the same (id, kind) rows and, per
// kind, the same ranks, since rows with equal timestamps may be ranked in either order;
// query 4: in any order).
//
// Output: "ratio tables.insert_vs_sqlite <k3 rows/s / raw rows/s>" and
// "ratio tables.cheatsheet_vs_sqlite <k3 total time / raw total time>", each followed by
// indented figures.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bench_util.h"
#include "common/cheatsheet_events.h"
#include "k3/db.h"
#include "k3/options.h"
#include "k3/storage.h"
#include "k3/tables.h"
#include "tables/duckdb_functions.h"

namespace {

using k3::bench::Check;
using k3::bench::Die;

constexpr std::string_view kBucket = "bench";
constexpr std::string_view kTable = "events";
constexpr size_t kBatchRows = 10000;

using k3::testdata::Event;
using k3::testdata::ForTable;
using k3::testdata::Generate;
using k3::testdata::kCheatSheet;

// A short label per cheat-sheet query, in kCheatSheet's order.
constexpr const char* kQueryLabels[] = {"q1 grouped counts", "q2 time buckets", "q3 window ranking",
                                        "q4 json extraction", "q5 percentile"};
static_assert(std::size(kQueryLabels) == std::size(kCheatSheet));

// The k3 rows of events [begin, end).
std::vector<k3::Row> RowsOf(const std::vector<Event>& events, size_t begin, size_t end) {
  std::vector<k3::Row> rows;
  rows.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const Event& e = events[i];
    k3::Row row;
    row.emplace("id", e.id);
    row.emplace("kind", e.kind);
    row.emplace("created_at", e.created_at);
    row.emplace("duration_ms", e.duration_ms ? k3::Value(*e.duration_ms) : k3::Value());
    row.emplace("payload", e.payload ? k3::Value(*e.payload) : k3::Value());
    rows.push_back(std::move(row));
  }
  return rows;
}

// ---- raw SQLite helpers ----

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = sql + ": " + (err != nullptr ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    Die(msg);
  }
}

sqlite3* OpenRaw(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = "sqlite3_open_v2 " + path + ": " + sqlite3_errstr(rc);
    sqlite3_close(db);
    Die(msg);
  }
  return db;
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    Die("preparing " + sql + ": " + sqlite3_errmsg(db));
  }
  return stmt;
}

// The CREATE statements of `table` and its indexes in the SQLite file `path`.
std::vector<std::string> SchemaOf(const std::string& path, std::string_view table) {
  sqlite3* db = OpenRaw(path, SQLITE_OPEN_READONLY);
  sqlite3_stmt* stmt = Prepare(db,
                               "SELECT sql FROM sqlite_schema WHERE tbl_name = ?1 AND sql IS NOT "
                               "NULL ORDER BY type = 'index', name");
  sqlite3_bind_text(stmt, 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
  std::vector<std::string> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  Check(!out.empty(), "k3's SQLite file has no table " + std::string(table));
  return out;
}

// A result cell, for comparing the answers of both sides.
using Cell = std::variant<std::monostate, int64_t, double, std::string>;
using Rows = std::vector<std::vector<Cell>>;

Cell FromK3(const k3::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return int64_t{*b ? 1 : 0};
  if (std::holds_alternative<std::vector<uint8_t>>(v)) Die("unexpected BLOB in a result");
  return std::monostate();
}

Cell FromRaw(sqlite3_stmt* stmt, int c) {
  switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, c));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, c);
    case SQLITE_TEXT:
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                         static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
    case SQLITE_NULL:
      return std::monostate();
    default:
      Die("unexpected BLOB in a result");
  }
}

// ---- the two sides ----

// k3: a Db with the bucket and its table.
class K3Side {
 public:
  explicit K3Side(const std::string& dir) : dir_(dir) {
    auto opened = k3::Db::open(dir, k3::Options{});
    Check(opened.ok(), "k3::Db::open: " + opened.status().ToString());
    db_.emplace(std::move(opened).value());
    auto bucket = db_->storage().create_bucket({.name = std::string(kBucket)});
    Check(bucket.ok(), "create_bucket: " + bucket.status().ToString());
    auto engine = db_->tables().configure_engine(kBucket);
    Check(engine.ok(), "configure_engine: " + engine.status().ToString());
    k3::CreateTableRequest create;
    create.bucket = std::string(kBucket);
    create.name = std::string(kTable);
    create.columns = {{"id", k3::ColumnType::kLong, false},
                      {"kind", k3::ColumnType::kString, false},
                      {"created_at", k3::ColumnType::kTimestamp, false},
                      {"duration_ms", k3::ColumnType::kLong, true},
                      {"payload", k3::ColumnType::kJson, true}};
    auto table = db_->tables().create_table(create);
    Check(table.ok(), "create_table: " + table.status().ToString());
  }

  // The SQLite file holding the bucket's tables.
  std::string engine_path() const { return dir_ + "/tables/" + std::string(kBucket) + ".db"; }

  void Insert(const std::vector<k3::Row>& rows) {
    auto r = db_->tables().insert_rows(kBucket, kTable, rows);
    if (!r.ok()) Die("k3 insert_rows: " + r.status().ToString());
    if (r->rows_written != rows.size()) Die("k3 insert_rows wrote a different row count");
  }

  k3::QueryResult Query(const char* sql, size_t rows) {
    k3::QueryRequest request;
    request.bucket = std::string(kBucket);
    request.table_name = std::string(kTable);
    request.sql = sql;
    request.limit = static_cast<int64_t>(rows) + 1;
    auto r = db_->tables().query(request);
    if (!r.ok()) Die(std::string("k3 query ") + sql + ": " + r.status().ToString());
    if (r->truncated) Die(std::string("k3 query ") + sql + ": truncated");
    return std::move(r).value();
  }

  uint64_t RowCount() {
    auto t = db_->tables().get_table(kBucket, kTable);
    Check(t.ok(), "get_table: " + t.status().ToString());
    return t->row_count;
  }

 private:
  std::string dir_;
  std::optional<k3::Db> db_;
};

// Raw SQLite: one file, a writer configured like k3's and (for queries) a reader configured
// like k3's readers.
class RawSide {
 public:
  RawSide(const std::string& path, const std::vector<std::string>& ddl) : path_(path) {
    writer_ = OpenRaw(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    Exec(writer_, "PRAGMA journal_mode=WAL");
    Exec(writer_,
         k3::Options{}.sync_writes ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec(writer_, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384");
    Register(writer_);
    for (const std::string& sql : ddl) Exec(writer_, sql);
  }
  ~RawSide() {
    sqlite3_finalize(insert_);
    if (reader_ != nullptr) sqlite3_close(reader_);
    sqlite3_close(writer_);
  }
  RawSide(const RawSide&) = delete;
  RawSide& operator=(const RawSide&) = delete;

  // The raw insert: BeginInsert, InsertSlice for consecutive slices of the rows, then
  // CommitInsert — one prepared statement, one transaction.
  void BeginInsert() {
    Exec(writer_, "BEGIN");
    insert_ = Prepare(writer_,
                      "INSERT INTO \"events\" (\"id\", \"kind\", \"created_at\", "
                      "\"duration_ms\", \"payload\") VALUES (?1, ?2, ?3, ?4, ?5)");
  }
  void InsertSlice(const std::vector<Event>& events, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const Event& e = events[i];
      sqlite3_bind_int64(insert_, 1, e.id);
      sqlite3_bind_text(insert_, 2, e.kind.data(), static_cast<int>(e.kind.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert_, 3, e.created_at.data(), static_cast<int>(e.created_at.size()),
                        SQLITE_STATIC);
      if (e.duration_ms) {
        sqlite3_bind_int64(insert_, 4, *e.duration_ms);
      } else {
        sqlite3_bind_null(insert_, 4);
      }
      if (e.payload) {
        sqlite3_bind_text(insert_, 5, e.payload->data(), static_cast<int>(e.payload->size()),
                          SQLITE_STATIC);
      } else {
        sqlite3_bind_null(insert_, 5);
      }
      if (sqlite3_step(insert_) != SQLITE_DONE) {
        Die(std::string("raw insert: ") + sqlite3_errmsg(writer_));
      }
      sqlite3_reset(insert_);
    }
  }
  void CommitInsert() {
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    Exec(writer_, "COMMIT");
  }

  // Runs `sql` to the end, reading every value; returns a checksum of what it read.
  uint64_t Query(const std::string& sql) {
    sqlite3* db = reader();
    sqlite3_stmt* stmt = Prepare(db, sql);
    const int n = sqlite3_column_count(stmt);
    uint64_t sum = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            sum += static_cast<uint64_t>(sqlite3_column_int64(stmt, c));
            break;
          case SQLITE_FLOAT:
            sum += static_cast<uint64_t>(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_TEXT:
            sqlite3_column_text(stmt, c);
            sum += static_cast<uint64_t>(sqlite3_column_bytes(stmt, c));
            break;
          default:
            break;
        }
      }
    }
    if (rc != SQLITE_DONE) Die("raw query " + sql + ": " + sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return sum;
  }

  Rows QueryRows(const std::string& sql) {
    sqlite3* db = reader();
    sqlite3_stmt* stmt = Prepare(db, sql);
    Rows rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Cell> row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) row.push_back(FromRaw(stmt, c));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) Die("raw query " + sql + ": " + sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rows;
  }

  int64_t RowCount() {
    sqlite3_stmt* stmt = Prepare(writer_, "SELECT count(*) FROM \"events\"");
    Check(sqlite3_step(stmt) == SQLITE_ROW, "raw count");
    const int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  }

 private:
  static void Register(sqlite3* db) {
    const k3::Status s = k3::tables::RegisterDuckDbFunctions(db);
    Check(s.ok(), "RegisterDuckDbFunctions: " + s.ToString());
  }
  // Opened on first use, like one of k3's pooled readers.
  sqlite3* reader() {
    if (reader_ == nullptr) {
      reader_ = OpenRaw(path_, SQLITE_OPEN_READONLY);
      Exec(reader_, "PRAGMA query_only=1; PRAGMA cache_size=-8192");
      Register(reader_);
    }
    return reader_;
  }

  std::string path_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

// ---- measurements ----

std::string Join(const std::vector<double>& values, const char* format) {
  std::string out;
  char buf[48];
  for (double v : values) {
    std::snprintf(buf, sizeof buf, format, v);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

struct Loaded {
  std::unique_ptr<K3Side> k3;
  std::unique_ptr<RawSide> raw;
};

// Inserts every event into fresh databases `rounds` times; reports the ratio (when `report`)
// and keeps the last round's k3 Db and raw file.
Loaded RunInserts(const std::vector<Event>& events, int rounds, const k3::bench::TempDir& scratch,
                  bool report) {
  std::vector<std::vector<k3::Row>> batches;
  for (size_t begin = 0; begin < events.size(); begin += kBatchRows) {
    batches.push_back(RowsOf(events, begin, std::min(events.size(), begin + kBatchRows)));
  }
  std::vector<double> k3_rate, raw_rate, per_slice_rate;
  Loaded last;
  auto remove_raw = [&](const std::string& name) {
    std::error_code ec;
    for (const char* ext : {".db", ".db-wal", ".db-shm"}) {
      std::filesystem::remove(scratch.Sub(name + ext), ec);
    }
  };
  for (int round = 0; round < rounds; ++round) {
    const std::string suffix = std::to_string(round);
    auto k3_side = std::make_unique<K3Side>(scratch.Sub("k3-" + suffix));
    const std::vector<std::string> ddl = SchemaOf(k3_side->engine_path(), kTable);
    auto raw_side = std::make_unique<RawSide>(scratch.Sub("raw-" + suffix + ".db"), ddl);
    auto per_slice = std::make_unique<RawSide>(scratch.Sub("raw-slices-" + suffix + ".db"), ddl);
    // Slice b: k3's insert_rows of batch b, the raw insert of the same rows (its transaction
    // stays open across the slices) and the per-slice raw insert (its own transaction), in an
    // order that rotates.
    double k3_seconds = 0, raw_seconds = 0, per_slice_seconds = 0;
    raw_seconds += k3::bench::TimeSeconds([&] { raw_side->BeginInsert(); });
    for (size_t b = 0; b < batches.size(); ++b) {
      const size_t begin = b * kBatchRows, end = begin + batches[b].size();
      for (size_t turn = 0; turn < 3; ++turn) {
        switch ((b + turn + static_cast<size_t>(round)) % 3) {
          case 0:
            k3_seconds += k3::bench::TimeSeconds([&] { k3_side->Insert(batches[b]); });
            break;
          case 1:
            raw_seconds +=
                k3::bench::TimeSeconds([&] { raw_side->InsertSlice(events, begin, end); });
            break;
          default:
            per_slice_seconds += k3::bench::TimeSeconds([&] {
              per_slice->BeginInsert();
              per_slice->InsertSlice(events, begin, end);
              per_slice->CommitInsert();
            });
            break;
        }
      }
    }
    raw_seconds += k3::bench::TimeSeconds([&] { raw_side->CommitInsert(); });
    Check(k3_side->RowCount() == events.size(), "k3 row count after the inserts");
    Check(raw_side->RowCount() == static_cast<int64_t>(events.size()),
          "raw row count after the inserts");
    Check(per_slice->RowCount() == static_cast<int64_t>(events.size()),
          "per-slice raw row count after the inserts");
    const auto rows = static_cast<double>(events.size());
    k3_rate.push_back(rows / k3_seconds);
    raw_rate.push_back(rows / raw_seconds);
    per_slice_rate.push_back(rows / per_slice_seconds);
    per_slice.reset();
    remove_raw("raw-slices-" + suffix);
    if (round + 1 == rounds) {
      last.k3 = std::move(k3_side);
      last.raw = std::move(raw_side);
    } else {
      k3_side.reset();
      raw_side.reset();
      std::error_code ec;
      std::filesystem::remove_all(scratch.Sub("k3-" + suffix), ec);
      remove_raw("raw-" + suffix);
    }
  }
  if (report) {
    const double k3_median = k3::bench::Median(k3_rate), raw_median = k3::bench::Median(raw_rate);
    const double per_slice_median = k3::bench::Median(per_slice_rate);
    k3::bench::PrintRatio("tables.insert_vs_sqlite", k3_median, raw_median);
    std::printf(
        "  k3 %.0f rows/s, raw %.0f rows/s (%zu rows, median of %d rounds; k3: insert_rows of "
        "%zu rows per call, one transaction and version each; raw: one prepared INSERT in one "
        "transaction)\n",
        k3_median, raw_median, events.size(), rounds, kBatchRows);
    std::printf("  per round (rows/s): k3 %s; raw %s\n", Join(k3_rate, "%.0f").c_str(),
                Join(raw_rate, "%.0f").c_str());
    std::printf(
        "  for reference, raw with one transaction per %zu rows (as many commits as k3): %.0f "
        "rows/s (k3 / that = %.3f); per round %s\n",
        kBatchRows, per_slice_median, per_slice_median > 0 ? k3_median / per_slice_median : 0,
        Join(per_slice_rate, "%.0f").c_str());
    std::fflush(stdout);
  }
  return last;
}

// Replaces the rows of query 3 (id, kind, rn) by a form that does not depend on how rows with
// equal timestamps are ranked: the sorted (id, kind) pairs next to the sorted (kind, rn) pairs.
void Canonicalize(Rows* rows) {
  std::vector<std::vector<Cell>> ids, ranks;
  for (const auto& row : *rows) {
    ids.push_back({row[0], row[1]});
    ranks.push_back({row[1], row[2]});
  }
  std::sort(ids.begin(), ids.end());
  std::sort(ranks.begin(), ranks.end());
  rows->clear();
  for (size_t i = 0; i < ids.size(); ++i) {
    rows->push_back({ids[i][0], ids[i][1], ranks[i][0], ranks[i][1]});
  }
}

void CheckSameAnswers(K3Side& k3_side, RawSide& raw_side, size_t rows) {
  for (size_t q = 0; q < std::size(kCheatSheet); ++q) {
    const k3::QueryResult got = k3_side.Query(kCheatSheet[q], rows);
    Rows k3_rows;
    for (const auto& row : got.rows) {
      std::vector<Cell> cells;
      for (const k3::Value& v : row) cells.push_back(FromK3(v));
      k3_rows.push_back(std::move(cells));
    }
    Rows raw_rows = raw_side.QueryRows(ForTable(kCheatSheet[q], std::string(kTable)));
    if (q == 2) {
      Canonicalize(&k3_rows);
      Canonicalize(&raw_rows);
    } else if (q == 3) {  // GROUP BY without ORDER BY: any order
      std::sort(k3_rows.begin(), k3_rows.end());
      std::sort(raw_rows.begin(), raw_rows.end());
    }
    if (k3_rows != raw_rows) Die(std::string(kQueryLabels[q]) + ": k3 and raw answers differ");
  }
}

void RunQueries(K3Side& k3_side, RawSide& raw_side, size_t rows, int reps) {
  CheckSameAnswers(k3_side, raw_side, rows);  // also the warm-up
  double k3_total = 0, raw_total = 0;
  std::vector<std::string> lines;
  for (size_t q = 0; q < std::size(kCheatSheet); ++q) {
    const std::string raw_sql = ForTable(kCheatSheet[q], std::string(kTable));
    std::vector<double> k3_ms, raw_ms;
    for (int rep = 0; rep < reps; ++rep) {
      for (int turn = 0; turn < 2; ++turn) {
        const bool k3_turn = (rep + turn) % 2 == 0;
        if (k3_turn) {
          k3_ms.push_back(1e3 * k3::bench::TimeSeconds([&] {
                            const k3::QueryResult r = k3_side.Query(kCheatSheet[q], rows);
                            if (r.rows.empty()) Die("k3 query returned no rows");
                          }));
        } else {
          raw_ms.push_back(1e3 * k3::bench::TimeSeconds([&] {
                             volatile uint64_t sum = raw_side.Query(raw_sql);
                             (void)sum;
                           }));
        }
      }
    }
    const double k3_median = k3::bench::Median(k3_ms), raw_median = k3::bench::Median(raw_ms);
    k3_total += k3_median;
    raw_total += raw_median;
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %s: k3 %.2f ms, raw %.2f ms (%.3f); per rep: k3 %s; raw %s",
                  kQueryLabels[q], k3_median, raw_median,
                  raw_median > 0 ? k3_median / raw_median : 0, Join(k3_ms, "%.1f").c_str(),
                  Join(raw_ms, "%.1f").c_str());
    lines.push_back(buf);
  }
  k3::bench::PrintRatio("tables.cheatsheet_vs_sqlite", k3_total, raw_total);
  std::printf(
      "  k3 %.2f ms, raw %.2f ms (sum over the 5 queries of the median of %d reps, %zu rows; "
      "k3: query(), raw: prepare + step + read every value)\n",
      k3_total, raw_total, reps, rows);
  for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = k3::bench::HasFlag(argc, argv, "--quick");
  const std::string only = k3::bench::FlagValue(argc, argv, "--only=");
  const size_t rows = quick ? 100000 : 1000000;
  const int insert_rounds = 3;
  const int query_reps = quick ? 3 : 7;
  std::printf("tables_bench: k3 TableService vs raw SQLite %s, same schema, pragmas and data%s\n",
              sqlite3_libversion(), quick ? " (--quick)" : "");
  std::fflush(stdout);

  const std::vector<Event> events = Generate(rows);
  k3::bench::TempDir scratch("k3-tables-bench");
  Loaded loaded = RunInserts(events, insert_rounds, scratch, only.empty() || only == "insert");
  if (only.empty() || only == "cheatsheet") RunQueries(*loaded.k3, *loaded.raw, rows, query_reps);
  return 0;
}
