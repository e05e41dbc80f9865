// Tests of tables/history: change capture with SQLite sessions, history entries, retention and
// restore (RevertTo), on a raw SQLite connection to a temporary file in WAL mode.
//
// The model test runs random inserts, upserts (INSERT ... ON CONFLICT DO UPDATE), REPLACEs
// (which delete rows conflicting on the key or a unique column), value updates, primary key
// updates (recorded by sessions as DELETE + INSERT), deletes, no-op writes and writes that
// change a row several times, each in its own transaction with a ChangeCapture and
// AppendHistory, and snapshots the table after every version. Then, from the final state and
// inside a transaction rolled back afterwards, RevertTo(v) must give exactly the snapshot of v
// for every earlier v, in descending and in random order. It runs on four table shapes: an
// INTEGER PRIMARY KEY, a composite PRIMARY KEY (rowid table and WITHOUT ROWID), and a hidden
// `_k3_rowid INTEGER PRIMARY KEY` next to the user's columns. The seed is fixed and printed;
// set K3_HISTORY_SEED to replay another.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tables/history.h"

namespace k3::tables {
namespace {

using Snapshot = std::vector<std::string>;  // encoded rows, sorted

constexpr uint64_t kDefaultSeed = 0x6b33'4859'5354ull;

// One row as text that tells every storage class and value apart (1, 1.0 and '1' differ).
std::string EncodeRow(sqlite3_stmt* stmt) {
  std::string out;
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL:
        out += "N;";
        break;
      case SQLITE_INTEGER:
        out += "I" + std::to_string(sqlite3_column_int64(stmt, i)) + ";";
        break;
      case SQLITE_FLOAT: {
        double d = sqlite3_column_double(stmt, i);
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        out += "F" + std::to_string(bits) + ";";
        break;
      }
      case SQLITE_TEXT: {
        const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        int n = sqlite3_column_bytes(stmt, i);
        out += "T" + std::to_string(n) + ":" + std::string(p, n) + ";";
        break;
      }
      default: {
        int n = sqlite3_column_bytes(stmt, i);
        const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        out += "B" + std::to_string(n) + ":" + (n > 0 ? std::string(p, n) : std::string()) + ";";
        break;
      }
    }
  }
  return out;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = dir_.path() + "/tables.db";
    ASSERT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    // As the table engine configures its writer.
    sqlite3_extended_result_codes(db_, 1);
    int ignored = 0;
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored);
    Sql("PRAGMA journal_mode=WAL");
    Sql("PRAGMA foreign_keys=ON");
    Sql("PRAGMA synchronous=NORMAL");
    Status s = EnsureHistorySchema(db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = EnsureHistorySchema(db_);  // idempotent
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override { sqlite3_close(db_); }

  // Runs SQL with bound parameters; returns false (and records a failure unless
  // `may_fail`) on error.
  bool Run(const std::string& sql, const std::vector<Value>& params = {}, bool may_fail = false) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return false;
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        sqlite3_bind_null(stmt, idx);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt, idx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      } else if (auto* b = std::get_if<std::vector<uint8_t>>(&v)) {
        sqlite3_bind_blob(stmt, idx, b->empty() ? "" : reinterpret_cast<const char*>(b->data()),
                          static_cast<int>(b->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int(stmt, idx, std::get<bool>(v) ? 1 : 0);
      }
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      if (!may_fail) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return false;
    }
    return true;
  }
  void Sql(const std::string& sql) { Run(sql); }

  Snapshot Snap(const std::string& table = "t") {
    Snapshot rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, ("SELECT * FROM " + table).c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
    while (sqlite3_step(stmt) == SQLITE_ROW) rows.push_back(EncodeRow(stmt));
    sqlite3_finalize(stmt);
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // One write: a transaction with a ChangeCapture around `body`, appended as `version`.
  Status Write(const std::string& table, uint64_t version, const std::string& op,
               const std::function<void()>& body, uint32_t retention = 1000,
               std::string* changeset_out = nullptr, bool append_only = false) {
    Sql("BEGIN IMMEDIATE");
    auto capture =
        append_only ? ChangeCapture::BeginAppendOnly(db_, table) : ChangeCapture::Begin(db_, table);
    if (!capture.ok()) {
      Sql("ROLLBACK");
      return capture.status();
    }
    int64_t before = sqlite3_total_changes64(db_);
    body();
    int64_t rows = sqlite3_total_changes64(db_) - before;
    Result<std::string> changeset = (*capture)->Finish();
    if (!changeset.ok()) {
      Sql("ROLLBACK");
      return changeset.status();
    }
    if (changeset_out != nullptr) *changeset_out = *changeset;
    Status s =
        AppendHistory(db_, table, version, op, static_cast<uint64_t>(rows),
                      1'700'000'000'000 + static_cast<int64_t>(version), *changeset, retention);
    Sql(s.ok() ? "COMMIT" : "ROLLBACK");
    return s;
  }

  // RevertTo(version) inside a transaction that is rolled back: the rows it gave, or the error.
  Result<Snapshot> TryRevert(uint64_t version, const std::string& table = "t") {
    Sql("BEGIN IMMEDIATE");
    Status s = RevertTo(db_, table, version);
    Snapshot rows = Snap(table);
    Sql("ROLLBACK");
    if (!s.ok()) return s;
    return rows;
  }

  test::TempDir dir_;
  sqlite3* db_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// The model test.

enum class Shape { kIntegerPk, kCompositePk, kWithoutRowid, kHiddenRowid };

std::string ShapeName(Shape s) {
  switch (s) {
    case Shape::kIntegerPk:
      return "IntegerPk";
    case Shape::kCompositePk:
      return "CompositePk";
    case Shape::kWithoutRowid:
      return "WithoutRowid";
    case Shape::kHiddenRowid:
      return "HiddenRowid";
  }
  return "?";
}

std::string CreateSql(Shape s) {
  const std::string cols =
      "k TEXT NOT NULL UNIQUE, n INTEGER, r REAL, s TEXT, b BLOB, x";  // k: a merge key
  switch (s) {
    case Shape::kIntegerPk:
      return "CREATE TABLE t(id INTEGER PRIMARY KEY, g TEXT NOT NULL, " + cols + ")";
    case Shape::kCompositePk:
      return "CREATE TABLE t(g TEXT NOT NULL, id INTEGER NOT NULL, " + cols +
             ", PRIMARY KEY(g, id))";
    case Shape::kWithoutRowid:
      return "CREATE TABLE t(g TEXT NOT NULL, id INTEGER NOT NULL, " + cols +
             ", PRIMARY KEY(g, id)) WITHOUT ROWID";
    case Shape::kHiddenRowid:
      return "CREATE TABLE t(_k3_rowid INTEGER PRIMARY KEY, g TEXT NOT NULL, id INTEGER NOT "
             "NULL, " +
             cols + ")";
  }
  return "";
}

class HistoryModelTest : public HistoryTest, public ::testing::WithParamInterface<Shape> {};

Value RandomValue(std::mt19937_64& rng) {
  static const std::vector<std::string> texts = {"",
                                                 "plain",
                                                 "héllo wörld",
                                                 "日本語テキスト",
                                                 "emoji 🙂🚀",
                                                 std::string("nul\0inside", 10),
                                                 "it's \"quoted\"",
                                                 "Ω≈ç√∫"};
  switch (rng() % 9) {
    case 0:
      return std::monostate{};
    case 1:
      return static_cast<int64_t>(rng() % 2000) - 1000;
    case 2:
      return rng() % 2 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    case 3:
      return static_cast<double>(static_cast<int64_t>(rng() % 100000) - 50000) / 7.0;
    case 4:
    case 5:
      return texts[rng() % texts.size()];
    case 6: {
      std::vector<uint8_t> blob(rng() % 40);
      for (auto& byte : blob) byte = static_cast<uint8_t>(rng());
      return blob;
    }
    case 7:
      return std::vector<uint8_t>{};  // an empty blob, not NULL
    default:
      return rng() % 2 == 0;
  }
}

TEST_P(HistoryModelTest, RevertToEveryEarlierVersion) {
  uint64_t seed = kDefaultSeed;
  if (const char* env = std::getenv("K3_HISTORY_SEED")) seed = std::strtoull(env, nullptr, 0);
  std::cout << "K3_HISTORY_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed + static_cast<uint64_t>(GetParam()));

  Sql(CreateSql(GetParam()));
  const std::vector<std::string> groups = {"eu", "us", "日本"};
  std::vector<std::string> keys;  // merge keys used so far
  int64_t next_id = 1;
  int next_key = 0;
  auto fresh_key = [&] {
    int n = next_key++;
    std::string k = (n % 3 == 0 ? "kλ" : "k") + std::to_string(n);
    keys.push_back(k);
    return k;
  };
  auto some_key = [&] {
    return keys.empty() || rng() % 3 == 0 ? fresh_key() : keys[rng() % keys.size()];
  };
  auto some_group = [&] { return groups[rng() % groups.size()]; };
  auto insert_sql = [](const std::string& verb, const std::string& tail) {
    return verb + " INTO t(g, id, k, n, r, s, b, x) VALUES(?, ?, ?, ?, ?, ?, ?, ?)" + tail;
  };
  auto row_params = [&](const std::string& g, int64_t id, const std::string& k) {
    return std::vector<Value>{g,
                              id,
                              k,
                              RandomValue(rng),
                              RandomValue(rng),
                              RandomValue(rng),
                              RandomValue(rng),
                              RandomValue(rng)};
  };

  std::map<uint64_t, Snapshot> snaps;
  snaps[0] = Snap();
  constexpr uint64_t kVersions = 70;
  std::map<std::string, int> op_counts;
  uint64_t empty_changesets = 0;
  for (uint64_t version = 1; version <= kVersions; ++version) {
    // The first writes insert, so that the later ones find rows.
    int op = version <= 3 ? 0 : static_cast<int>(rng() % 9);
    static const char* kOpNames[] = {"INSERT", "UPSERT", "REPLACE", "UPDATE", "UPDATE_PK",
                                     "DELETE", "NOOP",   "CHURN",   "MIXED"};
    std::string changeset;
    // Plain inserts into the hidden-rowid shape leave the key to SQLite: half of them use the
    // append-only capture.
    const bool append_only = op == 0 && GetParam() == Shape::kHiddenRowid && rng() % 2 == 0;
    if (append_only) op_counts["(append-only)"]++;
    Status s = Write(
        "t", version, kOpNames[op],
        [&] {
          switch (op) {
            case 0:  // plain insert of new rows
              for (int i = 0, n = 1 + static_cast<int>(rng() % 5); i < n; ++i) {
                Run(insert_sql("INSERT", ""), row_params(some_group(), next_id++, fresh_key()));
              }
              break;
            case 1:  // upsert on the merge key
              for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) {
                Run(insert_sql("INSERT",
                               " ON CONFLICT(k) DO UPDATE SET n = excluded.n, "
                               "s = excluded.s, b = excluded.b, x = excluded.x"),
                    row_params(some_group(), next_id++, some_key()));
              }
              break;
            case 2:  // REPLACE: may delete a row conflicting on the key and one on k
              for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
                int64_t id = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(next_id - 1));
                Run(insert_sql("INSERT OR REPLACE", ""), row_params(some_group(), id, some_key()));
              }
              break;
            case 3:  // update values
              Run("UPDATE t SET n = ?, s = ?, x = ?, b = ? WHERE id % 5 = ?",
                  {RandomValue(rng), RandomValue(rng), RandomValue(rng), RandomValue(rng),
                   static_cast<int64_t>(rng() % 5)});
              break;
            case 4:  // update primary key columns (id everywhere but the hidden-rowid shape)
              Run("UPDATE t SET id = id + ? WHERE id % 4 = ?",
                  {static_cast<int64_t>(version) * 1'000'000, static_cast<int64_t>(rng() % 4)});
              Run("UPDATE OR IGNORE t SET g = ? WHERE id % 3 = ?",
                  {some_group(), static_cast<int64_t>(rng() % 3)});
              break;
            case 5:  // delete
              if (rng() % 2) {
                Run("DELETE FROM t WHERE id % 4 = ?", {static_cast<int64_t>(rng() % 4)});
              } else {
                Run("DELETE FROM t WHERE k = ?", {some_key()});
              }
              break;
            case 6:  // changes nothing
              Run(rng() % 2 ? "UPDATE t SET n = n, s = s" : "DELETE FROM t WHERE 0");
              break;
            case 7: {  // a row inserted, updated and deleted again; another changed twice
              int64_t id = next_id++;
              Run(insert_sql("INSERT", ""), row_params(some_group(), id, fresh_key()));
              Run("UPDATE t SET s = 'temp' WHERE id = ?", {id});
              Run("DELETE FROM t WHERE id = ?", {id});
              Run("UPDATE t SET x = 'temp' WHERE id % 6 = 1");
              Run("UPDATE t SET x = ? WHERE id % 6 = 1", {RandomValue(rng)});
              break;
            }
            default:  // several kinds in one write
              Run("DELETE FROM t WHERE id % 7 = ?", {static_cast<int64_t>(rng() % 7)});
              Run(insert_sql("INSERT", ""), row_params(some_group(), next_id++, fresh_key()));
              Run("UPDATE t SET r = ? WHERE id % 3 = 0", {RandomValue(rng)});
              break;
          }
        },
        1000, &changeset, append_only);
    ASSERT_TRUE(s.ok()) << "version " << version << ": " << s.ToString();
    op_counts[kOpNames[op]]++;
    if (changeset.empty()) ++empty_changesets;
    snaps[version] = Snap();
  }
  std::cout << ShapeName(GetParam()) << ": " << kVersions << " versions, final rows "
            << snaps[kVersions].size() << ", empty changesets " << empty_changesets << ", ops";
  for (const auto& [name, count] : op_counts) std::cout << " " << name << "=" << count;
  std::cout << "\n";
  EXPECT_GT(empty_changesets, 0u);

  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), kVersions);
  for (size_t i = 0; i < history->size(); ++i) EXPECT_EQ((*history)[i].version, kVersions - i);

  // Descending, then in random order; each from the final state.
  std::vector<uint64_t> order;
  for (uint64_t v = kVersions; v-- > 0;) order.push_back(v);
  std::vector<uint64_t> shuffled = order;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  order.insert(order.end(), shuffled.begin(), shuffled.end());
  for (uint64_t v : order) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << "RevertTo(" << v << "): " << rows.status().ToString();
    ASSERT_EQ(*rows, snaps[v]) << "RevertTo(" << v << ")";
    ASSERT_EQ(Snap(), snaps[kVersions]) << "rollback after RevertTo(" << v << ")";
  }

  // A restore recorded as a new version (as TableService::restore does), more writes, then
  // restores across it.
  uint64_t version = kVersions;
  for (int round = 0; round < 3; ++round) {
    uint64_t target = rng() % version;
    ++version;
    Status s = Write("t", version, "RESTORE", [&] {
      Status r = RevertTo(db_, "t", target);
      EXPECT_TRUE(r.ok()) << r.ToString();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(Snap(), snaps[target]) << "restore to " << target;
    snaps[version] = Snap();
    ++version;
    s = Write("t", version, "INSERT", [&] {
      Run(insert_sql("INSERT", ""), row_params(some_group(), next_id++, fresh_key()));
      Run("DELETE FROM t WHERE id % 5 = ?", {static_cast<int64_t>(rng() % 5)});
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    snaps[version] = Snap();
  }
  for (uint64_t v = version; v-- > 0;) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << "RevertTo(" << v << "): " << rows.status().ToString();
    ASSERT_EQ(*rows, snaps[v]) << "RevertTo(" << v << ") after restores";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, HistoryModelTest,
                         ::testing::Values(Shape::kIntegerPk, Shape::kCompositePk,
                                           Shape::kWithoutRowid, Shape::kHiddenRowid),
                         [](const auto& info) { return ShapeName(info.param); });

// ---------------------------------------------------------------------------------------------
// Focused tests.

TEST_F(HistoryTest, BlobsNullsUnicodeAndIntegerExtremes) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v, s TEXT, b BLOB)");
  const std::vector<Value> values = {
      std::monostate{},
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<int64_t>::max(),
      int64_t{0},
      -0.0,
      1e308,
      std::string(),
      std::string("ünïcödé 日本 🙂"),
      std::string("a\0b", 3),
      std::vector<uint8_t>{},
      std::vector<uint8_t>{0, 255, 0, 1, 0x80},
  };
  std::map<uint64_t, Snapshot> snaps{{0, Snap()}};
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] {
                for (size_t i = 0; i < values.size(); ++i) {
                  Run("INSERT INTO t(id, v, s, b) VALUES(?, ?, ?, ?)",
                      {static_cast<int64_t>(i), values[i], values[(i + 3) % values.size()],
                       values[(i + 5) % values.size()]});
                }
              }).ok());
  snaps[1] = Snap();
  ASSERT_TRUE(Write("t", 2, "UPDATE", [&] {
                for (size_t i = 0; i < values.size(); ++i) {
                  Run("UPDATE t SET v = ?, b = ? WHERE id = ?",
                      {values[(i + 1) % values.size()], values[(i + 7) % values.size()],
                       static_cast<int64_t>(i)});
                }
              }).ok());
  snaps[2] = Snap();
  ASSERT_TRUE(Write("t", 3, "DELETE", [&] { Run("DELETE FROM t WHERE id % 2 = 0"); }).ok());
  snaps[3] = Snap();
  ASSERT_TRUE(Write("t", 4, "UPDATE", [&] { Run("UPDATE t SET id = -id"); }).ok());
  snaps[4] = Snap();
  for (uint64_t v : {3, 2, 1, 0, 2, 0, 1}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, snaps[v]) << "version " << v;
  }
  EXPECT_EQ(Snap(), snaps[4]);
}

