// TableService: engine lifecycle, tables (create/list/get/alter/drop), query/execute/cursor,
// writes (insert, upsert, merge variants, update, delete) with versions, history and
// restore, maintenance, materialization, per-bucket isolation and bucket deletion.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

namespace fs = std::filesystem;

class TablesCoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(Options options = {}) {
    auto db = Db::open(dir_.path(), std::move(options));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    if (!db_->storage().get_bucket("bkt1").ok()) {
      ASSERT_TRUE(db_->storage().create_bucket({.name = "bkt1"}).ok());
      ASSERT_TRUE(tables().configure_engine("bkt1").ok());
    }
  }
  void Close() { db_.reset(); }

  TableService& tables() { return db_->tables(); }

  Table MustCreate(CreateTableRequest request) {
    if (request.bucket.empty()) request.bucket = "bkt1";
    auto t = tables().create_table(request);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Table{};
  }

  // events(id LONG merge key, kind STRING, n LONG, payload JSON)
  void CreateEvents() {
    MustCreate({.name = "events",
                .columns = {{"id", ColumnType::kLong, false},
                            {"kind", ColumnType::kString},
                            {"n", ColumnType::kLong},
                            {"payload", ColumnType::kJson}},
                .merge_keys = {"id"}});
  }

  QueryResult MustQuery(const std::string& sql, std::vector<Value> params = {},
                        const std::string& table = "", std::string bucket = "bkt1") {
    auto r = tables().query(
        {.bucket = bucket, .table_name = table, .sql = sql, .params = std::move(params)});
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : QueryResult{};
  }

  int64_t Count(const std::string& table, std::string bucket = "bkt1") {
    QueryResult r = MustQuery("SELECT count(*) FROM " + table, {}, "", bucket);
    return r.rows.empty() ? -1 : std::get<int64_t>(r.rows[0][0]);
  }

  // The rows of `sql` as text, one string per row (order kept).
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& row : MustQuery(sql).rows) {
      std::string s;
      for (const Value& v : row) {
        if (!s.empty()) s += "|";
        if (std::holds_alternative<std::monostate>(v)) s += "NULL";
        if (const auto* i = std::get_if<int64_t>(&v)) s += std::to_string(*i);
        if (const auto* d = std::get_if<double>(&v)) s += std::to_string(*d);
        if (const auto* t = std::get_if<std::string>(&v)) s += *t;
        if (const auto* b = std::get_if<bool>(&v)) s += *b ? "true" : "false";
      }
      out.push_back(s);
    }
    return out;
  }

  test::TempDir dir_;
  std::optional<Db> db_;
};

Row EventRow(int64_t id, std::string kind, int64_t n) {
  return {{"id", id}, {"kind", std::move(kind)}, {"n", n}};
}

// ---- engines ----

TEST_F(TablesCoreTest, EngineLifecycle) {
  ASSERT_TRUE(db_->storage().create_bucket({.name = "bkt2"}).ok());
  EXPECT_EQ(tables().get_engine("bkt2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(
      tables().create_table({.bucket = "bkt2", .name = "t", .columns = {{"a"}}}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(tables().query({.bucket = "bkt2", .sql = "SELECT 1"}).status().code(),
            StatusCode::kNotFound);

  auto e = tables().configure_engine("bkt2");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->engine_id.rfind("eng_", 0), 0u) << e->engine_id;
  EXPECT_EQ(e->bucket, "bkt2");
  EXPECT_EQ(e->status, EngineStatus::kActive);
  EXPECT_GT(e->created_at, 0);
  EXPECT_EQ(e->table_count, 0u);
  const std::string file = dir_.path() + "/tables/bkt2.db";
  EXPECT_TRUE(fs::exists(file));

  auto again = tables().configure_engine("bkt2");  // idempotent
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->engine_id, e->engine_id);
  auto got = tables().get_engine("bkt2");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->engine_id, e->engine_id);
  EXPECT_GT(got->size_bytes, 0u);

  MustCreate({.bucket = "bkt2", .name = "t", .columns = {{"a"}}});
  EXPECT_EQ(tables().get_engine("bkt2")->table_count, 1u);

  ASSERT_TRUE(tables().delete_engine("bkt2").ok());
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + "-wal"));
  EXPECT_FALSE(fs::exists(file + "-shm"));
  EXPECT_EQ(tables().get_engine("bkt2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().delete_engine("bkt2").code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().get_table("bkt2", "t").status().code(), StatusCode::kNotFound);

  // A new engine starts empty, with a new id.
  auto fresh = tables().configure_engine("bkt2");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->engine_id, e->engine_id);
  EXPECT_EQ(fresh->table_count, 0u);
}

