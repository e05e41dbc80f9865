// TableService column types: each K3 COLUMN_TYPE round-trips through insert_rows, query (the
// C++ typed Values, through query and query_cursor) and describe, including NULLs, int64
// extremes, unicode and blobs; values a type refuses; the types of tables made by SQL.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

constexpr char kBucket[] = "types";

class TablesTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    ASSERT_TRUE(db_->storage().create_bucket({.name = kBucket}).ok());
    ASSERT_TRUE(db_->tables().configure_engine(kBucket).ok());
  }

  TableService& tables() { return db_->tables(); }

  // Creates table `name` (id LONG key, v of `type`), inserts one row per value (id = index)
  // and checks the values read back through query and query_cursor, with the column's type
  // in the results and in describe.
  void RoundTrip(const std::string& name, ColumnType type, const std::vector<Value>& in,
                 const std::vector<Value>& expected) {
    ASSERT_EQ(in.size(), expected.size());
    auto created =
        tables().create_table({.bucket = kBucket,
                               .name = name,
                               .columns = {{"id", ColumnType::kLong, false}, {"v", type, true}},
                               .merge_keys = {"id"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    std::vector<Row> rows;
    for (size_t i = 0; i < in.size(); ++i) {
      rows.push_back({{"id", static_cast<int64_t>(i)}, {"v", in[i]}});
    }
    auto written = tables().insert_rows(kBucket, name, rows);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_EQ(written->rows_written, in.size());

    auto described = tables().get_table(kBucket, name);
    ASSERT_TRUE(described.ok());
    ASSERT_EQ(described->columns.size(), 2u);
    EXPECT_EQ(described->columns[1].type, type);
    EXPECT_TRUE(described->columns[1].nullable);
    EXPECT_EQ(described->row_count, in.size());

    auto result = tables().query(
        {.bucket = kBucket, .table_name = name, .sql = "SELECT id, v FROM {table} ORDER BY id"});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->columns.size(), 2u);
    EXPECT_EQ(result->columns[1].name, "v");
    EXPECT_EQ(result->columns[1].type, type);
    ASSERT_EQ(result->rows.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(result->rows[i][1], expected[i]) << name << " row " << i;
    }

    auto cursor = tables().query_cursor(
        {.bucket = kBucket, .table_name = name, .sql = "SELECT v FROM {table} ORDER BY id"});
    ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
    EXPECT_EQ(cursor->columns()[0].type, type);
    size_t i = 0;
    while (cursor->next().value()) {
      ASSERT_LT(i, expected.size());
      EXPECT_EQ(cursor->row()[0], expected[i]) << name << " cursor row " << i;
      ++i;
    }
    EXPECT_EQ(i, expected.size());
  }

  // The status of inserting {v: value} into a fresh table with a column of `type`.
  Status InsertOne(ColumnType type, Value value, bool nullable = true) {
    const std::string name = "refuse" + std::to_string(++refusals_);
    auto created = tables().create_table(
        {.bucket = kBucket, .name = name, .columns = {{"v", type, nullable}}});
    if (!created.ok()) return created.status();
    Status s = tables().insert_rows(kBucket, name, {{{"v", std::move(value)}}}).status();
    // Nothing was written either way but a valid row.
    auto count = tables().get_table(kBucket, name);
    EXPECT_EQ(count->row_count, s.ok() ? 1u : 0u);
    return s;
  }

  test::TempDir dir_;
  std::optional<Db> db_;
  int refusals_ = 0;
};

Value Bytes(std::initializer_list<int> bytes) {
  std::vector<uint8_t> out;
  for (int b : bytes) out.push_back(static_cast<uint8_t>(b));
  return out;
}

const Value kNull = std::monostate();

TEST_F(TablesTypesTest, String) {
  const std::string unicode =
      "h\xC3\xA9llo w\xC3\xB6rld \xE6\x97\xA5\xE6\x9C\xAC "
      "\xF0\x9F\x8E\x89";  // héllo wörld 日本 🎉
  const std::string with_nul("a\0b", 3);
  std::vector<Value> values = {std::string(""),
                               std::string("plain"),
                               unicode,
                               std::string("it's \"quoted\"; DROP TABLE x; --"),
                               with_nul,
                               std::string(100000, 'z'),
                               kNull};
  RoundTrip("t_string", ColumnType::kString, values, values);
  EXPECT_EQ(InsertOne(ColumnType::kString, int64_t{5}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kString, std::string("\xFF\xFE")).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, Int) {
  RoundTrip("t_int", ColumnType::kInt,
            {int64_t{0}, int64_t{-2147483648LL}, int64_t{2147483647}, 42.0, kNull},
            {int64_t{0}, int64_t{-2147483648LL}, int64_t{2147483647}, int64_t{42}, kNull});
  EXPECT_EQ(InsertOne(ColumnType::kInt, int64_t{2147483648LL}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kInt, 1.5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kInt, std::string("7")).code(), StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, Long) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  RoundTrip("t_long", ColumnType::kLong, {min, max, int64_t{-1}, int64_t{0}, kNull},
            {min, max, int64_t{-1}, int64_t{0}, kNull});
  EXPECT_EQ(InsertOne(ColumnType::kLong, 1e19).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kLong, true).code(), StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, Short) {
  RoundTrip("t_short", ColumnType::kShort, {int64_t{-32768}, int64_t{32767}, kNull},
            {int64_t{-32768}, int64_t{32767}, kNull});
  EXPECT_EQ(InsertOne(ColumnType::kShort, int64_t{32768}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kShort, int64_t{-32769}).code(), StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, FloatAndDouble) {
  const double inf = std::numeric_limits<double>::infinity();
  for (ColumnType type : {ColumnType::kFloat, ColumnType::kDouble}) {
    const std::string name = type == ColumnType::kFloat ? "t_float" : "t_double";
    RoundTrip(name, type, {1.5, -0.25, 1e308, 5e-324, inf, int64_t{3}, kNull},
              {1.5, -0.25, 1e308, 5e-324, inf, 3.0, kNull});
    EXPECT_EQ(InsertOne(type, std::nan("")).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(InsertOne(type, std::string("1.5")).code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(TablesTypesTest, Boolean) {
  RoundTrip("t_bool", ColumnType::kBoolean, {true, false, int64_t{1}, int64_t{0}, kNull},
            {true, false, true, false, kNull});
  EXPECT_EQ(InsertOne(ColumnType::kBoolean, int64_t{2}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kBoolean, std::string("true")).code(),
            StatusCode::kInvalidArgument);
  // SQL writes are held to 0/1 too.
  ASSERT_TRUE(
      tables()
          .create_table(
              {.bucket = kBucket, .name = "flags", .columns = {{"f", ColumnType::kBoolean}}})
          .ok());
  EXPECT_EQ(tables().execute(kBucket, "INSERT INTO flags VALUES (1, 5)").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, Date) {
  std::vector<Value> values = {std::string("2026-05-14"), std::string("2024-02-29"),
                               std::string("0001-01-01"), kNull};
  RoundTrip("t_date", ColumnType::kDate, values, values);
  for (const char* bad : {"2023-02-29", "2026/05/14", "2026-5-14", "2026-05-14T00:00:00Z", ""}) {
    EXPECT_EQ(InsertOne(ColumnType::kDate, std::string(bad)).code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(TablesTypesTest, Timestamp) {
  RoundTrip(
      "t_ts", ColumnType::kTimestamp,
      {std::string("2026-05-14T10:00:00Z"), std::string("2026-05-14 10:00:00.123+02:00"),
       std::string("2026-05-14"), int64_t{0}, int64_t{1778752800123}, int64_t{-1}, kNull},
      {std::string("2026-05-14T10:00:00Z"), std::string("2026-05-14 10:00:00.123+02:00"),
       std::string("2026-05-14"), std::string("1970-01-01T00:00:00Z"),
       std::string("2026-05-14T10:00:00.123Z"), std::string("1969-12-31T23:59:59.999Z"), kNull});
  for (const char* bad : {"yesterday", "2026-05-14T25:00:00Z", "2026-05-14T10:00:00Q"}) {
    EXPECT_EQ(InsertOne(ColumnType::kTimestamp, std::string(bad)).code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(TablesTypesTest, Binary) {
  std::vector<uint8_t> big(70000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7 + 3);
  std::vector<Value> values = {std::vector<uint8_t>{}, Bytes({0, 1, 255, 0, 128}), big, kNull};
  RoundTrip("t_bin", ColumnType::kBinary, values, values);
  EXPECT_EQ(InsertOne(ColumnType::kBinary, std::string("bytes?")).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, Json) {
  RoundTrip(
      "t_json", ColumnType::kJson,
      {std::string("{\"a\":1,\"b\":[true,null]}"), std::string("[1,2,3]"), std::string("\"s\""),
       std::string("null"), int64_t{5}, true, 2.5, kNull},
      {std::string("{\"a\":1,\"b\":[true,null]}"), std::string("[1,2,3]"), std::string("\"s\""),
       std::string("null"), std::string("5"), std::string("true"), std::string("2.5"), kNull});
  EXPECT_EQ(InsertOne(ColumnType::kJson, std::string("{a:1}")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertOne(ColumnType::kJson, std::string("")).code(), StatusCode::kInvalidArgument);
  // The JSON functions see the text.
  auto r =
      tables().query({.bucket = kBucket, .sql = "SELECT v ->> '$.a' FROM t_json WHERE id = 0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0][0], Value(int64_t{1}));
  // SQL writes are checked too.
  EXPECT_EQ(
      tables().execute(kBucket, "UPDATE t_json SET v = '{broken' WHERE id = 0").status().code(),
      StatusCode::kInvalidArgument);
}

TEST_F(TablesTypesTest, NullsAndRequiredColumns) {
  EXPECT_EQ(InsertOne(ColumnType::kString, kNull, /*nullable=*/false).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(InsertOne(ColumnType::kString, kNull, /*nullable=*/true).ok());
  auto created = tables().create_table(
      {.bucket = kBucket,
       .name = "req",
       .columns = {{"a", ColumnType::kLong, false}, {"b", ColumnType::kString}}});
  ASSERT_TRUE(created.ok());
  Status missing = tables().insert_rows(kBucket, "req", {{{"b", "x"}}}).status();
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.message().find("\"a\""), std::string::npos) << missing.message();
  EXPECT_TRUE(tables().insert_rows(kBucket, "req", {{{"a", int64_t{1}}}}).ok());
}

TEST_F(TablesTypesTest, TypesOfTablesMadeBySql) {
  auto r = tables().execute(kBucket,
                            "CREATE TABLE mixed (a INT, b BIGINT, c SMALLINT, d TINYINT, e TEXT, "
                            "f VARCHAR(10), g REAL, h DOUBLE, i FLOAT, j NUMERIC, k BOOLEAN, "
                            "l DATE, m TIMESTAMP, n DATETIME, o JSON, p BLOB, q)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto t = tables().get_table(kBucket, "mixed");
  ASSERT_TRUE(t.ok());
  const std::vector<ColumnType> want = {
      ColumnType::kLong,      ColumnType::kLong,      ColumnType::kShort,   ColumnType::kShort,
      ColumnType::kString,    ColumnType::kString,    ColumnType::kDouble,  ColumnType::kDouble,
      ColumnType::kFloat,     ColumnType::kDouble,    ColumnType::kBoolean, ColumnType::kDate,
      ColumnType::kTimestamp, ColumnType::kTimestamp, ColumnType::kJson,    ColumnType::kBinary,
      ColumnType::kString};
  ASSERT_EQ(t->columns.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t->columns[i].type, want[i]) << t->columns[i].name;
  }
  // Query results carry the same types.
  auto q = tables().query({.bucket = kBucket, .sql = "SELECT k, l, p FROM mixed"});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->columns[0].type, ColumnType::kBoolean);
  EXPECT_EQ(q->columns[1].type, ColumnType::kDate);
  EXPECT_EQ(q->columns[2].type, ColumnType::kBinary);
}

}  // namespace
}  // namespace k3