TEST_F(HistoryTest, WriteThatChangesNothingHasAnEmptyChangeset) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(1, 'a'), (2, 'b')"); }).ok());
  Snapshot after1 = Snap();
  std::string changeset = "x";
  ASSERT_TRUE(Write(
                  "t", 2, "UPDATE", [&] { Run("UPDATE t SET v = v"); }, 1000, &changeset)
                  .ok());
  EXPECT_TRUE(changeset.empty());
  ASSERT_TRUE(Write(
                  "t", 3, "DELETE", [&] { Run("DELETE FROM t WHERE id > 5"); }, 1000, &changeset)
                  .ok());
  EXPECT_TRUE(changeset.empty());
  // Net zero inside one write: inserted and deleted again.
  ASSERT_TRUE(Write(
                  "t", 4, "EXECUTE",
                  [&] {
                    Run("INSERT INTO t VALUES(3, 'c')");
                    Run("DELETE FROM t WHERE id = 3");
                  },
                  1000, &changeset)
                  .ok());
  EXPECT_TRUE(changeset.empty());

  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].version, 4u);
  EXPECT_EQ((*history)[0].operation, "EXECUTE");
  EXPECT_EQ((*history)[2].operation, "UPDATE");
  EXPECT_EQ((*history)[2].rows_affected, 2u);  // what the caller reported
  EXPECT_EQ((*history)[3].time, 1'700'000'000'001);
  for (uint64_t v : {3, 2, 1}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, after1);
  }
  auto rows = TryRevert(0);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
  // Reverting to the current version changes nothing.
  rows = TryRevert(4);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, after1);
}

