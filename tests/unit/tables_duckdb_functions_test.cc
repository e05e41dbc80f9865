// Tests for tables/duckdb_functions.h on a raw in-memory SQLite connection. The expected
// values are DuckDB's answers (checked against DuckDB 1.5.6 with
// bench/duckdb_compare/compare.js); where k3 differs on purpose (epoch numbers and UTC offsets
// as timestamp inputs, booleans as 0/1, ...) the test says so.
#include "tables/duckdb_functions.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <charconv>
#include <string>
#include <vector>

namespace k3::tables {
namespace {

class DuckDbFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    const Status s = RegisterDuckDbFunctions(db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override { sqlite3_close(db_); }

  // A result value as "int:42", "real:1.5", "text:abc", "null" (doubles in their shortest
  // round-trip form, as DuckDB prints them).
  static std::string Render(sqlite3_stmt* stmt, int col) {
    switch (sqlite3_column_type(stmt, col)) {
      case SQLITE_NULL:
        return "null";
      case SQLITE_INTEGER:
        return "int:" + std::to_string(sqlite3_column_int64(stmt, col));
      case SQLITE_FLOAT: {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof(buf), sqlite3_column_double(stmt, col));
        return "real:" + std::string(buf, r.ptr);
      }
      case SQLITE_TEXT:
        return "text:" + std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, col)),
                                     static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
      default:
        return "blob";
    }
  }

  // Every row of `sql`, each as its rendered columns joined by " | "; or {"error:<message>"}.
  std::vector<std::string> Rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return {"error:" + std::string(sqlite3_errmsg(db_))};
    }
    std::vector<std::string> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c > 0) row += " | ";
        row += Render(stmt, c);
      }
      rows.push_back(row);
    }
    if (rc != SQLITE_DONE) rows = {"error:" + std::string(sqlite3_errmsg(db_))};
    sqlite3_finalize(stmt);
    return rows;
  }

  // The single value of "SELECT <expr>".
  std::string Q(const std::string& expr) {
    const std::vector<std::string> rows = Rows("SELECT " + expr);
    if (rows.size() != 1) return "rows:" + std::to_string(rows.size());
    return rows[0];
  }

  // The error of "SELECT <expr>", or "no error".
  std::string Err(const std::string& expr) {
    const std::string r = Q(expr);
    return r.rfind("error:", 0) == 0 ? r.substr(6) : "no error: " + r;
  }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
  }

  sqlite3* db_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Registration

TEST_F(DuckDbFunctionsTest, RegistrationRefusesNullAndMayBeRepeated) {
  EXPECT_EQ(RegisterDuckDbFunctions(nullptr).code(), StatusCode::kInvalidArgument);
  const Status again = RegisterDuckDbFunctions(db_);
  EXPECT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14 10:23:45')"), "text:2026-05-14 10:00:00");
}

TEST_F(DuckDbFunctionsTest, DeterministicFunctionsMayIndexAndNowMayNot) {
  Exec("CREATE TABLE t (ts TEXT)");
  // Expression indexes accept only deterministic functions.
  Exec("CREATE INDEX t_hour ON t (date_trunc('hour', ts))");
  Exec("CREATE INDEX t_tier ON t (json_extract_string(ts, '$.a'), regexp_matches(ts, 'x'))");
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(db_, "CREATE INDEX t_now ON t (now())", nullptr, nullptr, &err),
            SQLITE_OK);
  sqlite3_free(err);
}

TEST_F(DuckDbFunctionsTest, FunctionsAreInnocuousForViewsUnderUntrustedSchema) {
  Exec("PRAGMA trusted_schema = OFF");
  Exec("CREATE TABLE t (ts TEXT, v REAL)");
  Exec("INSERT INTO t VALUES ('2026-05-14T10:23:45Z', 1), ('2026-05-14T11:00:00Z', 3)");
  Exec(
      "CREATE VIEW v AS SELECT date_trunc('hour', ts) AS h, quantile_cont(v, 0.5) AS m FROM t "
      "GROUP BY 1");
  EXPECT_EQ(Rows("SELECT * FROM v ORDER BY h"),
            (std::vector<std::string>{"text:2026-05-14 10:00:00 | real:1",
                                      "text:2026-05-14 11:00:00 | real:3"}));
}

// ---------------------------------------------------------------------------------------------
// date_trunc

TEST_F(DuckDbFunctionsTest, DateTruncEveryPart) {
  const std::string ts = "'2021-01-03 11:59:44.123456'";  // a Sunday in ISO week 53 of 2020
  auto t = [&](const std::string& part) { return Q("date_trunc('" + part + "', " + ts + ")"); };
  EXPECT_EQ(t("year"), "text:2021-01-01 00:00:00");
  EXPECT_EQ(t("quarter"), "text:2021-01-01 00:00:00");
  EXPECT_EQ(t("month"), "text:2021-01-01 00:00:00");
  EXPECT_EQ(t("week"), "text:2020-12-28 00:00:00");
  EXPECT_EQ(t("day"), "text:2021-01-03 00:00:00");
  EXPECT_EQ(t("hour"), "text:2021-01-03 11:00:00");
  EXPECT_EQ(t("minute"), "text:2021-01-03 11:59:00");
  EXPECT_EQ(t("second"), "text:2021-01-03 11:59:44");
  EXPECT_EQ(t("millisecond"), "text:2021-01-03 11:59:44.123");
  EXPECT_EQ(t("microsecond"), "text:2021-01-03 11:59:44.123456");
  EXPECT_EQ(t("decade"), "text:2020-01-01 00:00:00");
  EXPECT_EQ(t("century"), "text:2000-01-01 00:00:00");
  EXPECT_EQ(t("millennium"), "text:2000-01-01 00:00:00");
  EXPECT_EQ(t("isoyear"), "text:2019-12-30 00:00:00");
  EXPECT_EQ(t("yearweek"), "text:2020-12-28 00:00:00");
  EXPECT_EQ(t("dow"), "text:2021-01-03 00:00:00");
  EXPECT_EQ(t("epoch"), "text:2021-01-03 11:59:44");
}

TEST_F(DuckDbFunctionsTest, DateTruncAcceptsDuckDbSynonymsInAnyCase) {
  const std::string ts = "'2024-05-12 10:03:45.678'";
  for (const char* part : {"hour", "hours", "h", "hr", "hrs", "HOUR", "Hour"}) {
    EXPECT_EQ(Q(std::string("date_trunc('") + part + "', " + ts + ")"), "text:2024-05-12 10:00:00")
        << part;
  }
  EXPECT_EQ(Q("date_trunc('ms', " + ts + ")"), "text:2024-05-12 10:03:45.678");
  EXPECT_EQ(Q("date_trunc('mon', " + ts + ")"), "text:2024-05-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('yrs', " + ts + ")"), "text:2024-01-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('w', " + ts + ")"), "text:2024-05-06 00:00:00");
  EXPECT_EQ(Q("datetrunc('day', " + ts + ")"), "text:2024-05-12 00:00:00");
}

TEST_F(DuckDbFunctionsTest, DateTruncWeekIsIsoMonday) {
  EXPECT_EQ(Q("date_trunc('week', '2024-05-12 23:59:59')"), "text:2024-05-06 00:00:00");  // Sun
  EXPECT_EQ(Q("date_trunc('week', '2024-05-13 00:00:00')"), "text:2024-05-13 00:00:00");  // Mon
  EXPECT_EQ(Q("date_trunc('week', '2024-05-19')"), "text:2024-05-13 00:00:00");
  EXPECT_EQ(Q("date_trunc('week', '2027-01-01')"), "text:2026-12-28 00:00:00");  // across years
  EXPECT_EQ(Q("date_trunc('week', '1970-01-01')"), "text:1969-12-29 00:00:00");
}

