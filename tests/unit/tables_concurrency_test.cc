// TableService under concurrency: 4 reader threads query aggregate invariants while a writer
// writes. Every write moves money between accounts (or adds and removes an empty account), so
// the total and the number of funded accounts never change: a reader that saw part of a write
// would see another total. Readers must never fail (in particular never with SQLITE_BUSY).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr char kBucket[] = "busy";
constexpr int kAccounts = 20;
constexpr int64_t kStart = 1000;
constexpr int64_t kTotal = kAccounts * kStart;
constexpr int kWrites = 400;
constexpr int kReaders = 4;

TEST(TablesConcurrency, ReadersNeverSeePartialWritesNorFail) {
  test::TempDir dir;
  auto opened = Db::open(dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Db db = std::move(opened).value();
  TableService& tables = db.tables();
  ASSERT_TRUE(db.storage().create_bucket({.name = kBucket}).ok());
  ASSERT_TRUE(tables.configure_engine(kBucket).ok());
  ASSERT_TRUE(tables
                  .create_table({.bucket = kBucket,
                                 .name = "accounts",
                                 .columns = {{"id", ColumnType::kLong, false},
                                             {"balance", ColumnType::kLong, false}},
                                 .merge_keys = {"id"}})
                  .ok());
  std::vector<Row> rows;
  std::vector<int64_t> balance(kAccounts, kStart);
  for (int i = 0; i < kAccounts; ++i) rows.push_back({{"id", int64_t{i}}, {"balance", kStart}});
  ASSERT_TRUE(tables.insert_rows(kBucket, "accounts", rows).ok());

  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) {
    std::lock_guard lock(failures_mu);
    if (failures.size() < 20) failures.push_back(std::move(what));
  };

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      int n = 0;
      // Read at least a few times after the writer finished, and keep reading while it runs.
      while (!done.load() || n < 5) {
        ++n;
        if ((n + r) % 3 == 0) {
          // A streamed read: sum in C++.
          auto cursor = tables.query_cursor(
              {.bucket = kBucket, .sql = "SELECT balance FROM accounts WHERE balance IS NOT NULL"});
          if (!cursor.ok()) {
            fail("cursor: " + cursor.status().ToString());
            continue;
          }
          int64_t sum = 0;
          for (;;) {
            auto more = cursor->next();
            if (!more.ok()) {
              fail("cursor next: " + more.status().ToString());
              break;
            }
            if (!*more) break;
            sum += std::get<int64_t>(cursor->row()[0]);
          }
          if (sum != kTotal) fail("cursor saw a total of " + std::to_string(sum));
        } else {
          auto result =
              tables.query({.bucket = kBucket,
                            .table_name = "accounts",
                            .sql = "SELECT SUM(balance), COUNT(*) FILTER (WHERE balance > 0), "
                                   "SUM(CASE WHEN id < $1 THEN 1 ELSE 0 END) FROM {table}",
                            .params = {int64_t{kAccounts}}});
          if (!result.ok()) {
            fail("query: " + result.status().ToString());
            continue;
          }
          const auto& row = result->rows.at(0);
          if (std::get<int64_t>(row[0]) != kTotal) {
            fail("query saw a total of " + std::to_string(std::get<int64_t>(row[0])));
          }
          if (std::get<int64_t>(row[2]) != kAccounts) {
            fail("query saw " + std::to_string(std::get<int64_t>(row[2])) + " base accounts");
          }
        }
        reads.fetch_add(1);
      }
    });
  }

  // However the writer ends (an ASSERT returns early), the readers stop and are joined.
  struct JoinReaders {
    std::atomic<bool>& done;
    std::vector<std::thread>& threads;
    ~JoinReaders() {
      done.store(true);
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_readers{done, readers};

  std::mt19937_64 rng(7);
  for (int i = 0; i < kWrites; ++i) {
    const int a = static_cast<int>(rng() % kAccounts);
    const int b = (a + 1 + static_cast<int>(rng() % (kAccounts - 1))) % kAccounts;
    int64_t x = static_cast<int64_t>(rng() % 50);
    Status s;
    switch (i % 4) {
      case 0:  // one SQL statement over two rows
        s = tables
                .execute(kBucket,
                         "UPDATE accounts SET balance = balance + CASE WHEN id = $1 THEN -$3 "
                         "ELSE $3 END WHERE id IN ($1, $2)",
                         {int64_t{a}, int64_t{b}, x})
                .status();
        break;
      case 1:  // an upsert of two rows
        s = tables
                .insert_rows(kBucket, "accounts",
                             {{{"id", int64_t{a}}, {"balance", balance[a] - x}},
                              {{"id", int64_t{b}}, {"balance", balance[b] + x}}})
                .status();
        break;
      case 2:  // a merge of two rows, and an empty account that comes and goes
        s = tables
                .merge({.bucket = kBucket,
                        .table_name = "accounts",
                        .rows = {{{"id", int64_t{a}}, {"balance", balance[a] - x}},
                                 {{"id", int64_t{b}}, {"balance", balance[b] + x}},
                                 {{"id", int64_t{1000 + i}}, {"balance", int64_t{0}}}}})
                .status();
        break;
      default: {  // remove the empty accounts; now and then restore an earlier version
        s = tables
                .delete_rows({.bucket = kBucket,
                              .table_name = "accounts",
                              .where = "id >= 1000 AND balance = 0"})
                .status();
        x = 0;
        if (s.ok() && i % 20 == 19) {
          // Every version holds the same total: a restore is one big write of many rows.
          auto t = tables.get_table(kBucket, "accounts");
          ASSERT_TRUE(t.ok());
          auto restored = tables.restore(kBucket, "accounts", t->version - 3);
          ASSERT_TRUE(restored.ok()) << restored.status().ToString();
          auto now = tables.query({.bucket = kBucket,
                                   .sql = "SELECT id, balance FROM accounts WHERE id < $1",
                                   .params = {int64_t{kAccounts}}});
          ASSERT_TRUE(now.ok());
          for (const auto& row : now->rows) {
            balance[static_cast<size_t>(std::get<int64_t>(row[0]))] = std::get<int64_t>(row[1]);
          }
        }
        break;
      }
    }
    ASSERT_TRUE(s.ok()) << "write " << i << ": " << s.ToString();
    balance[a] -= x;
    balance[b] += x;
  }
  done.store(true);
  for (std::thread& t : readers) t.join();

  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(reads.load(), kReaders * 5);
  auto final_state = tables.query(
      {.bucket = kBucket, .sql = "SELECT id, balance FROM accounts WHERE id < 1000 ORDER BY id"});
  ASSERT_TRUE(final_state.ok());
  ASSERT_EQ(final_state->rows.size(), static_cast<size_t>(kAccounts));
  for (int i = 0; i < kAccounts; ++i) {
    EXPECT_EQ(std::get<int64_t>(final_state->rows[i][1]), balance[i]) << "account " << i;
  }
}

}  // namespace
}  // namespace k3