TEST_F(HistoryTest, RetentionPrunesOldestAndRefusesRestoresBeyondIt) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)");
  std::map<uint64_t, Snapshot> snaps;
  for (uint64_t v = 1; v <= 6; ++v) {
    ASSERT_TRUE(Write(
                    "t", v, "INSERT",
                    [&] {
                      Run("INSERT INTO t VALUES(?, ?)", {static_cast<int64_t>(v), int64_t{10}});
                      Run("UPDATE t SET v = v + 1");
                    },
                    3)
                    .ok());
    snaps[v] = Snap();
  }
  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].version, 6u);
  EXPECT_EQ((*history)[2].version, 4u);

  for (uint64_t v : {4, 5, 6}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, snaps[v]);
  }
  for (uint64_t v : {0, 1, 3}) {
    auto rows = TryRevert(v);
    ASSERT_FALSE(rows.ok()) << v;
    EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(rows.status().message().find("older than the retained history"), std::string::npos)
        << rows.status().message();
    EXPECT_NE(rows.status().message().find("oldest version that can be restored is 4"),
              std::string::npos)
        << rows.status().message();
  }
  EXPECT_EQ(Snap(), snaps[6]);

  // A larger retention keeps more from now on; a smaller one prunes at the next write.
  ASSERT_TRUE(Write(
                  "t", 7, "DELETE", [&] { Run("DELETE FROM t WHERE id = 2"); }, 1)
                  .ok());
  history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ(TryRevert(6).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(TryRevert(7).ok());
}