TEST_F(DuckDbFunctionsTest, DateTruncQuarter) {
  EXPECT_EQ(Q("date_trunc('quarter', '2024-05-12 10:03:45')"), "text:2024-04-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('quarter', '2024-12-31 23:59:59')"), "text:2024-10-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('quarter', '2024-03-31')"), "text:2024-01-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('quarters', '2024-07-01')"), "text:2024-07-01 00:00:00");
}

TEST_F(DuckDbFunctionsTest, DateTruncParsesIsoTextForms) {
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14T10:23:45Z')"), "text:2026-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14t10:23:45z')"), "text:2026-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('second', '2026-05-14 10:23:45.999')"), "text:2026-05-14 10:23:45");
  EXPECT_EQ(Q("date_trunc('microsecond', '2026-05-14T10:23:45.5Z')"), "text:2026-05-14 10:23:45.5");
  // Digits beyond microseconds are cut, not rounded (as DuckDB does).
  EXPECT_EQ(Q("date_trunc('microsecond', '2026-05-14T10:23:45.987654321Z')"),
            "text:2026-05-14 10:23:45.987654");
  EXPECT_EQ(Q("date_trunc('minute', '2026-05-14 10:23')"), "text:2026-05-14 10:23:00");
  EXPECT_EQ(Q("date_trunc('second', '2021-1-3 1:2:3')"), "text:2021-01-03 01:02:03");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14')"), "text:2026-05-14 00:00:00");
  EXPECT_EQ(Q("date_trunc('day', '2021-01-03 24:00:00')"), "text:2021-01-04 00:00:00");
  EXPECT_EQ(Q("date_trunc('hour', '  2026-05-14 10:23:45  ')"), "text:2026-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14 10:23:45 UTC')"), "text:2026-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('day', '2024-02-29 13:14:15')"), "text:2024-02-29 00:00:00");
}

TEST_F(DuckDbFunctionsTest, DateTruncNormalizesOffsetsToUtc) {
  // DuckDB's TIMESTAMPTZ semantics at TimeZone=UTC (its plain TIMESTAMP cast drops offsets).
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14T10:23:45+02:00')"), "text:2026-05-14 08:00:00");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14T10:23:45+0530')"), "text:2026-05-14 04:00:00");
  EXPECT_EQ(Q("date_trunc('minute', '2026-05-14T10:23:45+05:30')"), "text:2026-05-14 04:53:00");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14T10:23:45-03')"), "text:2026-05-14 13:00:00");
  EXPECT_EQ(Q("date_trunc('hour', '2026-05-14 10:23:45 +02:00')"), "text:2026-05-14 08:00:00");
  // The offset moves the instant across midnight, a month and a year.
  EXPECT_EQ(Q("date_trunc('day', '2026-05-14T23:30:00-05:30')"), "text:2026-05-15 00:00:00");
  EXPECT_EQ(Q("date_trunc('month', '2026-05-01T01:00:00+02:00')"), "text:2026-04-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('year', '2027-01-01T00:30:00+01:00')"), "text:2026-01-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('microsecond', '2021-01-03T11:59:44.5-03:30')"),
            "text:2021-01-03 15:29:44.5");
}

TEST_F(DuckDbFunctionsTest, DateTruncTakesEpochSecondsAndMilliseconds) {
  // 1715681025 s = 2024-05-14 10:03:45 UTC; |x| >= 1e11 means milliseconds.
  EXPECT_EQ(Q("date_trunc('hour', 1715681025)"), "text:2024-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('hour', 1715681025123)"), "text:2024-05-14 10:00:00");
  EXPECT_EQ(Q("date_trunc('ms', 1715681025123)"), "text:2024-05-14 10:03:45.123");
  EXPECT_EQ(Q("date_trunc('ms', 1715681025.5)"), "text:2024-05-14 10:03:45.5");
  EXPECT_EQ(Q("date_trunc('day', '1715681025')"), "text:2024-05-14 00:00:00");  // numeric text
  EXPECT_EQ(Q("date_trunc('second', 0)"), "text:1970-01-01 00:00:00");
  EXPECT_EQ(Q("date_trunc('second', -1)"), "text:1969-12-31 23:59:59");
  EXPECT_EQ(Q("date_trunc('ms', -1500)"), "text:1969-12-31 23:35:00");         // -1500 s
  EXPECT_EQ(Q("date_trunc('ms', 99999999999)"), "text:5138-11-16 09:46:39");   // still seconds
  EXPECT_EQ(Q("date_trunc('ms', 100000000000)"), "text:1973-03-03 09:46:40");  // milliseconds
  EXPECT_EQ(Q("date_trunc('day', -100000000000)"), "text:1966-10-31 00:00:00");
}

TEST_F(DuckDbFunctionsTest, DateTruncNullsGiveNull) {
  EXPECT_EQ(Q("date_trunc('hour', NULL)"), "null");
  EXPECT_EQ(Q("date_trunc(NULL, '2026-05-14 10:23:45')"), "null");
  EXPECT_EQ(Q("date_trunc(NULL, NULL)"), "null");
}

