// The five queries of K3's "DuckDB SQL Cheat Sheet (TableService)", unchanged (with k3's
// {table} placeholder), through TableService's query on 100k generated rows. Every
// expected answer is computed here in C++ from the generated rows, independently of SQLite and
// of tables/duckdb_functions.cc (timestamps are formatted with gmtime_r/strftime).
//
// With K3_DUCKDB_COMPARE_DIR set, the test also writes the rows to $K3_DUCKDB_COMPARE_DIR/
// events.csv so that bench/duckdb_compare/compare.js can run the same queries in DuckDB.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/cheatsheet_events.h"
#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr char kBucket[] = "cheatsheet";

using testdata::Event;
using testdata::FormatUtc;
using testdata::ForTable;
using testdata::Generate;
using testdata::kCheatSheet;

std::string CsvField(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void WriteCsv(const std::vector<Event>& events, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << "id,kind,created_at,duration_ms,payload\n";
  for (const Event& e : events) {
    out << e.id << ',' << CsvField(e.kind) << ',' << CsvField(e.created_at) << ',';
    if (e.duration_ms) out << *e.duration_ms;
    out << ',';
    if (e.payload) out << CsvField(*e.payload);
    out << '\n';
  }
}

class CheatSheetTest : public ::testing::Test {
 protected:
  static constexpr size_t kRows = 100000;

  static void SetUpTestSuite() {
    events_ = new std::vector<Event>(Generate(kRows));
    dir_ = new test::TempDir();
    auto db = Db::open(dir_->path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = new Db(std::move(db).value());
    ASSERT_TRUE(db_->storage().create_bucket({.name = kBucket}).ok());
    ASSERT_TRUE(db_->tables().configure_engine(kBucket).ok());
    auto created =
        db_->tables().create_table({.bucket = kBucket,
                                    .name = "events",
                                    .columns = {{"id", ColumnType::kLong, false},
                                                {"kind", ColumnType::kString, false},
                                                {"created_at", ColumnType::kTimestamp, false},
                                                {"duration_ms", ColumnType::kLong, true},
                                                {"payload", ColumnType::kJson, true}},
                                    .merge_keys = {"id"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto optional = [](const auto& v) -> Value {
      if (!v) return std::monostate{};
      return *v;
    };
    std::vector<Row> batch;
    for (size_t i = 0; i < events_->size(); ++i) {
      const Event& e = (*events_)[i];
      batch.push_back({{"id", e.id},
                       {"kind", e.kind},
                       {"created_at", e.created_at},
                       {"duration_ms", optional(e.duration_ms)},
                       {"payload", optional(e.payload)}});
      if (batch.size() == 10000 || i + 1 == events_->size()) {
        auto written = db_->tables().insert_rows(kBucket, "events", batch);
        ASSERT_TRUE(written.ok()) << written.status().ToString();
        batch.clear();
      }
    }
    if (const char* dir = std::getenv("K3_DUCKDB_COMPARE_DIR"); dir != nullptr && *dir) {
      WriteCsv(*events_, std::string(dir) + "/events.csv");
    }
  }

  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
    delete dir_;
    dir_ = nullptr;
    delete events_;
    events_ = nullptr;
  }

  struct Cell {
    int type = SQLITE_NULL;
    int64_t i = 0;
    double d = 0;
    std::string s;
  };

  // Runs cheat-sheet query `index` (0-based), unchanged, through k3's query_cursor with
  // {table} standing for the events table (a cursor: query 3 answers every row).
  static std::vector<std::vector<Cell>> Run(int index) {
    std::vector<std::vector<Cell>> rows;
    auto cursor = db_->tables().query_cursor(
        {.bucket = kBucket, .table_name = "events", .sql = kCheatSheet[index]});
    EXPECT_TRUE(cursor.ok()) << cursor.status().ToString() << " in " << kCheatSheet[index];
    if (!cursor.ok()) return rows;
    while (true) {
      Result<bool> more = cursor->next();
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      std::vector<Cell> row;
      for (const Value& v : cursor->row()) {
        Cell cell;
        if (const auto* i = std::get_if<int64_t>(&v)) {
          cell.type = SQLITE_INTEGER;
          cell.i = *i;
        } else if (const auto* d = std::get_if<double>(&v)) {
          cell.type = SQLITE_FLOAT;
          cell.d = *d;
        } else if (const auto* s = std::get_if<std::string>(&v)) {
          cell.type = SQLITE_TEXT;
          cell.s = *s;
        } else if (const auto* b = std::get_if<bool>(&v)) {
          cell.type = SQLITE_INTEGER;
          cell.i = *b ? 1 : 0;
        } else if (!std::holds_alternative<std::monostate>(v)) {
          cell.type = SQLITE_BLOB;
        }
        row.push_back(std::move(cell));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  static test::TempDir* dir_;
  static Db* db_;
  static std::vector<Event>* events_;
};

test::TempDir* CheatSheetTest::dir_ = nullptr;
Db* CheatSheetTest::db_ = nullptr;
std::vector<Event>* CheatSheetTest::events_ = nullptr;

TEST_F(CheatSheetTest, GeneratedDataCoversTheInterestingCases) {
  size_t null_duration = 0, null_payload = 0, null_tier_with_payload = 0, premium = 0;
  std::map<int64_t, int> seconds;
  for (const Event& e : *events_) {
    null_duration += e.duration_ms ? 0 : 1;
    null_payload += e.payload ? 0 : 1;
    null_tier_with_payload += (e.payload && !e.tier) ? 1 : 0;
    premium += (e.tier && *e.tier == "pr\xC3\xA9mium") ? 1 : 0;
    ++seconds[e.created_s];
  }
  EXPECT_EQ(events_->size(), kRows);
  EXPECT_GT(null_duration, 500u);
  EXPECT_GT(null_payload, 500u);
  EXPECT_GT(null_tier_with_payload, 2000u);
  EXPECT_GT(premium, 2000u);
  EXPECT_LT(seconds.size(), kRows);  // some rows share a second: ROW_NUMBER sees ties
}

TEST_F(CheatSheetTest, Query1GroupedCounts) {
  std::map<std::string, int64_t> expected;
  for (const Event& e : *events_) ++expected[e.kind];
  const auto rows = Run(0);
  ASSERT_EQ(rows.size(), expected.size());
  std::map<std::string, int64_t> got;
  for (size_t r = 0; r < rows.size(); ++r) {
    ASSERT_EQ(rows[r].size(), 2u);
    ASSERT_EQ(rows[r][0].type, SQLITE_TEXT);
    ASSERT_EQ(rows[r][1].type, SQLITE_INTEGER);
    got[rows[r][0].s] = rows[r][1].i;
    if (r > 0) {
      EXPECT_GE(rows[r - 1][1].i, rows[r][1].i) << "ORDER BY cnt DESC";
    }
  }
  EXPECT_EQ(got, expected);
}

TEST_F(CheatSheetTest, Query2HourlyBuckets) {
  std::map<std::string, int64_t> expected;  // 'YYYY-MM-DD HH:00:00' sorts chronologically
  for (const Event& e : *events_) ++expected[FormatUtc(e.created_s, "%Y-%m-%d %H:00:00")];
  const auto rows = Run(1);
  ASSERT_EQ(rows.size(), expected.size());
  ASSERT_EQ(rows.size(), 5u * 24u);
  auto it = expected.begin();
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    ASSERT_EQ(row[0].type, SQLITE_TEXT);
    EXPECT_EQ(row[0].s, it->first);  // in ORDER BY 1 order
    EXPECT_EQ(row[1].i, it->second) << it->first;
    ++it;
  }
  EXPECT_EQ(rows.front()[0].s, "2026-05-10 00:00:00");
  EXPECT_EQ(rows.back()[0].s, "2026-05-14 23:00:00");
}

TEST_F(CheatSheetTest, Query3RowNumberPerKindNewestFirst) {
  // Per kind, the ids by created_at; a row's rank lies after every strictly newer row and
  // within its run of equal timestamps (whose order ROW_NUMBER leaves open, in DuckDB too).
  std::map<std::string, std::vector<const Event*>> by_kind;
  for (const Event& e : *events_) by_kind[e.kind].push_back(&e);
  struct Range {
    int64_t first, last;
  };
  std::map<int64_t, Range> expected;  // id -> allowed rn range
  std::vector<int64_t> unique_ids;    // ids whose (kind, created_at) is unique
  for (auto& [kind, list] : by_kind) {
    std::sort(list.begin(), list.end(),
              [](const Event* a, const Event* b) { return a->created_s > b->created_s; });
    size_t i = 0;
    while (i < list.size()) {
      size_t j = i;
      while (j < list.size() && list[j]->created_s == list[i]->created_s) ++j;
      for (size_t k = i; k < j; ++k) {
        expected[list[k]->id] = {static_cast<int64_t>(i) + 1, static_cast<int64_t>(j)};
      }
      if (j == i + 1) unique_ids.push_back(list[i]->id);
      i = j;
    }
  }
  const auto rows = Run(2);
  ASSERT_EQ(rows.size(), kRows);
  std::map<std::string, std::vector<int64_t>> ranks;
  std::map<int64_t, int64_t> rn_of;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    const int64_t id = row[0].i;
    const int64_t rn = row[2].i;
    ASSERT_EQ(row[1].s, (*events_)[static_cast<size_t>(id - 1)].kind);
    const Range r = expected.at(id);
    EXPECT_GE(rn, r.first) << "id " << id;
    EXPECT_LE(rn, r.last) << "id " << id;
    ranks[row[1].s].push_back(rn);
    rn_of[id] = rn;
  }
  for (auto& [kind, list] : ranks) {  // 1..n, each once
    std::sort(list.begin(), list.end());
    for (size_t k = 0; k < list.size(); ++k) ASSERT_EQ(list[k], static_cast<int64_t>(k) + 1);
    EXPECT_EQ(list.size(), by_kind[kind].size());
  }
  // A few ids checked exactly: the newest and oldest click, and some with unique timestamps.
  const auto& clicks = by_kind["click"];
  if (clicks[0]->created_s != clicks[1]->created_s) {
    EXPECT_EQ(rn_of[clicks[0]->id], 1);
  }
  if (clicks[clicks.size() - 1]->created_s != clicks[clicks.size() - 2]->created_s) {
    EXPECT_EQ(rn_of[clicks.back()->id], static_cast<int64_t>(clicks.size()));
  }
  ASSERT_GT(unique_ids.size(), 1000u);
  for (size_t k = 0; k < unique_ids.size(); k += unique_ids.size() / 7) {
    EXPECT_EQ(rn_of[unique_ids[k]], expected[unique_ids[k]].first) << "id " << unique_ids[k];
  }
}

TEST_F(CheatSheetTest, Query4TierCounts) {
  std::map<std::optional<std::string>, int64_t> expected;
  for (const Event& e : *events_) ++expected[e.tier];
  const auto rows = Run(3);
  std::map<std::optional<std::string>, int64_t> got;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    ASSERT_TRUE(row[0].type == SQLITE_TEXT || row[0].type == SQLITE_NULL);
    std::optional<std::string> tier;
    if (row[0].type == SQLITE_TEXT) tier = row[0].s;
    EXPECT_EQ(got.count(tier), 0u) << "one group per tier";
    got[tier] = row[1].i;
  }
  EXPECT_EQ(got, expected);
  // 'prémium' written as "pr\u00e9mium" and as raw UTF-8 is one group; the number is text.
  EXPECT_EQ(got.size(), 7u);  // free, pro, enterprise, gold, prémium, "2", NULL
  EXPECT_GT(got.at(std::nullopt), 0);
  EXPECT_GT(got.at(std::string("2")), 0);
}

TEST_F(CheatSheetTest, Query5P95WithDuckDbsFormula) {
  std::vector<double> d;
  for (const Event& e : *events_) {
    if (e.duration_ms) d.push_back(static_cast<double>(*e.duration_ms));
  }
  std::sort(d.begin(), d.end());
  // DuckDB's quantile_cont: RN = (n - 1) * q; lo*(1 - (RN - floor)) + hi*(RN - floor).
  const double rn = static_cast<double>(d.size() - 1) * 0.95;
  const auto lo = static_cast<size_t>(std::floor(rn));
  const auto hi = static_cast<size_t>(std::ceil(rn));
  const double frac = rn - static_cast<double>(lo);
  const double expected = lo == hi ? d[lo] : d[lo] * (1.0 - frac) + d[hi] * frac;
  // The data makes this a real interpolation between two different values.
  ASSERT_NE(lo, hi);
  ASSERT_NE(d[lo], d[hi]);
  EXPECT_NE(expected, std::floor(expected));
  const auto rows = Run(4);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 1u);
  ASSERT_EQ(rows[0][0].type, SQLITE_FLOAT);
  EXPECT_EQ(rows[0][0].d, expected);  // exactly: the same arithmetic
  EXPECT_GT(expected, 500.0);
}

}  // namespace
}  // namespace k3