TEST_F(HistoryTest, RetentionZeroKeepsNoHistory) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(1, 1)"); }).ok());
  ASSERT_TRUE(Write(
                  "t", 2, "INSERT", [&] { Run("INSERT INTO t VALUES(2, 2)"); }, 0)
                  .ok());
  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  for (uint64_t v : {0, 1, 2}) {
    EXPECT_EQ(TryRevert(v).status().code(), StatusCode::kFailedPrecondition) << v;
  }
  // Versions keep growing after it.
  EXPECT_EQ(Write("t", 2, "INSERT", [] {}).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(Write("t", 3, "INSERT", [&] { Run("INSERT INTO t VALUES(3, 3)"); }).ok());
  EXPECT_TRUE(TryRevert(3).ok());
  EXPECT_EQ(TryRevert(0).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(HistoryTest, VersionsNeedNotBeContiguous) {
  // E.g. a bucket-wide counter: this table's versions are 10, 20, 30.
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  std::map<uint64_t, Snapshot> snaps{{0, Snap()}};
  for (uint64_t v : {10, 20, 30}) {
    ASSERT_TRUE(Write("t", v, "INSERT", [&] {
                  Run("INSERT INTO t VALUES(?, 'x')", {static_cast<int64_t>(v)});
                }).ok());
    snaps[v] = Snap();
  }
  for (uint64_t v : {20, 10, 0}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, snaps[v]);
  }
  for (uint64_t v : {5, 15, 31, 1000}) {
    auto rows = TryRevert(v);
    ASSERT_FALSE(rows.ok());
    EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(rows.status().message().find("is not a version of this table"), std::string::npos)
        << rows.status().message();
  }
  // Appending an older version than the latest is refused.
  EXPECT_EQ(Write("t", 25, "INSERT", [] {}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Write("t", 30, "INSERT", [] {}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Snap(), snaps[30]);
}

TEST_F(HistoryTest, SchemaChangeRefused) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(1, 'a')"); }).ok());
  ASSERT_TRUE(Write("t", 2, "INSERT", [&] { Run("INSERT INTO t VALUES(2, 'b')"); }).ok());
  Sql("ALTER TABLE t ADD COLUMN w INTEGER");
  Snapshot now = Snap();
  // The change happened after the last write.
  for (uint64_t v : {0, 1, 2}) {
    auto rows = TryRevert(v);
    ASSERT_FALSE(rows.ok()) << v;
    EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(rows.status().message().find("schema changed"), std::string::npos)
        << rows.status().message();
  }
  EXPECT_EQ(Snap(), now);
  // Writes after it can be undone up to the change, not across it.
  ASSERT_TRUE(Write("t", 3, "INSERT", [&] { Run("INSERT INTO t VALUES(3, 'c', 7)"); }).ok());
  Snapshot v3 = Snap();
  ASSERT_TRUE(Write("t", 4, "UPDATE", [&] { Run("UPDATE t SET w = 1"); }).ok());
  auto rows = TryRevert(3);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, v3);
  EXPECT_EQ(TryRevert(2).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(TryRevert(0).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(HistoryTest, ChangeOutsideHistoryAbortsAndLeavesTableUnchanged) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(1, 'a'), (2, 'b')"); }).ok());
  ASSERT_TRUE(Write("t", 2, "UPDATE", [&] { Run("UPDATE t SET v = 'B' WHERE id = 2"); }).ok());
  ASSERT_TRUE(Write("t", 3, "INSERT", [&] { Run("INSERT INTO t VALUES(3, 'c')"); }).ok());
  Sql("UPDATE t SET v = 'changed' WHERE id = 2");  // not captured
  Snapshot now = Snap();

  // Version 3 undoes cleanly; version 2's undo finds 'changed' where history says 'B'.
  Sql("BEGIN IMMEDIATE");
  Status s = RevertTo(db_, "t", 1);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.message();
  EXPECT_EQ(Snap(), now);                     // the savepoint undid version 3's undo as well
  EXPECT_FALSE(sqlite3_get_autocommit(db_));  // the caller's transaction is still open
  Sql("ROLLBACK");

  // A row added outside history makes version 0 unreachable.
  Sql("DELETE FROM t");
  ASSERT_TRUE(Write("t", 4, "INSERT", [&] { Run("INSERT INTO t VALUES(9, 'z')"); }).ok());
  auto rows = TryRevert(3);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
  EXPECT_EQ(TryRevert(2).status().code(), StatusCode::kAborted);
}

TEST_F(HistoryTest, UniqueKeyMovedBetweenRowsIsUndone) {
  // A REPLACE that takes a unique key from another row: undoing it must delete the new row
  // before the old one comes back (sessions retry constraint failures at the end).
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] {
                Run("INSERT INTO t VALUES(1, 'a', 'x'), (2, 'b', 'y')");
              }).ok());
  Snapshot v1 = Snap();
  ASSERT_TRUE(Write("t", 2, "REPLACE", [&] {
                Run("INSERT OR REPLACE INTO t VALUES(3, 'a', 'new')");
                Run("UPDATE t SET k = 'a2' WHERE id = 3");
                Run("UPDATE t SET k = 'a' WHERE id = 2");
              }).ok());
  auto rows = TryRevert(1);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, v1);
}

