// k3_crash_child tables <data_dir> <seed>: the table engine's crash workload.
//
// Opens the directory (creating bucket "crash", its table engine and table "ledger"
// (id LONG merge key, v STRING, amount LONG) when missing), loads the table into an in-memory
// model and prints
//   READY <version> <checksum> <rows>
// then writes forever — upsert batches (1..40 rows, sometimes 400), update_rows and
// delete_rows over id ranges, merges that delete matches and insert the rest — each one
// write, reporting around it:
//   OP <n> <checksum> <rows>                (before: what the table holds if write n lands)
//   ACK <n> <version> <checksum> <rows>     (after: write n is acknowledged as version)
// The checksum is the sum over rows of FNV-1a("id|v|amount"), so it does not depend on row
// order; TableCrash in tests/unit/tables_crash_test.cc computes it the same way.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "k3/k3.hpp"

namespace {

constexpr char kBucket[] = "crash";
constexpr char kTable[] = "ledger";
constexpr int64_t kIds = 300;

struct Entry {
  std::string v;
  int64_t amount = 0;
};
using Model = std::map<int64_t, Entry>;

uint64_t RowHash(int64_t id, const std::string& v, int64_t amount) {
  const std::string s = std::to_string(id) + "|" + v + "|" + std::to_string(amount);
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

uint64_t Checksum(const Model& model) {
  uint64_t sum = 0;
  for (const auto& [id, e] : model) sum += RowHash(id, e.v, e.amount);
  return sum;
}

void Report(const char* what, uint64_t n, const Model& model, const uint64_t* version) {
  if (version != nullptr) {
    std::printf("%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %zu\n", what, n, *version, Checksum(model),
                model.size());
  } else {
    std::printf("%s %" PRIu64 " %" PRIu64 " %zu\n", what, n, Checksum(model), model.size());
  }
  std::fflush(stdout);
}

int Fail(const char* what, const k3::Status& status, int code) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return code;
}

}  // namespace

int RunTablesCrash(const std::string& dir, uint64_t seed) {
  auto db = k3::Db::open(dir);
  if (!db.ok()) return Fail("open", db.status(), 2);
  k3::TableService& tables = db->tables();
  if (!db->storage().get_bucket(kBucket).ok()) {
    if (auto b = db->storage().create_bucket({.name = kBucket}); !b.ok()) {
      return Fail("create_bucket", b.status(), 3);
    }
  }
  if (auto e = tables.configure_engine(kBucket); !e.ok()) return Fail("engine", e.status(), 3);
  if (!tables.get_table(kBucket, kTable).ok()) {
    auto t = tables.create_table({.bucket = kBucket,
                                  .name = kTable,
                                  .columns = {{"id", k3::ColumnType::kLong, false},
                                              {"v", k3::ColumnType::kString},
                                              {"amount", k3::ColumnType::kLong}},
                                  .merge_keys = {"id"}});
    if (!t.ok()) return Fail("create_table", t.status(), 3);
  }
  Model model;
  {
    auto cursor =
        tables.query_cursor({.bucket = kBucket, .sql = "SELECT id, v, amount FROM ledger"});
    if (!cursor.ok()) return Fail("load", cursor.status(), 4);
    for (;;) {
      auto more = cursor->next();
      if (!more.ok()) return Fail("load", more.status(), 4);
      if (!*more) break;
      const auto& row = cursor->row();
      model[std::get<int64_t>(row[0])] = {std::get<std::string>(row[1]), std::get<int64_t>(row[2])};
    }
  }
  auto table = tables.get_table(kBucket, kTable);
  if (!table.ok()) return Fail("get_table", table.status(), 4);
  uint64_t version = table->version;
  Report("READY", version, model, nullptr);

  std::mt19937_64 rng(seed);
  for (uint64_t n = 0;; ++n) {
    Model next = model;
    const int kind = static_cast<int>(rng() % 10);
    const int64_t lo = static_cast<int64_t>(rng() % kIds);
    const int64_t hi = lo + static_cast<int64_t>(rng() % 20);
    k3::Result<k3::WriteResult> written = k3::Status();
    if (kind < 5) {
      const int count = rng() % 8 == 0 ? 400 : 1 + static_cast<int>(rng() % 40);
      std::vector<k3::Row> rows;
      for (int i = 0; i < count; ++i) {
        const int64_t id = static_cast<int64_t>(rng() % kIds);
        Entry e{"s" + std::to_string(seed) + "-" + std::to_string(n) + "-" + std::to_string(i),
                static_cast<int64_t>(rng() % 100000) - 50000};
        rows.push_back({{"id", id}, {"v", e.v}, {"amount", e.amount}});
        next[id] = e;
      }
      Report("OP", n, next, nullptr);
      written = tables.insert_rows(kBucket, kTable, rows);
    } else if (kind < 7) {
      const int64_t amount = static_cast<int64_t>(rng() % 1000);
      for (auto it = next.lower_bound(lo); it != next.end() && it->first <= hi; ++it) {
        it->second.amount = amount;
      }
      Report("OP", n, next, nullptr);
      written = tables.update_rows({.bucket = kBucket,
                                    .table_name = kTable,
                                    .set = {{"amount", amount}},
                                    .where = "id BETWEEN $1 AND $2",
                                    .params = {lo, hi}});
    } else if (kind < 9) {
      next.erase(next.lower_bound(lo), next.upper_bound(hi));
      Report("OP", n, next, nullptr);
      written = tables.delete_rows({.bucket = kBucket,
                                    .table_name = kTable,
                                    .where = "id BETWEEN $1 AND $2",
                                    .params = {lo, hi}});
    } else {
      std::vector<k3::Row> rows;
      for (int64_t id = lo; id <= hi; id += 2) {
        Entry e{"m" + std::to_string(n), id};
        rows.push_back({{"id", id}, {"v", e.v}, {"amount", e.amount}});
        if (next.erase(id) == 0) next[id] = e;  // matched: deleted; not matched: inserted
      }
      Report("OP", n, next, nullptr);
      written = tables.merge({.bucket = kBucket,
                              .table_name = kTable,
                              .rows = rows,
                              .when_matched = k3::WhenMatched::kDelete});
    }
    if (!written.ok()) return Fail("write", written.status(), 5);
    version = written->version;
    model = std::move(next);
    Report("ACK", n, model, &version);
  }
}
