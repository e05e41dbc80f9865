// Durability of TableService across a process crash: a child process (k3_crash_child tables,
// tests/crash/tables_workload.cc) writes batches to a table and is killed with SIGKILL after
// a random number of report lines, several rounds on the same data directory. The child
// reports, before each write, what the table holds if the write lands (OP) and, after it,
// that it was acknowledged and as which version (ACK). After each kill the directory is
// reopened and:
//   - the table holds exactly the acknowledged state, or (only if the child died between OP
//     and ACK) exactly the state of that one write: never a part of a batch, never less;
//   - its version is the last acknowledged one (plus one when the in-flight write landed),
//     its row count is exact, and its history is every version from 0 up, newest first;
//   - the next child starts from that state (its READY line says what it loaded).
// At the end, restoring to earlier acknowledged versions gives their rows again.
// Set K3_CRASH_SEED to replay a run; the seed in use is printed.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "crash/child_process.h"
#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr int kRounds = 5;
constexpr int kMinLines = 10;
constexpr int kMaxLines = 260;
constexpr char kBucket[] = "crash";
constexpr char kTable[] = "ledger";

// What tables_workload.cc computes: the sum over rows of FNV-1a("id|v|amount").
uint64_t RowHash(int64_t id, const std::string& v, int64_t amount) {
  const std::string s = std::to_string(id) + "|" + v + "|" + std::to_string(amount);
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

struct TableState {
  uint64_t checksum = 0;
  uint64_t rows = 0;
  bool operator==(const TableState&) const = default;
};

std::string Describe(const TableState& s) {
  return std::to_string(s.rows) + " rows, checksum " + std::to_string(s.checksum);
}

TableState Read(TableService& tables) {
  TableState state;
  auto cursor = tables.query_cursor({.bucket = kBucket, .sql = "SELECT id, v, amount FROM ledger"});
  EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
  if (!cursor.ok()) return state;
  while (cursor->next().value()) {
    const auto& row = cursor->row();
    state.checksum += RowHash(std::get<int64_t>(row[0]), std::get<std::string>(row[1]),
                              std::get<int64_t>(row[2]));
    ++state.rows;
  }
  return state;
}

std::vector<std::string> Split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

uint64_t Num(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

TEST(TablesCrash, KilledWriterLosesNoAcknowledgedWriteAndLeavesNoPartialOne) {
  const uint64_t seed = crash::CrashTestSeed();
  std::printf("K3_CRASH_SEED=%" PRIu64 "\n", seed);
  SCOPED_TRACE("K3_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  TableState expected;  // what the last verified state was
  uint64_t expected_version = 0;
  std::map<uint64_t, TableState> by_version;  // every acknowledged (or verified) version
  by_version[0] = {};
  int landed_rounds = 0;
  uint64_t acked_total = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const uint64_t child_seed = rng() % 1000000000 + 1;
    const int kill_after = kMinLines + static_cast<int>(rng() % (kMaxLines - kMinLines + 1));
    std::string error;
    auto run = crash::RunAndKill({K3_CRASH_CHILD, "tables", dir.path(), std::to_string(child_seed)},
                                 kill_after, &error);
    ASSERT_TRUE(run.has_value()) << error;
    const std::vector<std::string>& lines = run->lines;
    ASSERT_TRUE(WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGKILL)
        << "the child was not killed by us: " << crash::ChildProcess::Describe(run->status)
        << " after " << lines.size() << " lines";
    ASSERT_EQ(run->partial, "") << "a torn report line";
    ASSERT_FALSE(lines.empty());

    // READY: the child loaded what the last round left.
    std::vector<std::string> ready = Split(lines[0]);
    ASSERT_EQ(ready.size(), 4u) << lines[0];
    ASSERT_EQ(ready[0], "READY");
    EXPECT_EQ(Num(ready[1]), expected_version);
    EXPECT_EQ((TableState{Num(ready[2]), Num(ready[3])}), expected)
        << "the child loaded another state";

    uint64_t acked_version = expected_version;
    TableState acked = expected;
    std::optional<TableState> in_flight;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> w = Split(lines[i]);
      if (w.size() == 4 && w[0] == "OP") {
        ASSERT_FALSE(in_flight.has_value()) << "two OP lines in a row";
        in_flight = TableState{Num(w[2]), Num(w[3])};
      } else if (w.size() == 5 && w[0] == "ACK") {
        ASSERT_TRUE(in_flight.has_value()) << "ACK without OP";
        const TableState state{Num(w[3]), Num(w[4])};
        ASSERT_EQ(state, *in_flight);
        const uint64_t version = Num(w[2]);
        ASSERT_GE(version, acked_version);
        ASSERT_LE(version, acked_version + 1) << "one write, one version";
        acked_version = version;
        acked = state;
        by_version[version] = state;
        in_flight.reset();
        ++acked_total;
      } else {
        FAIL() << "unexpected line " << lines[i];
      }
    }

    auto db = Db::open(dir.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    TableService& tables = db->tables();
    const TableState actual = Read(tables);
    auto table = tables.get_table(kBucket, kTable);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    bool landed = false;
    if (actual == acked) {
      EXPECT_EQ(table->version, acked_version) << "rows of the last acknowledged version, but "
                                                  "another version number";
    } else {
      ASSERT_TRUE(in_flight.has_value() && actual == *in_flight)
          << "the table holds " << Describe(actual) << "; acknowledged: " << Describe(acked)
          << (in_flight ? "; in flight: " + Describe(*in_flight)
                        : std::string(", nothing in flight"))
          << " — a lost or partial write";
      landed = true;
      EXPECT_EQ(table->version, acked_version + 1);
      by_version[table->version] = actual;
    }
    EXPECT_EQ(table->row_count, actual.rows);

    // History: every version from 0 to the table's, newest first.
    auto history = tables.history(kBucket, kTable);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    ASSERT_EQ(history->size(), table->version + 1);
    for (size_t i = 0; i < history->size(); ++i) {
      EXPECT_EQ((*history)[i].version, table->version - i);
    }
    EXPECT_EQ(history->back().operation, "CREATE");

    expected = actual;
    expected_version = table->version;
    landed_rounds += landed ? 1 : 0;
    std::printf("round %d: %zu lines, version %" PRIu64 ", %" PRIu64 " rows, in flight %s\n", round,
                lines.size(), expected_version, actual.rows,
                !in_flight ? "none"
                : landed   ? "landed"
                           : "not landed");
    auto check = tables.integrity_check(kBucket);
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->ok) << check->detail;
    if (HasFailure()) return;
  }
  EXPECT_GT(acked_total, static_cast<uint64_t>(kRounds));

  // Restoring to earlier acknowledged versions gives their rows.
  auto db = Db::open(dir.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<uint64_t> versions;
  for (const auto& [v, state] : by_version) versions.push_back(v);
  std::vector<uint64_t> targets = {versions[versions.size() / 2], versions[versions.size() / 4],
                                   versions[1 % versions.size()], 0};
  for (uint64_t v : targets) {
    auto restored = db->tables().restore(kBucket, kTable, v);
    ASSERT_TRUE(restored.ok()) << "restore to " << v << ": " << restored.status().ToString();
    EXPECT_EQ(Read(db->tables()), by_version[v]) << "restored to version " << v;
  }
}

}  // namespace
}  // namespace k3