TEST_F(HistoryTest, DropHistoryForgetsTheTable) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  Sql("CREATE TABLE u(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(1, 'a')"); }).ok());
  ASSERT_TRUE(Write(
                  "t", 2, "INSERT", [&] { Run("INSERT INTO t VALUES(2, 'b')"); }, 1)
                  .ok());
  ASSERT_TRUE(Write("u", 1, "INSERT", [&] { Run("INSERT INTO u VALUES(1, 'a')"); }).ok());
  ASSERT_TRUE(DropHistory(db_, "t").ok());
  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  EXPECT_EQ(TryRevert(1).status().code(), StatusCode::kFailedPrecondition);
  // Version 0 is not reachable with rows left and no history to undo them.
  EXPECT_EQ(TryRevert(0).status().code(), StatusCode::kAborted);
  // The other table's history is intact; a re-created t starts clean.
  history = ReadHistory(db_, "u");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);
  auto rows = TryRevert(0, "u");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
  Sql("DROP TABLE t");
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] { Run("INSERT INTO t VALUES(5, 'e')"); }).ok());
  rows = TryRevert(0);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
  EXPECT_TRUE(DropHistory(db_, "never-had-history").ok());
}

TEST_F(HistoryTest, UntrackableTablesAreRefused) {
  Sql("CREATE TABLE nokey(a, b)");
  Sql("CREATE TABLE nullable_key(a TEXT PRIMARY KEY, b)");
  Sql("CREATE TABLE desc_key(a INTEGER PRIMARY KEY DESC, b)");  // not a rowid alias
  Sql("CREATE TABLE nullable_part(a TEXT NOT NULL, c INT, b, PRIMARY KEY(a, c))");
  for (const char* table : {"nokey", "nullable_key", "desc_key", "nullable_part"}) {
    auto capture = ChangeCapture::Begin(db_, table);
    ASSERT_FALSE(capture.ok()) << table;
    EXPECT_EQ(capture.status().code(), StatusCode::kFailedPrecondition) << table;
  }
  EXPECT_NE(ChangeCapture::Begin(db_, "nokey").status().message().find("no PRIMARY KEY"),
            std::string::npos);
  EXPECT_NE(ChangeCapture::Begin(db_, "nullable_key").status().message().find("NOT NULL"),
            std::string::npos);
  EXPECT_EQ(ChangeCapture::Begin(db_, "missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RevertTo(db_, "missing", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(AppendHistory(db_, "missing", 1, "INSERT", 0, 0, "", 10).code(), StatusCode::kNotFound);

  // Trackable shapes, including odd names.
  Sql("CREATE TABLE \"we\"\"ird name\"(a TEXT NOT NULL PRIMARY KEY, b)");
  Sql("CREATE TABLE wr(a TEXT PRIMARY KEY, b) WITHOUT ROWID");
  for (const char* table : {"we\"ird name", "wr"}) {
    auto capture = ChangeCapture::Begin(db_, table);
    ASSERT_TRUE(capture.ok()) << table << ": " << capture.status().ToString();
  }
  ASSERT_TRUE(Write("we\"ird name", 1, "INSERT", [&] {
                Run("INSERT INTO \"we\"\"ird name\" VALUES('k', 1)");
              }).ok());
  Sql("BEGIN");
  Status s = RevertTo(db_, "we\"ird name", 0);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(Snap("\"we\"\"ird name\"").empty());
  Sql("ROLLBACK");
}

TEST_F(HistoryTest, FinishTwiceAndCaptureWithoutWrites) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  auto capture = ChangeCapture::Begin(db_, "t");
  ASSERT_TRUE(capture.ok());
  auto changeset = (*capture)->Finish();
  ASSERT_TRUE(changeset.ok());
  EXPECT_TRUE(changeset->empty());
  EXPECT_EQ((*capture)->Finish().status().code(), StatusCode::kFailedPrecondition);
  // A capture destroyed without Finish (a failed write) is harmless.
  {
    auto abandoned = ChangeCapture::Begin(db_, "t");
    ASSERT_TRUE(abandoned.ok());
    Sql("INSERT INTO t VALUES(1, 'a')");
  }
  Sql("DELETE FROM t");
}

TEST_F(HistoryTest, AppendOnlyCaptureRecordsTheAddedKeyRange) {
  Sql("CREATE TABLE t(_k3_rowid INTEGER PRIMARY KEY, v TEXT, b BLOB)");
  std::map<uint64_t, Snapshot> snaps{{0, Snap()}};
  auto append = [&](uint64_t version, int rows, std::string* record) {
    return Write(
        "t", version, "INSERT",
        [&] {
          for (int i = 0; i < rows; ++i) {
            Run("INSERT INTO t(v, b) VALUES(?, ?)",
                {std::string("row ") + std::to_string(i) + " ✓",
                 std::vector<uint8_t>{0, static_cast<uint8_t>(i)}});
          }
        },
        1000, record, /*append_only=*/true);
  };
  std::string record;
  ASSERT_TRUE(append(1, 1000, &record).ok());
  EXPECT_EQ(record.size(), 33u);  // not a copy of the rows
  snaps[1] = Snap();
  ASSERT_TRUE(Write("t", 2, "DELETE", [&] { Run("DELETE FROM t WHERE _k3_rowid > 990"); }).ok());
  snaps[2] = Snap();
  ASSERT_TRUE(append(3, 20, &record).ok());  // reuses keys 991..1010
  snaps[3] = Snap();
  ASSERT_TRUE(append(4, 0, &record).ok());
  EXPECT_TRUE(record.empty());
  snaps[4] = Snap();
  ASSERT_TRUE(
      Write("t", 5, "UPDATE", [&] { Run("UPDATE t SET v = NULL WHERE _k3_rowid % 2 = 0"); }).ok());
  snaps[5] = Snap();
  ASSERT_TRUE(append(6, 5, &record).ok());
  snaps[6] = Snap();
  for (uint64_t v : {5, 4, 3, 2, 1, 0, 3, 1}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << v << ": " << rows.status().ToString();
    EXPECT_EQ(*rows, snaps[v]) << "version " << v;
  }
  // A restore across an append-only version, recorded as a version, can itself be undone.
  ASSERT_TRUE(Write("t", 7, "RESTORE", [&] { ASSERT_TRUE(RevertTo(db_, "t", 2).ok()); }).ok());
  EXPECT_EQ(Snap(), snaps[2]);
  auto rows = TryRevert(6);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, snaps[6]);

  // A row of an appended range deleted outside history: the undo is refused.
  Sql("DELETE FROM t WHERE _k3_rowid = 3");
  EXPECT_EQ(TryRevert(0).status().code(), StatusCode::kAborted);

  // AUTOINCREMENT: new keys start above the high-water mark, not at the largest key + 1.
  Sql("CREATE TABLE ai(id INTEGER PRIMARY KEY AUTOINCREMENT, v)");
  std::map<uint64_t, Snapshot> ai{{0, Snap("ai")}};
  ASSERT_TRUE(Write(
                  "ai", 1, "INSERT", [&] { Run("INSERT INTO ai(v) VALUES(1), (2), (3)"); }, 1000,
                  &record, /*append_only=*/true)
                  .ok());
  ai[1] = Snap("ai");
  ASSERT_TRUE(Write("ai", 2, "DELETE", [&] { Run("DELETE FROM ai WHERE id = 3"); }).ok());
  ai[2] = Snap("ai");
  ASSERT_TRUE(Write(
                  "ai", 3, "INSERT", [&] { Run("INSERT INTO ai(v) VALUES(4), (5)"); }, 1000,
                  &record, /*append_only=*/true)
                  .ok());  // keys 4 and 5
  for (uint64_t v : {2, 1, 0}) {
    auto ai_rows = TryRevert(v, "ai");
    ASSERT_TRUE(ai_rows.ok()) << v << ": " << ai_rows.status().ToString();
    EXPECT_EQ(*ai_rows, ai[v]) << "version " << v;
  }

  Sql("CREATE TABLE keyed(k TEXT NOT NULL PRIMARY KEY, v)");
  EXPECT_EQ(ChangeCapture::BeginAppendOnly(db_, "keyed").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ChangeCapture::BeginAppendOnly(db_, "missing").status().code(), StatusCode::kNotFound);
  auto capture = ChangeCapture::BeginAppendOnly(db_, "t");
  ASSERT_TRUE(capture.ok());
  ASSERT_TRUE((*capture)->Finish().ok());
  EXPECT_EQ((*capture)->Finish().status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(HistoryTest, CreateRecordedAsVersionZero) {
  // The table engine appends a "CREATE" entry as version 0 with an empty changeset.
  Sql("CREATE TABLE t(_k3_rowid INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(AppendHistory(db_, "t", 0, "CREATE", 0, 1, "", 3).ok());
  EXPECT_EQ(AppendHistory(db_, "t", 0, "CREATE", 0, 1, "", 3).code(), StatusCode::kAlreadyExists);
  std::map<uint64_t, Snapshot> snaps{{0, Snap()}};
  for (uint64_t v = 1; v <= 2; ++v) {
    ASSERT_TRUE(Write(
                    "t", v, "INSERT", [&] { Run("INSERT INTO t(v) VALUES('x'), ('y')"); }, 3)
                    .ok());
    snaps[v] = Snap();
  }
  auto history = ReadHistory(db_, "t");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(history->back().operation, "CREATE");
  EXPECT_EQ(history->back().version, 0u);
  for (uint64_t v : {1, 0}) {
    auto rows = TryRevert(v);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, snaps[v]);
  }
  // The next write prunes the CREATE entry (retention 3): version 0 is out of reach.
  ASSERT_TRUE(Write(
                  "t", 3, "DELETE", [&] { Run("DELETE FROM t WHERE v = 'x'"); }, 3)
                  .ok());
  EXPECT_EQ(TryRevert(0).status().code(), StatusCode::kFailedPrecondition);
  auto rows = TryRevert(1);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, snaps[1]);
}

TEST_F(HistoryTest, OnlyTheCapturedTableIsRecorded) {
  Sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  Sql("CREATE TABLE other(id INTEGER PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(Write("t", 1, "INSERT", [&] {
                Run("INSERT INTO t VALUES(1, 'a')");
                Run("INSERT INTO other VALUES(1, 'a')");
              }).ok());
  Sql("BEGIN");
  ASSERT_TRUE(RevertTo(db_, "t", 0).ok());
  EXPECT_TRUE(Snap("t").empty());
  EXPECT_EQ(Snap("other").size(), 1u);
  Sql("ROLLBACK");
}

}  // namespace
}  // namespace k3::tables