TEST_F(DuckDbFunctionsTest, DateTruncErrors) {
  EXPECT_NE(Err("date_trunc('bogus', '2026-05-14')").find("unknown date part 'bogus'"),
            std::string::npos);
  EXPECT_NE(Err("date_trunc(' hour', '2026-05-14')").find("unknown date part"), std::string::npos);
  EXPECT_NE(Err("date_trunc('era', '2026-05-14')").find("cannot truncate to 'era'"),
            std::string::npos);
  EXPECT_NE(
      Err("date_trunc('hour', 'yesterday')").find("cannot convert 'yesterday' to a timestamp"),
      std::string::npos);
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-05-14 25:00:00", "2026-05-14 10:60:00",
                          "2026-05-14 23:59:60", "2026-05-14 24:00:01", "2026-05-14T", "26-05-14",
                          "2026-05-14 10:23:45 +25:00", "2026-05-14 10:23:45 junk", ""}) {
    EXPECT_NE(Err(std::string("date_trunc('day', '") + bad + "')").find("cannot convert"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(Err("date_trunc('day', x'00')").find("blob"), std::string::npos);
  EXPECT_NE(Err("date_trunc('day', 1e300)").find("out of range"), std::string::npos);
  EXPECT_NE(Err("date_trunc('day', 9223372036854775807)").find("out of range"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// date_part and the shorthands

TEST_F(DuckDbFunctionsTest, DatePartEveryPart) {
  const std::string ts = "'2021-01-03 11:59:44.123456'";
  auto p = [&](const std::string& part) { return Q("date_part('" + part + "', " + ts + ")"); };
  EXPECT_EQ(p("year"), "int:2021");
  EXPECT_EQ(p("quarter"), "int:1");
  EXPECT_EQ(p("month"), "int:1");
  EXPECT_EQ(p("day"), "int:3");
  EXPECT_EQ(p("hour"), "int:11");
  EXPECT_EQ(p("minute"), "int:59");
  EXPECT_EQ(p("second"), "int:44");
  EXPECT_EQ(p("millisecond"), "int:44123");
  EXPECT_EQ(p("microsecond"), "int:44123456");
  EXPECT_EQ(p("dow"), "int:0");  // Sunday = 0, as DuckDB
  EXPECT_EQ(p("isodow"), "int:7");
  EXPECT_EQ(p("doy"), "int:3");
  EXPECT_EQ(p("week"), "int:53");
  EXPECT_EQ(p("isoyear"), "int:2020");
  EXPECT_EQ(p("yearweek"), "int:202053");
  EXPECT_EQ(p("epoch"), "real:1609675184.123456");
  EXPECT_EQ(p("decade"), "int:202");
  EXPECT_EQ(p("century"), "int:21");
  EXPECT_EQ(p("millennium"), "int:3");
  EXPECT_EQ(p("era"), "int:1");
  EXPECT_EQ(p("julian"), "real:2459218.4998162435");
  EXPECT_EQ(p("timezone"), "int:0");
  EXPECT_EQ(p("dayofweek"), "int:0");
  EXPECT_EQ(p("weekday"), "int:0");
  EXPECT_EQ(p("weekofyear"), "int:53");
  EXPECT_EQ(p("dayofyear"), "int:3");
  EXPECT_EQ(p("dayofmonth"), "int:3");
  EXPECT_EQ(Q("datepart('hour', " + ts + ")"), "int:11");
}

TEST_F(DuckDbFunctionsTest, DatePartIsoWeeksAcrossYearEnds) {
  EXPECT_EQ(Q("date_part('week', '2024-12-30')"), "int:1");
  EXPECT_EQ(Q("date_part('isoyear', '2024-12-30')"), "int:2025");
  EXPECT_EQ(Q("date_part('yearweek', '2024-12-30')"), "int:202501");
  EXPECT_EQ(Q("date_part('week', '2021-01-01')"), "int:53");
  EXPECT_EQ(Q("date_part('yearweek', '2021-01-01')"), "int:202053");
  EXPECT_EQ(Q("date_part('week', '2026-01-01')"), "int:1");
  EXPECT_EQ(Q("date_part('dow', '2024-05-12')"), "int:0");
  EXPECT_EQ(Q("date_part('isodow', '2024-05-12')"), "int:7");
  EXPECT_EQ(Q("date_part('dow', '2024-05-13')"), "int:1");
  EXPECT_EQ(Q("date_part('doy', '2024-12-31')"), "int:366");
}

TEST_F(DuckDbFunctionsTest, DatePartBeforeTheEpochAndWithOffsets) {
  EXPECT_EQ(Q("date_part('epoch', '1969-12-31 23:59:59.5')"), "real:-0.5");
  EXPECT_EQ(Q("date_part('second', '1969-12-31 23:59:59.5')"), "int:59");
  EXPECT_EQ(Q("date_part('millisecond', '1969-12-31 23:59:59.5')"), "int:59500");
  EXPECT_EQ(Q("date_part('hour', '2026-05-14T01:00:00+02:00')"), "int:23");
  EXPECT_EQ(Q("date_part('day', '2026-05-14T01:00:00+02:00')"), "int:13");
  EXPECT_EQ(Q("date_part('epoch', '2026-05-14T10:23:45.5Z')"), "real:1778754225.5");
  EXPECT_EQ(Q("date_part('year', 1715681025123)"), "int:2024");
  EXPECT_EQ(Q("date_part('epoch', 1715681025)"), "real:1715681025");
}

TEST_F(DuckDbFunctionsTest, DatePartNullsAndErrors) {
  EXPECT_EQ(Q("date_part('hour', NULL)"), "null");
  EXPECT_EQ(Q("date_part(NULL, '2026-05-14')"), "null");
  EXPECT_NE(Err("date_part('fortnight', '2026-05-14')").find("unknown date part 'fortnight'"),
            std::string::npos);
  EXPECT_NE(Err("date_part('hour', '14/05/2026')").find("cannot convert"), std::string::npos);
}

TEST_F(DuckDbFunctionsTest, PartShorthands) {
  const std::string ts = "('2021-01-03 11:59:44.5')";
  EXPECT_EQ(Q("year" + ts), "int:2021");
  EXPECT_EQ(Q("quarter('2021-05-03')"), "int:2");
  EXPECT_EQ(Q("month('2021-02-03')"), "int:2");
  EXPECT_EQ(Q("day('2021-02-03')"), "int:3");
  EXPECT_EQ(Q("dayofmonth('2021-02-03')"), "int:3");
  EXPECT_EQ(Q("hour" + ts), "int:11");
  EXPECT_EQ(Q("minute" + ts), "int:59");
  EXPECT_EQ(Q("second" + ts), "int:44");
  EXPECT_EQ(Q("millisecond" + ts), "int:44500");
  EXPECT_EQ(Q("microsecond" + ts), "int:44500000");
  EXPECT_EQ(Q("week('2021-05-02')"), "int:17");
  EXPECT_EQ(Q("weekofyear('2021-05-02')"), "int:17");
  EXPECT_EQ(Q("dayofweek('2021-05-02')"), "int:0");
  EXPECT_EQ(Q("weekday('2021-05-02')"), "int:0");
  EXPECT_EQ(Q("isodow('2021-05-02')"), "int:7");
  EXPECT_EQ(Q("dayofyear('2021-05-02')"), "int:122");
  EXPECT_EQ(Q("isoyear('2021-01-01')"), "int:2020");
  EXPECT_EQ(Q("yearweek('2021-05-02')"), "int:202117");
  EXPECT_EQ(Q("decade('2021-05-02')"), "int:202");
  EXPECT_EQ(Q("century('2021-05-02')"), "int:21");
  EXPECT_EQ(Q("millennium('2021-05-02')"), "int:3");
  EXPECT_EQ(Q("era('2021-05-02')"), "int:1");
  EXPECT_EQ(Q("julian('2021-05-02')"), "real:2459337");
  EXPECT_EQ(Q("year(NULL)"), "null");
  EXPECT_NE(Err("hour('noon')").find("hour: cannot convert"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Epochs and other date functions

TEST_F(DuckDbFunctionsTest, EpochMsBothDirections) {
  EXPECT_EQ(Q("epoch_ms(1715681025123)"), "text:2024-05-14 10:03:45.123");
  EXPECT_EQ(Q("epoch_ms(0)"), "text:1970-01-01 00:00:00");
  EXPECT_EQ(Q("epoch_ms(-1)"), "text:1969-12-31 23:59:59.999");
  EXPECT_EQ(Q("epoch_ms(1000)"), "text:1970-01-01 00:00:01");  // always milliseconds here
  EXPECT_EQ(Q("epoch_ms(253402300799999)"), "text:9999-12-31 23:59:59.999");
  EXPECT_EQ(Q("epoch_ms(-62135596800000)"), "text:0001-01-01 00:00:00");
  EXPECT_EQ(Q("epoch_ms(-62135596800000 - 366 * 86400000)"), "text:0000-01-01 00:00:00");
  EXPECT_EQ(Q("epoch_ms(-62135596800000 - 146000 * 86400000)"), "text:0400-04-08 (BC) 00:00:00");
  EXPECT_EQ(Q("epoch_ms('2024-05-14 10:03:45.123')"), "int:1715681025123");
  EXPECT_EQ(Q("epoch_ms('2024-05-14T12:03:45.123+02:00')"), "int:1715681025123");
  EXPECT_EQ(Q("epoch_ms('1969-12-31 23:59:59.9995')"), "int:0");  // truncates toward zero
  EXPECT_EQ(Q("epoch_ms('1969-12-31 23:59:59.5')"), "int:-500");
  EXPECT_EQ(Q("epoch_ms(NULL)"), "null");
  EXPECT_EQ(Q("epoch_ms(epoch_ms(1715681025123))"), "int:1715681025123");
  EXPECT_NE(Err("epoch_ms('soon')").find("cannot convert"), std::string::npos);
  EXPECT_NE(Err("epoch_ms(9223372036854775807)").find("out of range"), std::string::npos);
}

TEST_F(DuckDbFunctionsTest, EpochSecondsMicrosNanos) {
  EXPECT_EQ(Q("epoch('2024-05-14 10:03:45.123')"), "real:1715681025.123");
  EXPECT_EQ(Q("epoch('1969-12-31 23:59:59.9995')"), "real:-5e-04");  // -0.0005
  EXPECT_EQ(Q("epoch('2021-05-02')"), "real:1619913600");
  EXPECT_EQ(Q("epoch(1715681025)"), "real:1715681025");
  EXPECT_EQ(Q("epoch_us('2024-05-14 10:03:45.123456')"), "int:1715681025123456");
  EXPECT_EQ(Q("epoch_ns('2024-05-14 10:03:45.123456')"), "int:1715681025123456000");
  EXPECT_EQ(Q("epoch(NULL)"), "null");
}

TEST_F(DuckDbFunctionsTest, MakeAndNameFunctions) {
  EXPECT_EQ(Q("make_timestamp(1715681025123000)"), "text:2024-05-14 10:03:45.123");
  EXPECT_EQ(Q("make_timestamp(2024, 2, 29, 1, 2, 3.5)"), "text:2024-02-29 01:02:03.5");
  EXPECT_EQ(Q("make_date(2024, 2, 29)"), "text:2024-02-29");
  EXPECT_NE(Err("make_date(2023, 2, 29)").find("invalid date"), std::string::npos);
  EXPECT_EQ(Q("last_day('2024-02-12 10:00:00')"), "text:2024-02-29");
  EXPECT_EQ(Q("last_day('2023-02-01')"), "text:2023-02-28");
  EXPECT_EQ(Q("dayname('2024-05-12 10:00:00')"), "text:Sunday");
  EXPECT_EQ(Q("monthname('2024-09-12')"), "text:September");
  EXPECT_EQ(Q("to_timestamp(1715681025.5)"), "text:2024-05-14 10:03:45.5+00");
  // now() is DuckDB's TIMESTAMPTZ text: 'YYYY-MM-DD HH:MM:SS[.ffffff]+00'.
  const std::string now = Q("now()");
  ASSERT_GE(now.size(), std::string("text:2026-05-14 10:23:45+00").size());
  EXPECT_EQ(now.substr(now.size() - 3), "+00");
  EXPECT_EQ(Q("length(today())"), "int:10");
}

TEST_F(DuckDbFunctionsTest, DateDiffCountsBoundaries) {
  EXPECT_EQ(Q("date_diff('month', '2024-01-31', '2024-02-01')"), "int:1");
  EXPECT_EQ(Q("date_diff('day', '2024-01-31 23:00:00', '2024-02-01 01:00:00')"), "int:1");
  EXPECT_EQ(Q("date_diff('day', '2024-02-01 01:00:00', '2024-01-31 23:00:00')"), "int:-1");
  EXPECT_EQ(Q("date_diff('hour', '2024-01-31 23:59:00', '2024-02-01 00:01:00')"), "int:1");
  EXPECT_EQ(Q("date_diff('hour', '1969-12-31 23:59:00', '1970-01-01 00:01:00')"), "int:1");
  EXPECT_EQ(Q("date_diff('week', '2024-05-12', '2024-05-13')"), "int:0");  // whole weeks
  EXPECT_EQ(Q("date_diff('week', '2024-05-13', '2024-05-26')"), "int:1");
  EXPECT_EQ(Q("date_diff('year', '2024-12-31', '2025-01-01')"), "int:1");
  EXPECT_EQ(Q("date_diff('quarter', '2024-03-31', '2024-04-01')"), "int:1");
  EXPECT_EQ(Q("date_diff('second', '2024-01-01 00:00:00.9', '2024-01-01 00:00:01.1')"), "int:1");
  EXPECT_EQ(Q("datediff('minute', '2024-01-01 00:00:59', '2024-01-01 00:01:00')"), "int:1");
  EXPECT_EQ(Q("date_diff('day', NULL, '2024-01-01')"), "null");
  EXPECT_NE(Err("date_diff('era', '2024-01-01', '2024-01-02')").find("unsupported"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// json_extract_string

TEST_F(DuckDbFunctionsTest, JsonExtractStringPaths) {
  const std::string doc =
      R"('{"a":{"b":[1,2,{"c":"x"}]},"n":1.50,"e":1e2,"t":true,"f":false,"z":null,)"
      R"("a b":7,"a.b":8,"arr":[ 1 , 2.50 , "x" , null , {"k": [ ]} ]}')";
  auto j = [&](const std::string& path) {
    return Q("json_extract_string(" + doc + ", '" + path + "')");
  };
  EXPECT_EQ(j("$.a"), R"(text:{"b":[1,2,{"c":"x"}]})");
  EXPECT_EQ(j("$.a.b"), R"(text:[1,2,{"c":"x"}])");
  EXPECT_EQ(j("$.a.b[2].c"), "text:x");  // strings come back unquoted
  EXPECT_EQ(j("$.a.b[0]"), "text:1");
  EXPECT_EQ(j("$.a.b[-1]"), R"(text:{"c":"x"})");
  EXPECT_EQ(j("$.a.b[#-3]"), "text:1");
  EXPECT_EQ(j("$.a.b[-4]"), "null");
  EXPECT_EQ(j("$.a.b[5]"), "null");
  EXPECT_EQ(j("$.n"), "text:1.5");  // numbers as DuckDB prints them
  EXPECT_EQ(j("$.e"), "text:100.0");
  EXPECT_EQ(j("$.t"), "text:true");
  EXPECT_EQ(j("$.f"), "text:false");
  EXPECT_EQ(j("$.z"), "null");  // JSON null is SQL NULL
  EXPECT_EQ(j("$.missing"), "null");
  EXPECT_EQ(j("$.a.b.c"), "null");
  EXPECT_EQ(j("$.a[0]"), "null");
  EXPECT_EQ(j("$.a b"), "text:7");
  EXPECT_EQ(j("$.\"a.b\""), "text:8");
  EXPECT_EQ(j("a.b"), "text:8");  // a bare path is one key
  EXPECT_EQ(j("a"), R"(text:{"b":[1,2,{"c":"x"}]})");
  EXPECT_EQ(j("/a/b/0"), "text:1");  // JSON pointer
  EXPECT_EQ(j("$.arr"), R"(text:[1,2.5,"x",null,{"k":[]}])");
  EXPECT_EQ(j("$.arr[4].k"), "text:[]");
  EXPECT_EQ(Q(R"(json_extract_string('{"a/b":3}', '/a~1b'))"), "text:3");
  EXPECT_EQ(Q(R"(json_extract_string('{"a":1}', ''))"), R"(text:{"a":1})");
  EXPECT_EQ(Q(R"(json_extract_string('  {"a" : "b"}  ', '$'))"), R"(text:{"a":"b"})");
  EXPECT_EQ(Q(R"(json_extract_string('"str"', '$'))"), "text:str");
  EXPECT_EQ(Q(R"(json_extract_path_text('{"a":"b"}', 'a'))"), "text:b");
}

TEST_F(DuckDbFunctionsTest, JsonExtractStringUnescapesAndReescapes) {
  EXPECT_EQ(Q(R"(json_extract_string('{"s":"h\u00e9\n\"q\" \ud83d\ude00"}', '$.s'))"),
            "text:h\xC3\xA9\n\"q\" \xF0\x9F\x98\x80");
  EXPECT_EQ(Q(R"(json_extract_string('{"s":"x\/y\tz"}', '$.s'))"), "text:x/y\tz");
  EXPECT_EQ(Q(R"(json_extract_string('{"a":{"s\n":"\u00e9\n\/\u001f\"\\"}}', '$.a'))"),
            "text:{\"s\\n\":\"\xC3\xA9\\n/\\u001F\\\"\\\\\"}");
  EXPECT_EQ(Q(R"(json_extract_string('{"tier":"pr\u00e9mium"}', '$.tier'))"),
            "text:pr\xC3\xA9mium");
}

TEST_F(DuckDbFunctionsTest, JsonExtractStringNumbersAsDuckDbPrintsThem) {
  auto n = [&](const std::string& literal) {
    return Q("json_extract_string('{\"a\":" + literal + "}', '$.a')");
  };
  EXPECT_EQ(n("1e21"), "text:1e21");
  EXPECT_EQ(n("1e20"), "text:100000000000000000000.0");
  EXPECT_EQ(n("1e-6"), "text:0.000001");
  EXPECT_EQ(n("1e-7"), "text:1e-7");
  EXPECT_EQ(n("1.5e-7"), "text:1.5e-7");
  EXPECT_EQ(n("123.456e5"), "text:12345600.0");
  EXPECT_EQ(n("-1.25e+25"), "text:-1.25e25");
  EXPECT_EQ(n("0.30000000000000004"), "text:0.30000000000000004");
  EXPECT_EQ(n("100e-2"), "text:1.0");
  EXPECT_EQ(n("-0.0"), "text:-0.0");
  EXPECT_EQ(n("-0"), "text:0");
  EXPECT_EQ(n("-12"), "text:-12");
  EXPECT_EQ(n("123456789012345678901234"), "text:123456789012345678901234");  // kept as written
  EXPECT_EQ(n("1E400"), "text:1E400");
  EXPECT_EQ(n("1e-400"), "text:0.0");
  EXPECT_EQ(n("NaN"), "text:NaN");
  EXPECT_EQ(n("-Infinity"), "text:-Infinity");
}

TEST_F(DuckDbFunctionsTest, JsonExtractStringLeniencyAndNulls) {
  EXPECT_EQ(Q(R"(json_extract_string('{"a":1,"a":2}', '$.a'))"), "text:1");  // first key wins
  EXPECT_EQ(Q(R"(json_extract_string('{"a":1,}', '$.a'))"), "text:1");       // trailing comma
  EXPECT_EQ(Q(R"(json_extract_string('[1,2,]', '$'))"), "text:[1,2]");
  EXPECT_EQ(Q(R"(json_extract_string(NULL, '$.a'))"), "null");
  EXPECT_EQ(Q(R"(json_extract_string('{"a":1}', NULL))"), "null");
  EXPECT_EQ(Q(R"(json_extract_string('null', '$'))"), "null");
}

TEST_F(DuckDbFunctionsTest, JsonExtractStringErrors) {
  for (const char* bad :
       {"not json", R"({"a":1} x)", R"({"a":01})", R"({"a":.5})", "[1,2", "", R"({"a": "\ud800"})",
        R"({"a":tru})", R"({a:1})", "{\"a\":\"tab\traw\"}", R"({"a":1} /* c */)"}) {
    EXPECT_NE(Err(std::string("json_extract_string('") + bad + "', '$.a')").find("malformed JSON"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(Err(R"(json_extract_string('{"a":1}', '$a'))").find("invalid JSON path"),
            std::string::npos);
  EXPECT_NE(Err(R"(json_extract_string('{"a":1}', '$.a.'))").find("invalid JSON path"),
            std::string::npos);
  EXPECT_NE(Err(R"(json_extract_string('{"a":1}', '$.*'))").find("wildcards are not supported"),
            std::string::npos);
  EXPECT_NE(Err("json_extract_string(x'7b7d', '$.a')").find("blob"), std::string::npos);
  // Deep nesting is refused rather than overflowing the stack.
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  EXPECT_NE(Err("json_extract_string('" + deep + "', '$')").find("nesting"), std::string::npos);
}

TEST_F(DuckDbFunctionsTest, SqliteArrowOperatorStillWorks) {
  EXPECT_EQ(Q(R"('{"a":{"b":"x"}}' ->> '$.a.b')"), "text:x");
  EXPECT_EQ(Q(R"(json_extract('{"a":2}', '$.a'))"), "int:2");  // SQLite's own, left alone
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

TEST_F(DuckDbFunctionsTest, RegexpMatchesIsASearch) {
  EXPECT_EQ(Q("regexp_matches('abc', 'b')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('abc', '^b')"), "int:0");
  EXPECT_EQ(Q("regexp_matches('ABC', 'b', 'i')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('abc', 'ABC', 'ic')"), "int:0");  // the last of i/c wins
  EXPECT_EQ(Q("regexp_matches('abc', 'ABC', 'ci')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a.b', 'a.b', 'l')"), "int:1");  // literal
  EXPECT_EQ(Q("regexp_matches('axb', 'a.b', 'l')"), "int:0");
  EXPECT_EQ(Q("regexp_matches(NULL, 'a')"), "null");
  EXPECT_EQ(Q("regexp_matches('a', NULL)"), "null");
  EXPECT_EQ(Q("regexp_full_match('abc', 'a.c')"), "int:1");
  EXPECT_EQ(Q("regexp_full_match('abcd', 'a.c')"), "int:0");
}

TEST_F(DuckDbFunctionsTest, RegexpFollowsRe2Semantics) {
  // '.' matches a code point, not a byte, and (by default) not a newline.
  EXPECT_EQ(Q("regexp_matches('\xC3\xA9', '^.$')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a' || char(10) || 'b', 'a.b')"), "int:0");
  EXPECT_EQ(Q("regexp_matches('a' || char(10) || 'b', 'a.b', 's')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a' || char(10) || 'b', '(?s)a.b')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a' || char(10) || 'b', '^b$')"), "int:0");
  EXPECT_EQ(Q("regexp_matches('a' || char(10) || 'b', '(?m)^b$')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('abc', '(?i)B')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('\xC3\x89', '\xC3\xA9', 'i')"), "int:1");  // Unicode case folding
  EXPECT_EQ(Q("regexp_matches('\xC3\xA9', '\\w')"), "int:0");            // \w is ASCII
  EXPECT_EQ(Q("regexp_matches('abc', '(?P<x>b)')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('abc', '\\Aab')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('abc', 'bc\\z')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a]b', '[]]')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a.b*c', '\\Q.b*\\E')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('x{', '\\x{78}')"), "int:1");
  EXPECT_EQ(Q("regexp_matches('a1', '[[:digit:]]')"), "int:1");
}

TEST_F(DuckDbFunctionsTest, RegexpReplace) {
  EXPECT_EQ(Q("regexp_replace('aaa', 'a', 'b')"), "text:baa");  // first match only
  EXPECT_EQ(Q("regexp_replace('aaa', 'a', 'b', 'g')"), "text:bbb");
  EXPECT_EQ(Q("regexp_replace('abc', '(b)', '[\\1]')"), "text:a[b]c");
  EXPECT_EQ(Q("regexp_replace('abc', '(b)', '[\\0]')"), "text:a[b]c");
  EXPECT_EQ(Q("regexp_replace('hello world', '(\\w+) (\\w+)', '\\2 \\1')"), "text:world hello");
  EXPECT_EQ(Q("regexp_replace('abc', 'b', '$0')"), "text:a$0c");
  EXPECT_EQ(Q("regexp_replace('abc', 'b', '\\\\')"), "text:a\\c");
  EXPECT_EQ(Q("regexp_replace('abc', 'b', '\\1')"), "text:abc");  // invalid rewrite: unchanged
  EXPECT_EQ(Q("regexp_replace('abc', 'x', 'y')"), "text:abc");
  EXPECT_EQ(Q("regexp_replace('ABC', 'b', 'x', 'i')"), "text:AxC");
  EXPECT_EQ(Q("regexp_replace('aaa', '', '-', 'g')"), "text:-a-a-a-");
  EXPECT_EQ(Q("regexp_replace('h\xC3\xA9llo w\xC3\xB6rld', '[\xC3\xA9\xC3\xB6]', '_', 'g')"),
            "text:h_llo w_rld");
  EXPECT_EQ(Q("regexp_replace(NULL, 'a', 'b')"), "null");
}

TEST_F(DuckDbFunctionsTest, RegexpExtract) {
  EXPECT_EQ(Q("regexp_extract('abc123', '\\d+')"), "text:123");
  EXPECT_EQ(Q("regexp_extract('abc123', '([a-z]+)(\\d+)', 2)"), "text:123");
  EXPECT_EQ(Q("regexp_extract('abc', '\\d+')"), "text:");  // no match: '' (not NULL)
  EXPECT_EQ(Q("regexp_extract('abc', '(x)?b', 1)"), "text:");
  EXPECT_EQ(Q("regexp_extract('abc', '(b)', 2)"), "text:");
  EXPECT_EQ(Q("regexp_extract('h\xC3\xA9llo', 'h(.)l', 1)"), "text:\xC3\xA9");
  EXPECT_EQ(Q("regexp_extract('ABC', '(b)', 1, 'i')"), "text:B");
  EXPECT_EQ(Q("regexp_extract(NULL, 'a')"), "null");
}

TEST_F(DuckDbFunctionsTest, RegexpErrors) {
  EXPECT_NE(Err("regexp_matches('abc', '(')").find("invalid regular expression"),
            std::string::npos);
  EXPECT_NE(Err("regexp_matches('abc', 'b', 'z')").find("unrecognized regex option 'z'"),
            std::string::npos);
  EXPECT_NE(Err("regexp_matches('abc', 'b', 'g')").find("only valid for regexp_replace"),
            std::string::npos);
  EXPECT_NE(Err("regexp_extract('abc', '(b)', 10)").find("between 0 and 9"), std::string::npos);
  EXPECT_NE(Err("regexp_matches('ab', 'a\\pL')").find("not supported"), std::string::npos);
  EXPECT_NE(Err("regexp_matches('aa', '(a)\\1')").find("back-references"), std::string::npos);
  EXPECT_NE(Err("regexp_matches('ab', 'a(?i)b')").find("flags"), std::string::npos);
}

TEST_F(DuckDbFunctionsTest, RegexpHandlesLongInputsAndConstantPatternsPerRow) {
  // A 200k-character subject: the polynomial (BFS) matcher does not recurse per character.
  EXPECT_EQ(Q("regexp_matches(printf('%.*c', 200000, 'a') || 'c', '(a|b)*c')"), "int:1");
  EXPECT_EQ(Q("length(regexp_replace(printf('%.*c', 200000, 'a'), 'a', 'b', 'g'))"), "int:200000");
  // A pattern that changes per row (not cacheable) and one that is constant (cached).
  Exec("CREATE TABLE r (s TEXT, p TEXT)");
  Exec("INSERT INTO r VALUES ('abc', 'b'), ('abc', 'x'), ('xyz', 'y'), ('xyz', 'b')");
  EXPECT_EQ(Rows("SELECT regexp_matches(s, p), regexp_matches(s, 'b') FROM r"),
            (std::vector<std::string>{"int:1 | int:1", "int:0 | int:1", "int:1 | int:0",
                                      "int:0 | int:0"}));
}

// ---------------------------------------------------------------------------------------------
// String functions

TEST_F(DuckDbFunctionsTest, PrefixSuffixContains) {
  EXPECT_EQ(Q("starts_with('abc', 'ab')"), "int:1");
  EXPECT_EQ(Q("starts_with('abc', '')"), "int:1");
  EXPECT_EQ(Q("starts_with('abc', 'b')"), "int:0");
  EXPECT_EQ(Q("prefix('abc', 'b')"), "int:0");
  EXPECT_EQ(Q("ends_with('abc', 'bc')"), "int:1");
  EXPECT_EQ(Q("ends_with('c', 'abc')"), "int:0");
  EXPECT_EQ(Q("suffix('abc', 'c')"), "int:1");
  EXPECT_EQ(Q("contains('abc', 'b')"), "int:1");
  EXPECT_EQ(Q("contains('abc', '')"), "int:1");
  EXPECT_EQ(Q("contains('abc', 'x')"), "int:0");
  EXPECT_EQ(Q("starts_with(NULL, 'a')"), "null");
  EXPECT_EQ(Q("contains('a', NULL)"), "null");
  EXPECT_EQ(Q("strpos('h\xC3\xA9llo', 'l')"), "int:3");  // characters, not bytes
  EXPECT_EQ(Q("strpos('abc', 'x')"), "int:0");
  EXPECT_EQ(Q("strpos('abc', '')"), "int:1");
}

TEST_F(DuckDbFunctionsTest, ConcatGreatestLeast) {
  EXPECT_EQ(Q("concat('a', NULL, 'b', 1, 2.5)"), "text:ab12.5");
  EXPECT_EQ(Q("concat(NULL)"), "text:");
  EXPECT_EQ(Q("concat_ws('-', 'a', NULL, 'b')"), "text:a-b");
  EXPECT_EQ(Q("concat_ws(NULL, 'a')"), "null");
  EXPECT_NE(Err("concat_ws()").find("separator"), std::string::npos);
  EXPECT_EQ(Q("greatest(1, NULL, 3)"), "int:3");
  EXPECT_EQ(Q("least(1, NULL, 3)"), "int:1");
  EXPECT_EQ(Q("greatest(NULL, NULL)"), "null");
  EXPECT_EQ(Q("greatest('a', 'b')"), "text:b");
  EXPECT_EQ(Q("least(2, 1.5)"), "real:1.5");
}

TEST_F(DuckDbFunctionsTest, PaddingSplittingAndFriends) {
  EXPECT_EQ(Q("lpad('abc', 5, 'xy')"), "text:xyabc");
  EXPECT_EQ(Q("rpad('abc', 5, 'xy')"), "text:abcxy");
  EXPECT_EQ(Q("lpad('abcdef', 3, 'x')"), "text:abc");
  EXPECT_EQ(Q("lpad('\xC3\xA9', 3, '\xC3\xB6')"), "text:\xC3\xB6\xC3\xB6\xC3\xA9");
  EXPECT_NE(Err("lpad('abc', 5, '')").find("insufficient padding"), std::string::npos);
  EXPECT_EQ(Q("reverse('h\xC3\xA9llo')"), "text:oll\xC3\xA9h");
  EXPECT_EQ(Q("repeat('ab', 3)"), "text:ababab");
  EXPECT_EQ(Q("repeat('ab', -1)"), "text:");
  EXPECT_EQ(Q("split_part('a,b,c', ',', 2)"), "text:b");
  EXPECT_EQ(Q("split_part('a,b,c', ',', -1)"), "text:c");
  EXPECT_EQ(Q("split_part('a,b,c', ',', 5)"), "text:");
  EXPECT_EQ(Q("split_part('a::b::c', '::', 3)"), "text:c");
  // LEFT and RIGHT are join keywords to SQLite's parser: call them quoted.
  EXPECT_EQ(Q("\"left\"('h\xC3\xA9llo', 2)"), "text:h\xC3\xA9");
  EXPECT_EQ(Q("\"right\"('h\xC3\xA9llo', 2)"), "text:lo");
  EXPECT_EQ(Q("\"left\"('abc', -1)"), "text:ab");
}

// ---------------------------------------------------------------------------------------------
// Aggregates

class DuckDbAggregatesTest : public DuckDbFunctionsTest {
 protected:
  void SetUp() override {
    DuckDbFunctionsTest::SetUp();
    Exec("CREATE TABLE v (x)");
    Exec("INSERT INTO v VALUES (1), (2), (4), (10), (NULL)");
    Exec("CREATE TABLE h (x INTEGER)");
    Exec(
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100) "
        "INSERT INTO h SELECT i FROM r");
    Exec("CREATE TABLE d (x REAL)");
    Exec("INSERT INTO d VALUES (3.5), (1.25), (9.0), (7.75), (2.0), (2.0), (100.5)");
  }
};

TEST_F(DuckDbAggregatesTest, QuantileContInterpolatesLikeDuckDb) {
  // position (n-1)*q, lo*(1-d) + hi*d; NULLs ignored.
  EXPECT_EQ(Q("quantile_cont(x, 0.25) FROM v"), "real:1.75");
  EXPECT_EQ(Q("quantile_cont(x, 0.95) FROM v"), "real:9.099999999999998");
  EXPECT_EQ(Q("quantile_cont(x, 0.5) FROM v"), "real:3");
  EXPECT_EQ(Q("quantile_cont(x, 0.95) FROM h"), "real:95.05");
  EXPECT_EQ(Q("quantile_cont(x, 0.1) FROM h"), "real:10.9");
  EXPECT_EQ(Q("quantile_cont(x, 0.34) FROM h"), "real:34.660000000000004");
  EXPECT_EQ(Q("quantile_cont(x, 0.9) FROM h"), "real:90.10000000000001");
  EXPECT_EQ(Q("quantile_cont(x, 0.999) FROM h"), "real:99.901");
  EXPECT_EQ(Q("quantile_cont(x, 0) FROM h"), "real:1");
  EXPECT_EQ(Q("quantile_cont(x, 1) FROM h"), "real:100");
  EXPECT_EQ(Q("quantile_cont(x, 0.6) FROM d"), "real:6.049999999999998");
  EXPECT_EQ(Q("quantile_cont(x, 0.75) FROM d"), "real:8.375");
  // A negative quantile orders descending (DuckDB's convention).
  EXPECT_EQ(Q("quantile_cont(x, -0.25) FROM v"), "real:5.5");
  EXPECT_EQ(Q("quantile_cont(x, -0.9) FROM h"), "real:10.899999999999991");
}

TEST_F(DuckDbAggregatesTest, QuantileDiscPicksDuckDbsIndex) {
  // index ceil(n*q) - 1 (at least 0), the input's own value and type.
  EXPECT_EQ(Q("quantile_disc(x, 0.25) FROM v"), "int:1");
  EXPECT_EQ(Q("quantile_disc(x, 0.5) FROM v"), "int:2");
  EXPECT_EQ(Q("quantile_disc(x, 0) FROM v"), "int:1");
  EXPECT_EQ(Q("quantile_disc(x, 1) FROM v"), "int:10");
  EXPECT_EQ(Q("quantile_disc(x, -0.25) FROM v"), "int:10");
  EXPECT_EQ(Q("quantile_disc(x, 0.1) FROM h"), "int:10");
  EXPECT_EQ(Q("quantile_disc(x, 0.33) FROM h"), "int:33");
  EXPECT_EQ(Q("quantile_disc(x, 0.34) FROM h"), "int:34");
  EXPECT_EQ(Q("quantile_disc(x, 0.999) FROM h"), "int:100");
  EXPECT_EQ(Q("quantile_disc(x, -0.1) FROM h"), "int:91");
  EXPECT_EQ(Q("quantile_disc(x, 0.75) FROM d"), "real:9");
  EXPECT_EQ(Q("quantile(x, 0.25) FROM v"), "int:1");  // DuckDB's quantile is quantile_disc
  EXPECT_EQ(Q("quantile_disc(x, 0.5) FROM (SELECT 'b' x UNION ALL SELECT 'a' UNION ALL SELECT 'd' "
              "UNION ALL SELECT 'c' UNION ALL SELECT 'e')"),
            "text:c");
}

TEST_F(DuckDbAggregatesTest, MedianAndTimestamps) {
  EXPECT_EQ(Q("median(x) FROM v"), "real:3");
  EXPECT_EQ(Q("median(x) FROM d"), "real:3.5");
  // Text has a discrete median (the lower middle), as in DuckDB.
  EXPECT_EQ(Q("median(x) FROM (SELECT 'a' x UNION ALL SELECT 'b' UNION ALL SELECT 'c' "
              "UNION ALL SELECT 'd')"),
            "text:b");
  // ISO-8601 timestamps interpolate like DuckDB's TIMESTAMP columns.
  const std::string ts =
      " FROM (SELECT '2024-01-01 00:00:00' x UNION ALL SELECT '2024-01-02T00:00:00Z' "
      "UNION ALL SELECT '2024-01-04 00:00:01')";
  EXPECT_EQ(Q("median(x)" + ts), "text:2024-01-02 00:00:00");
  EXPECT_EQ(Q("quantile_cont(x, 0.3)" + ts), "text:2024-01-01 14:24:00");
  EXPECT_EQ(Q("quantile_disc(x, 0.3)" + ts), "text:2024-01-01 00:00:00");
}

TEST_F(DuckDbAggregatesTest, QuantileListsEmptyInputsAndGroups) {
  EXPECT_EQ(Q("quantile_cont(x, '[0.1, 0.5]') FROM v"), "text:[1.3,3.0]");
  EXPECT_EQ(Q("quantile_disc(x, '[0.25, 1]') FROM v"), "text:[1,10]");
  EXPECT_EQ(Q("median(x) FROM v WHERE x > 100"), "null");
  EXPECT_EQ(Q("quantile_cont(x, 0.5) FROM v WHERE x IS NULL"), "null");
  EXPECT_EQ(Rows("SELECT x % 2, quantile_cont(x, 0.5) FROM h GROUP BY 1 ORDER BY 1"),
            (std::vector<std::string>{"int:0 | real:51", "int:1 | real:50"}));
}

TEST_F(DuckDbAggregatesTest, QuantileErrors) {
  EXPECT_NE(Err("quantile_cont(x, 1.5) FROM v").find("between -1 and 1"), std::string::npos);
  EXPECT_NE(Err("quantile_disc(x, -2) FROM v").find("between -1 and 1"), std::string::npos);
  EXPECT_NE(Err("quantile_cont(x, NULL) FROM v").find("must not be NULL"), std::string::npos);
  EXPECT_NE(Err("quantile_cont(x, x / 10.0) FROM v").find("same for every row"), std::string::npos);
  EXPECT_NE(Err("quantile_cont(x, 'half') FROM v").find("a number or a list"), std::string::npos);
  EXPECT_NE(Err("quantile_cont(x, 0.5) FROM (SELECT 'a' x UNION ALL SELECT 'b')")
                .find("cannot interpolate text"),
            std::string::npos);
  EXPECT_NE(Err("median(x) FROM (SELECT 1 x UNION ALL SELECT 'b')").find("mix of numbers and text"),
            std::string::npos);
}

TEST_F(DuckDbAggregatesTest, QuantilesAsWindowFunctions) {
  EXPECT_EQ(
      Rows("SELECT x, median(x) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), "
           "quantile_cont(x, 0.9) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),"
           " quantile_disc(x, 0.5) OVER (ORDER BY x ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)"
           " FROM (SELECT 1 x UNION ALL SELECT 5 UNION ALL SELECT 2 UNION ALL SELECT 8 "
           "UNION ALL SELECT 3 UNION ALL SELECT 13 UNION ALL SELECT 21) ORDER BY x"),
      (std::vector<std::string>{
          "int:1 | real:1 | real:1.9 | int:1", "int:2 | real:1.5 | real:2.8000000000000003 | int:1",
          "int:3 | real:2 | real:4.6 | int:2", "int:5 | real:3 | real:7.4 | int:2",
          "int:8 | real:5 | real:12 | int:3", "int:13 | real:8 | real:19.4 | int:5",
          "int:21 | real:13 | real:20.200000000000003 | int:8"}));
}

TEST_F(DuckDbAggregatesTest, StringAgg) {
  const std::string t =
      " FROM (SELECT 'a' x UNION ALL SELECT NULL UNION ALL SELECT 'b' UNION ALL SELECT 'c')";
  EXPECT_EQ(Q("string_agg(x, '-')" + t), "text:a-b-c");
  EXPECT_EQ(Q("string_agg(x)" + t), "text:a,b,c");
  EXPECT_EQ(Q("string_agg(x, NULL)" + t), "null");
  EXPECT_EQ(Q("listagg(x, '')" + t), "text:abc");
  EXPECT_EQ(Q("string_agg(x, ',') FROM v WHERE x IS NULL"), "null");
  EXPECT_EQ(Rows("SELECT string_agg(x, '|') OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND "
                 "CURRENT ROW) FROM v WHERE x IS NOT NULL ORDER BY x"),
            (std::vector<std::string>{"text:1", "text:1|2", "text:2|4", "text:4|10"}));
}

TEST_F(DuckDbAggregatesTest, BoolAndOrCountIf) {
  const std::string t = " FROM (SELECT 1 x UNION ALL SELECT NULL UNION ALL SELECT 0)";
  EXPECT_EQ(Q("bool_and(x)" + t), "int:0");
  EXPECT_EQ(Q("bool_or(x)" + t), "int:1");
  EXPECT_EQ(Q("count_if(x)" + t), "int:1");
  EXPECT_EQ(Q("count_if(x > 1) FROM v"), "int:3");
  EXPECT_EQ(Q("countif(x > 100) FROM v"), "int:0");
  // Text converts as DuckDB's VARCHAR -> BOOLEAN cast does.
  EXPECT_EQ(Q("count_if(x) FROM (SELECT 'true' x UNION ALL SELECT 'F' UNION ALL SELECT 't' "
              "UNION ALL SELECT 'Yes' UNION ALL SELECT '0')"),
            "int:3");
  EXPECT_NE(Err("bool_and(x) FROM (SELECT '2' x)").find("cannot convert '2' to a boolean"),
            std::string::npos);
  EXPECT_NE(Err("bool_or(x) FROM (SELECT 'maybe' x)").find("cannot convert 'maybe' to a boolean"),
            std::string::npos);
  // No non-NULL input: NULL (DuckDB's count_if sums, so it is NULL too).
  EXPECT_EQ(Q("bool_and(x) FROM v WHERE x IS NULL"), "null");
  EXPECT_EQ(Q("count_if(x) FROM v WHERE x IS NULL"), "null");
  EXPECT_EQ(Rows("SELECT count_if(x > 3) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT "
                 "ROW) FROM v WHERE x IS NOT NULL ORDER BY x"),
            (std::vector<std::string>{"int:0", "int:0", "int:1", "int:2"}));
}

TEST_F(DuckDbAggregatesTest, ArgMaxArgMin) {
  const std::string t =
      " FROM (SELECT 'x' a, 1 b UNION ALL SELECT 'y', 3 UNION ALL SELECT 'z', 3 UNION ALL "
      "SELECT 'w', NULL UNION ALL SELECT NULL, 5 UNION ALL SELECT 'n', 0)";
  EXPECT_EQ(Q("arg_max(a, b)" + t), "text:y");  // NULL a or b skipped; the first of ties
  EXPECT_EQ(Q("arg_min(a, b)" + t), "text:n");
  EXPECT_EQ(Q("max_by(a, b)" + t), "text:y");
  EXPECT_EQ(Q("min_by(a, b)" + t), "text:n");
  EXPECT_EQ(Q("arg_max(x, x) FROM v WHERE x IS NULL"), "null");
}

TEST_F(DuckDbAggregatesTest, VarianceAndStddev) {
  const std::string t =
      " FROM (SELECT 1 x UNION ALL SELECT 2 UNION ALL SELECT 4 UNION ALL "
      "SELECT NULL)";
  EXPECT_EQ(Q("stddev_samp(x)" + t), "real:1.5275252316519465");
  EXPECT_EQ(Q("stddev(x)" + t), "real:1.5275252316519465");
  EXPECT_EQ(Q("stddev_pop(x)" + t), "real:1.247219128924647");
  EXPECT_EQ(Q("var_samp(x)" + t), "real:2.333333333333333");
  EXPECT_EQ(Q("variance(x)" + t), "real:2.333333333333333");
  EXPECT_EQ(Q("var_pop(x)" + t), "real:1.5555555555555554");
  EXPECT_EQ(Q("stddev_samp(x) FROM (SELECT 1 x)"), "null");
  EXPECT_EQ(Q("var_pop(x) FROM (SELECT 1 x)"), "real:0");
  EXPECT_NE(Err("var_samp(x) FROM (SELECT 'abc' x)").find("expected a number"), std::string::npos);
  EXPECT_EQ(
      Rows("SELECT var_samp(x) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) "
           "FROM (SELECT 1 x UNION ALL SELECT 5 UNION ALL SELECT 2 UNION ALL SELECT 8 "
           "UNION ALL SELECT 3 UNION ALL SELECT 13 UNION ALL SELECT 21) ORDER BY x"),
      (std::vector<std::string>{"null", "real:0.5", "real:1", "real:2.333333333333333",
                                "real:6.333333333333334", "real:16.333333333333336", "real:43"}));
}

}  // namespace
}  // namespace k3::tables
