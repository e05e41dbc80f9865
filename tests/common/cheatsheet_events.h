// tests/common/cheatsheet_events.h: K3's DuckDB cheat-sheet queries and a deterministic
// generator of the events table they run on, shared by tests/unit/tables_cheatsheet_test.cc
// (which checks k3's answers against ones computed from these rows) and bench/tables_bench.cc.
// The data covers what the queries must get right: NULL durations and payloads, tiers written
// with JSON escapes or raw UTF-8, numbers, JSON null, missing and nested members, and rows that
// share a second. Header-only; pure functions.
#ifndef K3_TESTS_COMMON_CHEATSHEET_EVENTS_H_
#define K3_TESTS_COMMON_CHEATSHEET_EVENTS_H_

#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace k3::testdata {

// The cheat sheet's queries, verbatim.
inline constexpr const char* kCheatSheet[] = {
    "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;",
    "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 ORDER "
    "BY 1;",
    "SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn FROM "
    "{table};",
    "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} GROUP "
    "BY tier;",
    "SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};",
};

inline std::string ForTable(std::string sql, const std::string& table) {
  const std::string placeholder = "{table}";
  for (size_t at = sql.find(placeholder); at != std::string::npos; at = sql.find(placeholder))
    sql.replace(at, placeholder.size(), table);
  return sql;
}

// splitmix64: a deterministic generator.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  // An index into `weights` (which sum to 100).
  size_t Pick(const std::vector<int>& weights) {
    int r = static_cast<int>(Below(100));
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }
};

struct Event {
  int64_t id = 0;
  std::string kind;
  int64_t created_s = 0;  // epoch seconds
  std::string created_at;
  std::optional<int64_t> duration_ms;
  std::optional<std::string> payload;
  std::optional<std::string> tier;  // what json_extract_string(payload, '$.customer_tier') is
};

inline std::string FormatUtc(int64_t epoch_s, const char* format) {
  const time_t t = static_cast<time_t>(epoch_s);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

inline std::vector<Event> Generate(size_t n) {
  const std::vector<std::string> kinds = {"click", "view", "purchase", "signup", "error", "refund"};
  const std::vector<int> kind_weights = {35, 25, 15, 12, 9, 4};
  // Tiers: plain, one written with a JSON escape or raw UTF-8, a number, null, and missing.
  enum TierForm {
    kFree,
    kPro,
    kEnterprise,
    kGold,
    kPremiumEscaped,
    kPremiumRaw,
    kNumber,
    kNull,
    kMissing
  };
  const std::vector<int> tier_weights = {38, 28, 14, 8, 2, 2, 2, 2, 4};
  struct tm base_tm = {};
  base_tm.tm_year = 2026 - 1900;
  base_tm.tm_mon = 4;  // May
  base_tm.tm_mday = 10;
  const int64_t base = static_cast<int64_t>(timegm(&base_tm));
  Rng rng{20260514};
  std::vector<Event> events;
  events.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.id = static_cast<int64_t>(i) + 1;
    e.kind = kinds[rng.Pick(kind_weights)];
    e.created_s = base + static_cast<int64_t>(rng.Below(5 * 86400));  // over five days
    e.created_at = FormatUtc(e.created_s, "%Y-%m-%dT%H:%M:%SZ");
    if (rng.Below(100) != 0) {
      e.duration_ms = rng.Below(5) == 0 ? 500 + static_cast<int64_t>(rng.Below(2000000))
                                        : 5 + static_cast<int64_t>(rng.Below(495));
    }
    if (rng.Below(100) != 0) {
      const auto form = static_cast<TierForm>(rng.Pick(tier_weights));
      std::string tier_json;
      switch (form) {
        case kFree:
          tier_json = "\"free\"";
          e.tier = "free";
          break;
        case kPro:
          tier_json = "\"pro\"";
          e.tier = "pro";
          break;
        case kEnterprise:
          tier_json = "\"enterprise\"";
          e.tier = "enterprise";
          break;
        case kGold:
          tier_json = "\"gold\"";
          e.tier = "gold";
          break;
        case kPremiumEscaped:
          tier_json = "\"pr\\u00e9mium\"";
          e.tier = "pr\xC3\xA9mium";
          break;
        case kPremiumRaw:
          tier_json = "\"pr\xC3\xA9mium\"";
          e.tier = "pr\xC3\xA9mium";
          break;
        case kNumber:
          tier_json = "2";
          e.tier = "2";
          break;
        case kNull:
          tier_json = "null";
          break;
        case kMissing:
          break;
      }
      const std::string items = std::to_string(rng.Below(10));
      const std::string tier_member = tier_json.empty() ? "" : "\"customer_tier\": " + tier_json;
      switch (rng.Below(3)) {
        case 0:
          e.payload = "{" + tier_member + (tier_member.empty() ? "" : ", ") +
                      "\"region\": \"eu-west\", \"items\": " + items + "}";
          break;
        case 1:
          e.payload = "{\"items\":" + items +
                      ",\"meta\":{\"source\":\"web\",\"customer_tier\":"
                      "\"nested-not-top-level\"}" +
                      (tier_member.empty() ? "" : "," + tier_member) + "}";
          break;
        default:
          e.payload = "{ \"region\" : \"us\" , \"tags\" : [ \"a\" , \"b\" ] " +
                      (tier_member.empty() ? std::string() : ", " + tier_member) + " }";
          break;
      }
    }
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace k3::testdata

#endif  // K3_TESTS_COMMON_CHEATSHEET_EVENTS_H_