TEST_F(TablesCoreTest, EngineOperationsOnMissingBucketAreNotFound) {
  EXPECT_EQ(tables().configure_engine("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().get_engine("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().delete_engine("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().list_tables({.bucket = "nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().query({.bucket = "nope", .sql = "SELECT 1"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(tables().execute("nope", "SELECT 1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().insert_rows("nope", "t", {}).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_.path() + "/tables/nope.db"));
}

TEST_F(TablesCoreTest, TablesAndRowsSurviveReopen) {
  CreateEvents();
  const std::string id = tables().get_engine("bkt1")->engine_id;
  ASSERT_TRUE(
      tables().insert_rows("bkt1", "events", {EventRow(1, "a", 10), EventRow(2, "b", 20)}).ok());
  Close();
  Open();
  EXPECT_EQ(tables().get_engine("bkt1")->engine_id, id);
  auto t = tables().get_table("bkt1", "events");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->row_count, 2u);
  EXPECT_EQ(t->version, 1u);
  EXPECT_EQ(Rows("SELECT id, kind, n FROM events ORDER BY id"),
            (std::vector<std::string>{"1|a|10", "2|b|20"}));
}

// ---- tables ----

TEST_F(TablesCoreTest, CreateGetDescribe) {
  Table t = MustCreate({.name = "orders",
                        .description = "customer orders",
                        .columns = {{"order_id", ColumnType::kString, false},
                                    {"region", ColumnType::kString},
                                    {"day", ColumnType::kDate},
                                    {"amount", ColumnType::kDouble}},
                        .merge_keys = {"order_id"},
                        .partition_columns = {"region", "day"},
                        .source = TableSource::kPipeline,
                        .pipeline_id = "pipe_123"});
  EXPECT_EQ(t.name, "orders");
  EXPECT_EQ(t.bucket, "bkt1");
  EXPECT_EQ(t.version, 0u);
  EXPECT_EQ(t.row_count, 0u);
  EXPECT_GT(t.created_at, 0);

  auto got = tables().get_table("bkt1", "ORDERS");  // names are case-insensitive, as in SQL
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "orders");
  EXPECT_EQ(got->description, "customer orders");
  ASSERT_EQ(got->columns.size(), 4u);
  EXPECT_EQ(got->columns[2].name, "day");
  EXPECT_EQ(got->columns[2].type, ColumnType::kDate);
  EXPECT_FALSE(got->columns[0].nullable);
  EXPECT_TRUE(got->columns[1].nullable);
  EXPECT_EQ(got->merge_keys, std::vector<std::string>{"order_id"});
  EXPECT_EQ(got->partition_columns, (std::vector<std::string>{"region", "day"}));
  EXPECT_EQ(got->source, TableSource::kPipeline);
  EXPECT_EQ(got->pipeline_id, "pipe_123");
  EXPECT_GT(got->size_bytes, 0u);

  // The merge keys are a unique key, the partition columns are indexed.
  QueryResult idx = MustQuery("PRAGMA index_list(orders)");
  EXPECT_GE(idx.rows.size(), 2u);

  ASSERT_TRUE(tables()
                  .insert_rows("bkt1", "orders",
                               {{{"order_id", "o1"}, {"region", "eu"}, {"amount", 3.5}},
                                {{"order_id", "o2"}, {"region", "us"}, {"amount", int64_t{4}}}})
                  .ok());
  got = tables().get_table("bkt1", "orders");
  EXPECT_EQ(got->row_count, 2u);
  EXPECT_EQ(got->version, 1u);

  EXPECT_EQ(MustCreate({.name = "other", .columns = {{"a"}}}).name, "other");
  EXPECT_EQ(tables()
                .create_table({.bucket = "bkt1", .name = "Orders", .columns = {{"x"}}})
                .status()
                .code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(tables().get_table("bkt1", "missing").status().code(), StatusCode::kNotFound);
  // Bad requests.
  EXPECT_EQ(tables().create_table({.bucket = "bkt1", .name = "nocols"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tables()
                .create_table({.bucket = "bkt1", .name = "dup", .columns = {{"a"}, {"A"}}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tables()
                .create_table(
                    {.bucket = "bkt1", .name = "badkey", .columns = {{"a"}}, .merge_keys = {"b"}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      tables()
          .create_table(
              {.bucket = "bkt1", .name = "notype", .columns = {{"a", ColumnType::kUnspecified}}})
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

TEST_F(TablesCoreTest, ListPaginatesByName) {
  for (std::string name : {"delta", "alpha", "Echo", "charlie", "bravo"}) {
    MustCreate({.name = name, .columns = {{"a"}}});
  }
  std::vector<std::string> names;
  ListTablesRequest request{.bucket = "bkt1", .page_size = 2};
  int pages = 0;
  for (;;) {
    auto page = tables().list_tables(request);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->pagination.total_count, 5);
    EXPECT_LE(page->tables.size(), 2u);
    for (const Table& t : page->tables) names.push_back(t.name);
    ++pages;
    if (page->pagination.next_page_token.empty()) break;
    request.page_token = page->pagination.next_page_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "Echo"}));
  EXPECT_EQ(tables().list_tables({.bucket = "bkt1", .page_token = "garbage"}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TablesCoreTest, AddColumnsAndDrop) {
  CreateEvents();
  ASSERT_TRUE(tables().insert_rows("bkt1", "events", {EventRow(1, "a", 1)}).ok());
  auto t = tables().add_columns("bkt1", "events",
                                {{"note", ColumnType::kString}, {"flag", ColumnType::kBoolean}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->columns.size(), 6u);
  EXPECT_EQ(t->columns[5].type, ColumnType::kBoolean);
  EXPECT_EQ(t->version, 2u);
  auto history = tables().history("bkt1", "events");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->front().operation, "ALTER");

  ASSERT_TRUE(
      tables()
          .insert_rows("bkt1", "events", {{{"id", int64_t{2}}, {"note", "hi"}, {"flag", true}}})
          .ok());
  EXPECT_EQ(Rows("SELECT id, note, flag FROM events ORDER BY id"),
            (std::vector<std::string>{"1|NULL|NULL", "2|hi|true"}));
  // Not nullable on a table with rows; a column that exists.
  EXPECT_EQ(
      tables().add_columns("bkt1", "events", {{"req", ColumnType::kLong, false}}).status().code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(tables().add_columns("bkt1", "events", {{"KIND", ColumnType::kLong}}).status().code(),
            StatusCode::kAlreadyExists);
  // On an empty table a non-nullable column is fine.
  MustCreate({.name = "empty", .columns = {{"a"}}});
  EXPECT_TRUE(tables().add_columns("bkt1", "empty", {{"b", ColumnType::kLong, false}}).ok());

  ASSERT_TRUE(tables().drop_table("bkt1", "events").ok());
  EXPECT_EQ(tables().get_table("bkt1", "events").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tables().query({.bucket = "bkt1", .sql = "SELECT * FROM events"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(tables().drop_table("bkt1", "events").code(), StatusCode::kNotFound);
  // A table re-created under the name starts a fresh history.
  CreateEvents();
  EXPECT_EQ(tables().history("bkt1", "events")->size(), 1u);
  EXPECT_EQ(tables().get_table("bkt1", "events")->version, 0u);
}

// ---- SQL ----

TEST_F(TablesCoreTest, QueryPlaceholdersParamsLimitAndTypes) {
  CreateEvents();
  MustCreate({.name = "kinds",
              .columns = {{"kind", ColumnType::kString, false}, {"label", ColumnType::kString}},
              .merge_keys = {"kind"}});
  std::vector<Row> rows;
  for (int i = 0; i < 50; ++i) rows.push_back(EventRow(i, i % 2 ? "odd" : "even", i));
  ASSERT_TRUE(tables().insert_rows("bkt1", "events", rows).ok());
  ASSERT_TRUE(
      tables()
          .insert_rows("bkt1", "kinds",
                       {{{"kind", "odd"}, {"label", "Odd"}}, {{"kind", "even"}, {"label", "Even"}}})
          .ok());

  auto r = tables().query({.bucket = "bkt1",
                           .table_name = "events",
                           .sql = "SELECT e.kind, k.label, COUNT(*) AS cnt, SUM(e.n) AS total "
                                  "FROM {table} e JOIN {k} k ON k.kind = e.kind "
                                  "WHERE e.n >= $1 AND e.kind <> ? GROUP BY 1, 2 ORDER BY 1",
                           .params = {int64_t{10}, std::string("none")},
                           .lookup_tables = {{"k", "kinds"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns.size(), 4u);
  EXPECT_EQ(r->columns[0].name, "kind");
  EXPECT_EQ(r->columns[0].type, ColumnType::kString);
  EXPECT_EQ(r->columns[2].name, "cnt");
  EXPECT_EQ(r->columns[2].type, ColumnType::kLong);
  ASSERT_EQ(r->row_count, 2u);
  EXPECT_EQ(std::get<std::string>(r->rows[0][1]), "Even");
  EXPECT_EQ(std::get<int64_t>(r->rows[0][2]), 20);  // 10, 12, ..., 48
  EXPECT_GE(r->execution_time_ms, 0.0);
  EXPECT_FALSE(r->truncated);

  // SELECT * shows the user's columns only; limit and truncation.
  auto all =
      tables().query({.bucket = "bkt1", .sql = "SELECT * FROM events ORDER BY id", .limit = 7});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->columns.size(), 4u);
  EXPECT_EQ(all->row_count, 7u);
  EXPECT_TRUE(all->truncated);
  // A placeholder inside a string literal stays literal.
  auto lit = MustQuery("SELECT '{table}' AS s", {}, "events");
  EXPECT_EQ(std::get<std::string>(lit.rows[0][0]), "{table}");
  // Default row limit: 10000.
  auto many = MustQuery(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000) "
      "SELECT x FROM c");
  EXPECT_EQ(many.row_count, 10000u);
  EXPECT_TRUE(many.truncated);
  // Expression columns take the type of their values; booleans bind as 0/1.
  auto expr = MustQuery("SELECT 1 + 1, 2.5, 'x', x'00ff', NULL, $1", {true});
  ASSERT_EQ(expr.columns.size(), 6u);
  EXPECT_EQ(expr.columns[0].type, ColumnType::kLong);
  EXPECT_EQ(expr.columns[1].type, ColumnType::kDouble);
  EXPECT_EQ(expr.columns[2].type, ColumnType::kString);
  EXPECT_EQ(expr.columns[3].type, ColumnType::kBinary);
  EXPECT_EQ(std::get<int64_t>(expr.rows[0][5]), 1);
}

// Eponymous virtual tables (json_each) and the DuckDB functions run through the fenced
// (user SQL) path on fresh reader connections; the cheat-sheet queries run unchanged.
TEST_F(TablesCoreTest, DuckDbDialectThroughTheService) {
  MustCreate({.name = "ev",
              .columns = {{"id", ColumnType::kLong, false},
                          {"kind", ColumnType::kString},
                          {"created_at", ColumnType::kTimestamp},
                          {"payload", ColumnType::kJson},
                          {"duration_ms", ColumnType::kDouble}},
              .merge_keys = {"id"}});
  std::vector<Row> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back(
        {{"id", int64_t{i}},
         {"kind", i % 3 == 0 ? "click" : "view"},
         {"created_at", int64_t{1778752800000} + int64_t{i} * 600000},
         {"payload", i % 2 ? "{\"customer_tier\":\"gold\"}" : "{\"customer_tier\":\"free\"}"},
         {"duration_ms", static_cast<double>(i)}});
  }
  ASSERT_TRUE(tables().insert_rows("bkt1", "ev", rows).ok());
  for (int round = 0; round < 6; ++round) {  // more rounds than pooled readers
    auto each = MustQuery("SELECT sum(value) FROM json_each('[1,2,3]')");
    ASSERT_EQ(each.rows.size(), 1u);
    EXPECT_EQ(each.rows[0][0], Value(int64_t{6}));
  }
  const std::vector<std::string> cheatsheet = {
      "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;",
      "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 "
      "ORDER BY 1;",
      "SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn "
      "FROM {table};",
      "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} "
      "GROUP BY tier;",
      "SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};"};
  for (const std::string& sql : cheatsheet) {
    auto r = tables().query({.bucket = "bkt1", .table_name = "ev", .sql = sql});
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    EXPECT_FALSE(r->rows.empty()) << sql;
    auto x = tables().execute("bkt1", "SELECT 1 FROM ev WHERE starts_with(kind, 'cl') LIMIT 1");
    ASSERT_TRUE(x.ok()) << x.status().ToString();
  }
  auto counts = MustQuery(
      "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC", {}, "ev");
  EXPECT_EQ(counts.rows[0][0], Value(std::string("view")));
  EXPECT_EQ(counts.rows[0][1], Value(int64_t{26}));
  auto p95 = MustQuery("SELECT quantile_cont(duration_ms, 0.95) FROM ev");
  EXPECT_NEAR(std::get<double>(p95.rows[0][0]), 37.05, 1e-9);
  auto hours = MustQuery(
      "SELECT date_trunc('hour', created_at) AS h, COUNT(*) FROM ev GROUP BY 1 ORDER BY 1");
  EXPECT_EQ(hours.rows.size(), 7u);  // 40 rows, 10 minutes apart, from 10:00
}

TEST_F(TablesCoreTest, KeylessTablesHideTheirRowKey) {
  MustCreate(
      {.name = "logs", .columns = {{"msg", ColumnType::kString}, {"lvl", ColumnType::kInt}}});
  ASSERT_TRUE(
      tables()
          .insert_rows("bkt1", "logs", {{{"msg", "a"}, {"lvl", int64_t{1}}}, {{"msg", "b"}}})
          .ok());
  auto r = MustQuery("SELECT * FROM logs ORDER BY msg");
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[0].name, "msg");
  EXPECT_EQ(r.columns[1].type, ColumnType::kInt);
  // rowid still works, as in SQLite and DuckDB, under a name of its own.
  auto ids = MustQuery("SELECT rowid AS id, msg FROM logs ORDER BY rowid");
  ASSERT_EQ(ids.columns.size(), 2u);
  EXPECT_EQ(ids.columns[0].type, ColumnType::kLong);
  ASSERT_EQ(ids.rows.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(ids.rows[0][0]), 1);
  // Unknown (and internal) columns are refused on insert.
  EXPECT_EQ(tables().insert_rows("bkt1", "logs", {{{"_k3_rowid", int64_t{5}}}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TablesCoreTest, CursorStreamsRows) {
  CreateEvents();
  std::vector<Row> rows;
  for (int i = 0; i < 25000; ++i) rows.push_back(EventRow(i, "k" + std::to_string(i % 3), i));
  ASSERT_TRUE(tables().insert_rows("bkt1", "events", rows).ok());
  auto cursor =
      tables().query_cursor({.bucket = "bkt1",
                             .table_name = "events",
                             .sql = "SELECT id, n * 2 AS twice FROM {table} ORDER BY id"});
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  ASSERT_EQ(cursor->columns().size(), 2u);
  EXPECT_EQ(cursor->columns()[0].type, ColumnType::kLong);
  EXPECT_EQ(cursor->columns()[1].type, ColumnType::kLong);  // known before the first next()
  int64_t expected = 0;
  for (;;) {
    auto more = cursor->next();
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_EQ(std::get<int64_t>(cursor->row()[0]), expected);
    ASSERT_EQ(std::get<int64_t>(cursor->row()[1]), expected * 2);
    ++expected;
  }
  EXPECT_EQ(expected, 25000);  // no default limit on a cursor
  // With a limit; an empty result; an error.
  auto limited =
      tables().query_cursor({.bucket = "bkt1", .sql = "SELECT id FROM events", .limit = 3});
  ASSERT_TRUE(limited.ok());
  int n = 0;
  while (limited->next().value()) ++n;
  EXPECT_EQ(n, 3);
  auto none = tables().query_cursor({.bucket = "bkt1", .sql = "SELECT id FROM events WHERE 0"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->next().value());
  EXPECT_EQ(tables().query_cursor({.bucket = "bkt1", .sql = "DELETE FROM events"}).status().code(),
            StatusCode::kInvalidArgument);
  // Many cursors at once (more than the idle pool) and a write in between.
  std::vector<RowCursor> open;
  for (int i = 0; i < 8; ++i) {
    auto c = tables().query_cursor({.bucket = "bkt1", .sql = "SELECT count(*) FROM events"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    open.push_back(std::move(*c));
  }
  ASSERT_TRUE(tables().insert_rows("bkt1", "events", {EventRow(-1, "x", 0)}).ok());
  for (RowCursor& c : open) {
    ASSERT_TRUE(c.next().value());
    EXPECT_EQ(std::get<int64_t>(c.row()[0]), 25000);  // each saw its snapshot
  }
}

TEST_F(TablesCoreTest, ExecuteQueryWriteAndDdl) {
  auto created = tables().execute(
      "bkt1",
      "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age SMALLINT, "
      "score DOUBLE, born DATE, seen TIMESTAMP, meta JSON, active BOOLEAN, pic BLOB)");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->kind, ExecuteKind::kDdl);
  EXPECT_EQ(created->ddl_op, "CREATE_TABLE");
  EXPECT_EQ(created->target_table, "people");
  auto t = tables().get_table("bkt1", "people");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->columns.size(), 9u);
  const std::vector<ColumnType> want = {
      ColumnType::kLong,   ColumnType::kString,  ColumnType::kShort,
      ColumnType::kDouble, ColumnType::kDate,    ColumnType::kTimestamp,
      ColumnType::kJson,   ColumnType::kBoolean, ColumnType::kBinary};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t->columns[i].type, want[i]) << i;
  EXPECT_FALSE(t->columns[1].nullable);
  EXPECT_EQ(t->merge_keys, std::vector<std::string>{"id"});

  auto ins = tables().execute(
      "bkt1", "INSERT INTO people (id, name, age) VALUES ($1, $2, 30), (2, 'b', 40)",
      {int64_t{1}, std::string("a")});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_EQ(ins->kind, ExecuteKind::kWrite);
  EXPECT_EQ(ins->rows_written, 2u);
  EXPECT_FALSE(ins->noop);
  EXPECT_EQ(ins->target_table, "people");
  t = tables().get_table("bkt1", "people");
  EXPECT_EQ(t->row_count, 2u);
  EXPECT_EQ(t->version, 1u);
  EXPECT_EQ(tables().history("bkt1", "people")->front().operation, "EXECUTE");

  auto noop = tables().execute("bkt1", "UPDATE people SET age = 1 WHERE id = 99");
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(noop->kind, ExecuteKind::kWrite);
  EXPECT_TRUE(noop->noop);
  EXPECT_EQ(tables().get_table("bkt1", "people")->version, 1u);  // nothing changed: no version

  auto q = tables().execute("bkt1", "SELECT name FROM people WHERE age > ?", {int64_t{35}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->kind, ExecuteKind::kQuery);
  ASSERT_EQ(q->query.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(q->query.rows[0][0]), "b");

  auto alter = tables().execute("bkt1", "ALTER TABLE people ADD COLUMN city VARCHAR(20)");
  ASSERT_TRUE(alter.ok()) << alter.status().ToString();
  EXPECT_EQ(alter->ddl_op, "ALTER_TABLE");
  t = tables().get_table("bkt1", "people");
  ASSERT_EQ(t->columns.size(), 10u);
  EXPECT_EQ(t->columns[9].name, "city");
  EXPECT_EQ(t->columns[9].type, ColumnType::kString);
  EXPECT_EQ(t->columns[2].type, ColumnType::kShort);  // kept
  EXPECT_EQ(t->version, 2u);

  auto rename = tables().execute("bkt1", "ALTER TABLE people RENAME COLUMN city TO town");
  ASSERT_TRUE(rename.ok()) << rename.status().ToString();
  EXPECT_EQ(tables().get_table("bkt1", "people")->columns[9].name, "town");

  auto index = tables().execute("bkt1", "CREATE INDEX people_by_age ON people(age)");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->ddl_op, "CREATE_INDEX");
  EXPECT_EQ(index->target_table, "people");

  // The writes of execute are recorded like the others: restorable.
  ASSERT_TRUE(tables().execute("bkt1", "DELETE FROM people WHERE id = 1").ok());
  EXPECT_EQ(Count("people"), 1);

  auto dropped = tables().execute("bkt1", "DROP TABLE people");
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->ddl_op, "DROP_TABLE");
  EXPECT_EQ(tables().get_table("bkt1", "people").status().code(), StatusCode::kNotFound);

  // A table without a PRIMARY KEY made by SQL: versions and counts, but no restore.
  ASSERT_TRUE(tables().execute("bkt1", "CREATE TABLE loose (a TEXT, b INT)").ok());
  ASSERT_TRUE(tables().execute("bkt1", "INSERT INTO loose VALUES ('x', 1), ('y', 2)").ok());
  t = tables().get_table("bkt1", "loose");
  EXPECT_EQ(t->row_count, 2u);
  EXPECT_EQ(t->version, 1u);
  EXPECT_EQ(tables().restore("bkt1", "loose", 0).status().code(), StatusCode::kFailedPrecondition);
  // CREATE TABLE AS.
  auto ctas = tables().execute("bkt1", "CREATE TABLE copy AS SELECT a, b * 2 AS b2 FROM loose");
  ASSERT_TRUE(ctas.ok()) << ctas.status().ToString();
  EXPECT_EQ(tables().get_table("bkt1", "copy")->row_count, 2u);

  // Foreign keys are on; a cascade is recorded as a version of the child table too.
  ASSERT_TRUE(tables().execute("bkt1", "CREATE TABLE parent (id INTEGER PRIMARY KEY)").ok());
  ASSERT_TRUE(tables()
                  .execute("bkt1",
                           "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL "
                           "REFERENCES parent(id) ON DELETE CASCADE)")
                  .ok());
  ASSERT_TRUE(tables().execute("bkt1", "INSERT INTO parent (id) VALUES (1), (2)").ok());
  ASSERT_TRUE(tables()
                  .execute("bkt1", "INSERT INTO child (id, pid) VALUES (10, 1), (11, 1), (12, 2)")
                  .ok());
  EXPECT_EQ(tables().execute("bkt1", "INSERT INTO child (id, pid) VALUES (13, 99)").status().code(),
            StatusCode::kInvalidArgument);
  auto cascade =
      tables().delete_rows({.bucket = "bkt1", .table_name = "parent", .where = "id = 1"});
  ASSERT_TRUE(cascade.ok()) << cascade.status().ToString();
  EXPECT_EQ(cascade->rows_written, 1u);
  auto child = tables().get_table("bkt1", "child");
  EXPECT_EQ(child->row_count, 1u);
  EXPECT_EQ(child->version, 2u);
  // Restoring the child alone would break the foreign key: refused, nothing changed.
  EXPECT_FALSE(tables().restore("bkt1", "child", 1).ok());
  EXPECT_EQ(Count("child"), 1);
  ASSERT_TRUE(tables().restore("bkt1", "parent", 1).ok());
  auto restored = tables().restore("bkt1", "child", 1);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(Count("child"), 3);
}

// ---- writes ----

// A PRIMARY KEY that is not an INTEGER, and UNIQUE, make SQLite create its own
// sqlite_autoindex_* indexes as part of the CREATE TABLE: allowed, and (with a NOT NULL key)
// restorable.
TEST_F(TablesCoreTest, ExecuteCreateTableWithTextKeyAndUnique) {
  auto created = tables().execute(
      "bkt1", "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v INTEGER, email TEXT UNIQUE)");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->ddl_op, "CREATE_TABLE");
  EXPECT_EQ(created->target_table, "kv");
  auto t = tables().get_table("bkt1", "kv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->merge_keys, std::vector<std::string>{"k"});
  ASSERT_TRUE(tables().execute("bkt1", "INSERT INTO kv (k, v, email) VALUES ('a', 1, 'x@y')").ok());
  auto dup = tables().execute("bkt1", "INSERT INTO kv (k, v, email) VALUES ('b', 2, 'x@y')");
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument) << dup.status().ToString();
  ASSERT_TRUE(
      tables().insert_rows("bkt1", "kv", {{{"k", std::string("a")}, {"v", int64_t{5}}}}).ok());
  auto restored = tables().restore("bkt1", "kv", 1);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto rows = tables().query({.bucket = "bkt1", .sql = "SELECT k, v FROM kv"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][1], Value(int64_t{1}));
  auto dropped = tables().execute("bkt1", "DROP TABLE kv");
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(tables().get_table("bkt1", "kv").status().code(), StatusCode::kNotFound);
}

TEST_F(TablesCoreTest, InsertUpsertUpdateDeleteVersionsAndCounts) {
  CreateEvents();
  auto w = tables().insert_rows("bkt1", "events",
                                {EventRow(1, "a", 1), EventRow(2, "b", 2), EventRow(3, "c", 3)});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 3u);
  EXPECT_EQ(w->version, 1u);
  // On a table with merge keys an insert is an upsert; columns not given keep their values.
  w = tables().insert_rows("bkt1", "events",
                           {{{"id", int64_t{2}}, {"n", int64_t{20}}}, EventRow(4, "d", 4)});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(w->version, 2u);
  EXPECT_EQ(Rows("SELECT id, kind, n FROM events ORDER BY id"),
            (std::vector<std::string>{"1|a|1", "2|b|20", "3|c|3", "4|d|4"}));
  EXPECT_EQ(tables().get_table("bkt1", "events")->row_count, 4u);

  w = tables().update_rows({.bucket = "bkt1",
                            .table_name = "events",
                            .set = {{"kind", "z"}, {"payload", "{\"x\":1}"}},
                            .where = "n > $1 AND id <> ?",
                            .params = {int64_t{2}, int64_t{4}}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);  // ids 2 and 3
  EXPECT_EQ(w->version, 3u);
  EXPECT_EQ(Rows("SELECT id, kind FROM events ORDER BY id"),
            (std::vector<std::string>{"1|a", "2|z", "3|z", "4|d"}));

  w = tables().delete_rows({.bucket = "bkt1",
                            .table_name = "events",
                            .where = "kind = $1",
                            .params = {std::string("z")}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(w->version, 4u);
  EXPECT_EQ(tables().get_table("bkt1", "events")->row_count, 2u);

  // A write that matches nothing makes no version.
  w = tables().delete_rows({.bucket = "bkt1", .table_name = "events", .where = "id = 999"});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->rows_written, 0u);
  EXPECT_EQ(w->version, 4u);
  // update_rows without where updates every row; delete_rows needs one.
  w = tables().update_rows({.bucket = "bkt1", .table_name = "events", .set = {{"n", int64_t{0}}}});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(tables().delete_rows({.bucket = "bkt1", .table_name = "events"}).status().code(),
            StatusCode::kInvalidArgument);

  auto history = tables().history("bkt1", "events");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  std::vector<std::string> ops;
  std::vector<uint64_t> versions;
  for (const HistoryEntry& e : *history) {
    ops.push_back(e.operation);
    versions.push_back(e.version);
    EXPECT_GT(e.time, 0);
  }
  EXPECT_EQ(ops,
            (std::vector<std::string>{"UPDATE", "DELETE", "UPDATE", "INSERT", "INSERT", "CREATE"}));
  EXPECT_EQ(versions, (std::vector<uint64_t>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ((*history)[3].rows_affected, 2u);
}

TEST_F(TablesCoreTest, MergeVariants) {
  CreateEvents();
  ASSERT_TRUE(
      tables().insert_rows("bkt1", "events", {EventRow(1, "a", 1), EventRow(2, "b", 2)}).ok());
  // update | insert on the merge keys (the default match columns).
  auto w = tables().merge({.bucket = "bkt1",
                           .table_name = "events",
                           .rows = {EventRow(2, "B", 22), EventRow(3, "c", 3)}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(Rows("SELECT id, kind, n FROM events ORDER BY id"),
            (std::vector<std::string>{"1|a|1", "2|B|22", "3|c|3"}));
  // update | ignore.
  w = tables().merge({.bucket = "bkt1",
                      .table_name = "events",
                      .rows = {EventRow(1, "A", 11), EventRow(9, "x", 9)},
                      .when_not_matched = WhenNotMatched::kIgnore});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 1u);
  EXPECT_EQ(Rows("SELECT id, kind, n FROM events ORDER BY id"),
            (std::vector<std::string>{"1|A|11", "2|B|22", "3|c|3"}));
  // delete | insert.
  w = tables().merge({.bucket = "bkt1",
                      .table_name = "events",
                      .rows = {EventRow(3, "", 0), EventRow(4, "d", 4)},
                      .when_matched = WhenMatched::kDelete});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(Rows("SELECT id FROM events ORDER BY id"), (std::vector<std::string>{"1", "2", "4"}));
  // delete | ignore on a column that is not a key (matches several rows).
  ASSERT_TRUE(
      tables().insert_rows("bkt1", "events", {EventRow(5, "d", 5), EventRow(6, "e", 6)}).ok());
  w = tables().merge(
      {.bucket = "bkt1",
       .table_name = "events",
       .rows = {{{"id", int64_t{100}}, {"kind", "d"}}, {{"id", int64_t{101}}, {"kind", "q"}}},
       .match_columns = {"kind"},
       .when_matched = WhenMatched::kDelete,
       .when_not_matched = WhenNotMatched::kIgnore});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_written, 2u);
  EXPECT_EQ(Rows("SELECT id FROM events ORDER BY id"), (std::vector<std::string>{"1", "2", "6"}));
  // update | insert on a non-key column.
  w = tables().merge({.bucket = "bkt1",
                      .table_name = "events",
                      .rows = {{{"id", int64_t{60}}, {"kind", "e"}, {"n", int64_t{66}}},
                               {{"id", int64_t{70}}, {"kind", "f"}, {"n", int64_t{7}}}},
                      .match_columns = {"kind"}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(Rows("SELECT id, kind, n FROM events ORDER BY id"),
            (std::vector<std::string>{"1|A|11", "2|B|22", "60|e|66", "70|f|7"}));
  EXPECT_EQ(tables().get_table("bkt1", "events")->row_count, 4u);
  // A keyless table needs match columns.
  MustCreate({.name = "logs", .columns = {{"msg"}}});
  EXPECT_EQ(tables()
                .merge({.bucket = "bkt1", .table_name = "logs", .rows = {{{"msg", "x"}}}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(tables()
                  .merge({.bucket = "bkt1",
                          .table_name = "logs",
                          .rows = {{{"msg", "x"}}},
                          .match_columns = {"msg"}})
                  .ok());
  EXPECT_EQ(Count("logs"), 1);
  EXPECT_EQ(tables().history("bkt1", "events")->front().operation, "MERGE");
}

// After a series of inserts, merges, updates and deletes, restoring to each earlier version
// gives exactly the rows that version had.
TEST_F(TablesCoreTest, RestoreToEveryEarlierVersion) {
  for (bool keyed : {true, false}) {
    SCOPED_TRACE(keyed ? "keyed" : "keyless");
    const std::string name = keyed ? "ledger" : "journal";
    MustCreate({.name = name,
                .columns = {{"id", ColumnType::kLong, false},
                            {"v", ColumnType::kString},
                            {"amount", ColumnType::kDouble}},
                .merge_keys = keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{}});
    const std::string select = "SELECT id, v, amount FROM " + name + " ORDER BY id, v, amount";
    std::map<uint64_t, std::vector<std::string>> snapshots;
    snapshots[0] = Rows(select);
    std::mt19937_64 rng(42);
    for (int step = 0; step < 24; ++step) {
      Result<WriteResult> w = Status();
      const int64_t a = static_cast<int64_t>(rng() % 20);
      switch (step % 4) {
        case 0: {
          std::vector<Row> rows;
          for (int i = 0; i < 5; ++i) {
            rows.push_back({{"id", static_cast<int64_t>(rng() % 20)},
                            {"v", "s" + std::to_string(step) + "-" + std::to_string(i)},
                            {"amount", static_cast<double>(rng() % 1000) / 8}});
          }
          w = tables().insert_rows("bkt1", name, rows);
          break;
        }
        case 1:
          w = tables().merge(
              {.bucket = "bkt1",
               .table_name = name,
               .rows = {{{"id", a}, {"v", "m" + std::to_string(step)}},
                        {{"id", a + 1}, {"v", "m" + std::to_string(step)}}},
               .match_columns = {"id"},
               .when_matched = step % 8 == 1 ? WhenMatched::kUpdate : WhenMatched::kDelete});
          break;
        case 2:
          w = tables().update_rows({.bucket = "bkt1",
                                    .table_name = name,
                                    .set = {{"amount", static_cast<double>(step)}},
                                    .where = "id BETWEEN $1 AND $2",
                                    .params = {a, a + 5}});
          break;
        default:
          w = tables().delete_rows(
              {.bucket = "bkt1", .table_name = name, .where = "id % 7 = ?", .params = {a % 7}});
          break;
      }
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      snapshots[w->version] = Rows(select);
    }
    const uint64_t latest = tables().get_table("bkt1", name)->version;
    ASSERT_GE(latest, 12u);
    // Newest to oldest, then a few jumps forward again (restores are versions too).
    std::vector<uint64_t> targets;
    for (const auto& [v, rows] : snapshots) targets.insert(targets.begin(), v);
    targets.push_back(snapshots.rbegin()->first);
    targets.push_back(3);
    for (uint64_t v : targets) {
      if (!snapshots.count(v)) continue;
      auto r = tables().restore("bkt1", name, v);
      ASSERT_TRUE(r.ok()) << "restore to " << v << ": " << r.status().ToString();
      EXPECT_EQ(Rows(select), snapshots[v]) << "restored to version " << v;
      EXPECT_EQ(tables().get_table("bkt1", name)->row_count, snapshots[v].size());
    }
    EXPECT_EQ(tables().history("bkt1", name)->front().operation, "RESTORE");
    EXPECT_EQ(tables().restore("bkt1", name, 100000).status().code(), StatusCode::kOutOfRange);
  }
}

TEST_F(TablesCoreTest, HistoryRetention) {
  Close();
  Options options;
  options.table_history_versions = 3;
  Open(options);
  CreateEvents();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(tables().insert_rows("bkt1", "events", {EventRow(i, "k", i)}).ok());
  }
  auto history = tables().history("bkt1", "events");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(history->front().version, 6u);
  EXPECT_TRUE(tables().restore("bkt1", "events", 4).ok());
  EXPECT_EQ(Count("events"), 4);
  EXPECT_EQ(tables().restore("bkt1", "events", 1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("events"), 4);

  // 0 keeps no history: writes still make versions, nothing can be restored.
  Close();
  options.table_history_versions = 0;
  Open(options);
  auto w = tables().insert_rows("bkt1", "events", {EventRow(100, "k", 1)});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->version, 8u);
  EXPECT_EQ(tables().history("bkt1", "events")->size(), 0u);
  EXPECT_EQ(tables().get_table("bkt1", "events")->row_count, 5u);
  EXPECT_EQ(tables().restore("bkt1", "events", 7).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("events"), 5);
}

// ---- maintenance ----

TEST_F(TablesCoreTest, Maintenance) {
  CreateEvents();
  std::vector<Row> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(EventRow(i, std::string(100, 'x'), i));
  ASSERT_TRUE(tables().insert_rows("bkt1", "events", rows).ok());
  ASSERT_TRUE(
      tables().delete_rows({.bucket = "bkt1", .table_name = "events", .where = "id >= 100"}).ok());

  auto opt = tables().optimize("bkt1", "events");
  ASSERT_TRUE(opt.ok()) << opt.status().ToString();
  EXPECT_TRUE(opt->ok);
  EXPECT_TRUE(tables().optimize("bkt1").ok());
  EXPECT_EQ(tables().optimize("bkt1", "missing").status().code(), StatusCode::kNotFound);

  auto vac = tables().vacuum("bkt1");
  ASSERT_TRUE(vac.ok()) << vac.status().ToString();
  EXPECT_TRUE(vac->ok);
  EXPECT_NE(vac->detail.find("reclaimed"), std::string::npos) << vac->detail;

  ASSERT_TRUE(tables().insert_rows("bkt1", "events", {EventRow(5000, "y", 1)}).ok());
  auto compact = tables().compact("bkt1");
  ASSERT_TRUE(compact.ok()) << compact.status().ToString();
  EXPECT_TRUE(compact->ok) << compact->detail;
  EXPECT_EQ(fs::file_size(dir_.path() + "/tables/bkt1.db-wal"), 0u);

  auto check = tables().integrity_check("bkt1");
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->ok);
  EXPECT_EQ(check->detail, "ok");
  EXPECT_EQ(Count("events"), 101);
}

// ---- materialization ----

TEST_F(TablesCoreTest, MaterializeAndRefresh) {
  CreateEvents();
  ASSERT_TRUE(tables()
                  .insert_rows("bkt1", "events",
                               {EventRow(1, "a", 1), EventRow(2, "a", 2), EventRow(3, "b", 3)})
                  .ok());
  auto m = tables().materialize("bkt1", "events", "kind_totals",
                                "SELECT kind, COUNT(*) AS cnt, SUM(n) AS total, AVG(n) AS mean "
                                "FROM {table} GROUP BY kind");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->source, TableSource::kMaterialized);
  EXPECT_NE(m->materialized_sql.find("{table}"), std::string::npos);
  EXPECT_EQ(m->row_count, 2u);
  EXPECT_EQ(m->version, 1u);
  ASSERT_EQ(m->columns.size(), 4u);
  EXPECT_EQ(m->columns[0].type, ColumnType::kString);
  EXPECT_EQ(m->columns[1].type, ColumnType::kLong);
  EXPECT_EQ(m->columns[3].type, ColumnType::kDouble);
  EXPECT_EQ(Rows("SELECT kind, cnt, total FROM kind_totals ORDER BY kind"),
            (std::vector<std::string>{"a|2|3", "b|1|3"}));
  auto typed = MustQuery("SELECT * FROM kind_totals");
  ASSERT_EQ(typed.columns.size(), 4u);
  EXPECT_EQ(typed.columns[1].type, ColumnType::kLong);

  ASSERT_TRUE(
      tables().insert_rows("bkt1", "events", {EventRow(4, "c", 4), EventRow(5, "a", 5)}).ok());
  auto r = tables().refresh("bkt1", "kind_totals");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 3u);
  EXPECT_EQ(r->version, 2u);
  EXPECT_EQ(Rows("SELECT kind, cnt, total FROM kind_totals ORDER BY kind"),
            (std::vector<std::string>{"a|3|8", "b|1|3", "c|1|4"}));
  EXPECT_EQ(tables().get_table("bkt1", "kind_totals")->row_count, 3u);
  // A refresh is a version like another: restorable.
  ASSERT_TRUE(tables().restore("bkt1", "kind_totals", 1).ok());
  EXPECT_EQ(Rows("SELECT kind, cnt FROM kind_totals ORDER BY kind"),
            (std::vector<std::string>{"a|2", "b|1"}));

  EXPECT_EQ(tables().refresh("bkt1", "events").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      tables().materialize("bkt1", "events", "bad", "SELECT COUNT(*) FROM {table}").status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(tables().materialize("bkt1", "events", "bad", "DELETE FROM events").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tables().materialize("bkt1", "nope", "bad", "SELECT 1 AS a").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(tables().materialize("bkt1", "events", "kind_totals", "SELECT 1 AS a").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(tables().get_table("bkt1", "bad").status().code(), StatusCode::kNotFound);
}

// ---- buckets ----

TEST_F(TablesCoreTest, EachBucketHasItsOwnTables) {
  ASSERT_TRUE(db_->storage().create_bucket({.name = "bkt2"}).ok());
  ASSERT_TRUE(tables().configure_engine("bkt2").ok());
  CreateEvents();
  MustCreate({.bucket = "bkt2", .name = "events", .columns = {{"id", ColumnType::kLong}}});
  MustCreate({.bucket = "bkt2", .name = "only_b2", .columns = {{"x"}}});
  ASSERT_TRUE(
      tables().insert_rows("bkt1", "events", {EventRow(1, "a", 1), EventRow(2, "b", 2)}).ok());
  ASSERT_TRUE(tables().insert_rows("bkt2", "events", {{{"id", int64_t{7}}}}).ok());
  EXPECT_EQ(Count("events", "bkt1"), 2);
  EXPECT_EQ(Count("events", "bkt2"), 1);
  EXPECT_EQ(tables().get_table("bkt1", "events")->columns.size(), 4u);
  EXPECT_EQ(tables().get_table("bkt2", "events")->columns.size(), 1u);
  EXPECT_EQ(tables().query({.bucket = "bkt1", .sql = "SELECT * FROM only_b2"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(tables().list_tables({.bucket = "bkt1"})->tables.size(), 1u);
  EXPECT_EQ(tables().list_tables({.bucket = "bkt2"})->tables.size(), 2u);
}

TEST_F(TablesCoreTest, DeletingTheBucketDeletesItsEngine) {
  ASSERT_TRUE(db_->storage().create_bucket({.name = "gone"}).ok());
  ASSERT_TRUE(tables().configure_engine("gone").ok());
  MustCreate({.bucket = "gone", .name = "t", .columns = {{"a"}}});
  ASSERT_TRUE(tables().insert_rows("gone", "t", {{{"a", "x"}}}).ok());
  const std::string file = dir_.path() + "/tables/gone.db";
  ASSERT_TRUE(fs::exists(file));
  ASSERT_TRUE(db_->storage().delete_bucket({.name = "gone"}).ok());
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + "-wal"));
  EXPECT_EQ(tables().get_engine("gone").status().code(), StatusCode::kNotFound);
  // A new bucket of the same name starts without an engine.
  ASSERT_TRUE(db_->storage().create_bucket({.name = "gone"}).ok());
  EXPECT_EQ(tables().get_engine("gone").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(tables().configure_engine("gone").ok());
  EXPECT_EQ(tables().list_tables({.bucket = "gone"})->tables.size(), 0u);
}

}  // namespace
}  // namespace k3
