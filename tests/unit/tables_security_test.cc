// TableService against hostile and bad input: each attempt is refused with a clear error and
// changes nothing — SQL in table and column names, writes through query, several statements,
// ATTACH, load_extension, PRAGMA writes, k3's internal tables and SQLite's, transaction
// control, triggers and temporary objects, parameter count and type mismatches, unknown
// tables, rows that violate the schema, merges on unknown columns.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "k3/k3.hpp"
#include "support/temp_dir.h"

namespace k3 {
namespace {

namespace fs = std::filesystem;

constexpr char kBucket[] = "secure";

class TablesSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    ASSERT_TRUE(db_->storage().create_bucket({.name = kBucket}).ok());
    ASSERT_TRUE(tables().configure_engine(kBucket).ok());
    auto t = tables().create_table({.bucket = kBucket,
                                    .name = "accounts",
                                    .columns = {{"id", ColumnType::kLong, false},
                                                {"owner", ColumnType::kString, false},
                                                {"balance", ColumnType::kLong},
                                                {"meta", ColumnType::kJson}},
                                    .merge_keys = {"id"},
                                    .partition_columns = {"owner"}});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE(tables()
                    .insert_rows(kBucket, "accounts",
                                 {{{"id", int64_t{1}}, {"owner", "ann"}, {"balance", int64_t{100}}},
                                  {{"id", int64_t{2}}, {"owner", "bob"}, {"balance", int64_t{50}}}})
                    .ok());
    baseline_ = State();
  }

  TableService& tables() { return db_->tables(); }

  // Everything a refused call must leave as it was: the tables, their rows, versions and
  // history, and k3's catalog.
  std::string State() {
    std::string s;
    auto list = tables().list_tables({.bucket = kBucket});
    EXPECT_TRUE(list.ok());
    for (const Table& t : list->tables) {
      s += t.name + " v" + std::to_string(t.version) + " n" + std::to_string(t.row_count) + " c" +
           std::to_string(t.columns.size()) + ";";
    }
    auto rows = tables().query({.bucket = kBucket, .sql = "SELECT * FROM accounts ORDER BY id"});
    EXPECT_TRUE(rows.ok());
    for (const auto& row : rows->rows) {
      for (const Value& v : row) {
        if (const auto* i = std::get_if<int64_t>(&v)) s += std::to_string(*i);
        if (const auto* t = std::get_if<std::string>(&v)) s += *t;
        s += ",";
      }
    }
    s += " history " + std::to_string(tables().history(kBucket, "accounts")->size());
    return s;
  }

  // Expects `status` to be `code` with `fragment` in its message, and nothing changed.
  void ExpectRefused(const Status& status, StatusCode code, const std::string& fragment,
                     const std::string& what) {
    EXPECT_EQ(status.code(), code) << what << ": " << status.ToString();
    EXPECT_NE(status.message().find(fragment), std::string::npos)
        << what << ": message \"" << status.message() << "\" lacks \"" << fragment << "\"";
    EXPECT_EQ(State(), baseline_) << what << " changed something";
  }

  Status Query(const std::string& sql, std::vector<Value> params = {}) {
    return tables().query({.bucket = kBucket, .sql = sql, .params = std::move(params)}).status();
  }
  Status Execute(const std::string& sql, std::vector<Value> params = {}) {
    return tables().execute(kBucket, sql, params).status();
  }

  test::TempDir dir_;
  std::optional<Db> db_;
  std::string baseline_;
};

TEST_F(TablesSecurityTest, SqlInTableAndColumnNames) {
  for (const std::string& name : std::vector<std::string>{
           "x; DROP TABLE accounts", "a\"b", "accounts--", "1abc", "", "_k3_tables",
           "sqlite_master", "Sqlite_x", "a b", std::string(64, 'a')}) {
    ExpectRefused(
        tables().create_table({.bucket = kBucket, .name = name, .columns = {{"a"}}}).status(),
        StatusCode::kInvalidArgument, "name", "table name " + name);
  }
  for (const std::string& column :
       std::vector<std::string>{"a\"); DROP TABLE accounts; --", "x y", "_k3_rowid", "9"}) {
    ExpectRefused(
        tables().create_table({.bucket = kBucket, .name = "t", .columns = {{column}}}).status(),
        StatusCode::kInvalidArgument, "name", "column name " + column);
  }
  // Names that only look up are never SQL either.
  ExpectRefused(tables().get_table(kBucket, "accounts; DROP TABLE accounts").status(),
                StatusCode::kNotFound, "does not exist", "get_table");
  ExpectRefused(tables().insert_rows(kBucket, "accounts\" --", {{{"id", int64_t{9}}}}).status(),
                StatusCode::kNotFound, "does not exist", "insert_rows");
  ExpectRefused(
      tables().insert_rows(kBucket, "accounts", {{{"id\" = 1; --", int64_t{9}}}}).status(),
      StatusCode::kInvalidArgument, "unknown column", "insert_rows column");
  ExpectRefused(tables()
                    .query({.bucket = kBucket,
                            .table_name = "accounts",
                            .sql = "SELECT * FROM {t}",
                            .lookup_tables = {{"t", "accounts; DROP TABLE accounts"}}})
                    .status(),
                StatusCode::kNotFound, "does not exist", "lookup table");
  // SQLite's own index names cannot be taken by a user's index.
  EXPECT_FALSE(tables()
                   .execute(kBucket,
                            "CREATE INDEX sqlite_autoindex_accounts_9 ON "
                            "accounts (owner)")
                   .ok());
  EXPECT_EQ(State(), baseline_);
  ExpectRefused(tables().execute(kBucket, "CREATE TABLE \"bad name\" (a TEXT)").status(),
                StatusCode::kPermissionDenied, "name", "execute CREATE TABLE bad name");
  ExpectRefused(tables().execute(kBucket, "CREATE TABLE ok_name (\"bad col\" TEXT)").status(),
                StatusCode::kInvalidArgument, "column", "execute CREATE TABLE bad column");
}

TEST_F(TablesSecurityTest, WritesThroughQueryAreRefused) {
  for (const char* sql :
       {"INSERT INTO accounts (id, owner) VALUES (9, 'eve')", "DELETE FROM accounts",
        "UPDATE accounts SET balance = 0", "DROP TABLE accounts", "CREATE TABLE t (a TEXT)",
        "WITH x AS (SELECT 1) INSERT INTO accounts (id, owner) SELECT 9, 'eve' FROM x",
        "REPLACE INTO accounts (id, owner) VALUES (1, 'eve')"}) {
    ExpectRefused(Query(sql), StatusCode::kInvalidArgument, "read-only", sql);
  }
  ExpectRefused(tables().query_cursor({.bucket = kBucket, .sql = "DELETE FROM accounts"}).status(),
                StatusCode::kInvalidArgument, "read-only", "cursor");
}

TEST_F(TablesSecurityTest, MultipleStatementsAreRefused) {
  ExpectRefused(Query("SELECT 1; DROP TABLE accounts"), StatusCode::kInvalidArgument,
                "one SQL statement", "query");
  ExpectRefused(Query("SELECT 1; SELECT 2"), StatusCode::kInvalidArgument, "one SQL statement",
                "query two selects");
  ExpectRefused(Execute("UPDATE accounts SET balance = 0; DROP TABLE accounts"),
                StatusCode::kInvalidArgument, "one SQL statement", "execute");
  ExpectRefused(Execute("INSERT INTO accounts (id, owner) VALUES (3, 'c'); "
                        "INSERT INTO accounts (id, owner) VALUES (4, 'd')"),
                StatusCode::kInvalidArgument, "one SQL statement", "execute two inserts");
  ExpectRefused(tables()
                    .delete_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .where = "id = 1); DROP TABLE accounts; --"})
                    .status(),
                StatusCode::kInvalidArgument, "", "delete_rows predicate");
  ExpectRefused(tables()
                    .update_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .set = {{"balance", int64_t{0}}},
                                  .where = "1=1); DELETE FROM accounts WHERE (1=1"})
                    .status(),
                StatusCode::kInvalidArgument, "", "update_rows predicate");
  // A trailing semicolon or comment is one statement.
  EXPECT_TRUE(Query("SELECT 1; -- done").ok());
  EXPECT_TRUE(Query("SELECT 1;;").ok());
}

TEST_F(TablesSecurityTest, AttachAndDetachAreRefused) {
  const std::string target = dir_.path() + "/stolen.db";
  ExpectRefused(Execute("ATTACH DATABASE '" + target + "' AS stolen"),
                StatusCode::kPermissionDenied, "ATTACH", "execute ATTACH");
  ExpectRefused(Query("ATTACH DATABASE '" + target + "' AS stolen"), StatusCode::kPermissionDenied,
                "ATTACH", "query ATTACH");
  ExpectRefused(Execute("DETACH DATABASE main"), StatusCode::kPermissionDenied, "DETACH", "DETACH");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(TablesSecurityTest, LoadExtensionIsRefused) {
  ExpectRefused(Query("SELECT load_extension('/tmp/evil.so')"), StatusCode::kPermissionDenied,
                "load_extension", "query");
  ExpectRefused(Execute("SELECT load_extension('/tmp/evil.so', 'entry')"),
                StatusCode::kPermissionDenied, "load_extension", "execute");
  ExpectRefused(tables()
                    .update_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .set = {{"balance", int64_t{0}}},
                                  .where = "load_extension('/tmp/evil.so') IS NULL"})
                    .status(),
                StatusCode::kPermissionDenied, "load_extension", "predicate");
}

TEST_F(TablesSecurityTest, PragmaWritesAreRefusedReadsWhitelisted) {
  for (const char* sql :
       {"PRAGMA journal_mode=DELETE", "PRAGMA foreign_keys=OFF", "PRAGMA writable_schema=ON",
        "PRAGMA synchronous=OFF", "PRAGMA user_version=7", "PRAGMA journal_mode",
        "PRAGMA database_list", "SELECT * FROM pragma_database_list",
        "PRAGMA wal_checkpoint(TRUNCATE)"}) {
    ExpectRefused(Execute(sql), StatusCode::kPermissionDenied, "PRAGMA", sql);
    ExpectRefused(Query(sql), StatusCode::kPermissionDenied, "PRAGMA", sql);
  }
  // The database is still in WAL mode.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_.path() + "/tables/secure.db").c_str(), &raw, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  // Reading a table's shape is allowed.
  auto info = tables().query({.bucket = kBucket, .sql = "PRAGMA table_info(accounts)"});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->rows.size(), 4u);
  EXPECT_TRUE(Query("SELECT name FROM pragma_table_info('accounts')").ok());
  EXPECT_TRUE(Execute("PRAGMA index_list(accounts)").ok());
}

TEST_F(TablesSecurityTest, InternalTablesAreInvisibleAndUntouchable) {
  for (const char* sql :
       {"SELECT * FROM _k3_tables", "SELECT * FROM _k3_history", "SELECT * FROM _K3_ENGINE",
        "SELECT * FROM main._k3_tables", "SELECT name, sql FROM sqlite_master",
        "SELECT * FROM sqlite_schema", "SELECT * FROM dbstat",
        "SELECT * FROM accounts WHERE id IN (SELECT version FROM _k3_history)",
        "SELECT * FROM pragma_table_info('_k3_tables')", "PRAGMA table_info(_k3_history)"}) {
    ExpectRefused(Query(sql), StatusCode::kPermissionDenied, "internal", sql);
  }
  for (const char* sql :
       {"DELETE FROM _k3_history", "DROP TABLE _k3_tables", "UPDATE _k3_tables SET version = 0",
        "INSERT INTO _k3_engine (key, value) VALUES ('x', 'y')", "CREATE TABLE _k3_mine (a TEXT)",
        "CREATE INDEX i ON _k3_tables(name)", "ALTER TABLE _k3_tables ADD COLUMN x TEXT",
        "CREATE TABLE leak AS SELECT * FROM _k3_tables",
        "CREATE VIEW leak AS SELECT * FROM _k3_history", "DROP INDEX _k3_part_accounts",
        "INSERT INTO sqlite_schema (type, name) VALUES ('table', 'x')"}) {
    ExpectRefused(Execute(sql), StatusCode::kPermissionDenied, "internal", sql);
  }
  // SQLite itself (in defensive mode) refuses writing its schema.
  for (const char* sql : {"UPDATE sqlite_master SET sql = ''", "DELETE FROM sqlite_master"}) {
    ExpectRefused(Execute(sql), StatusCode::kInvalidArgument, "may not be modified", sql);
  }
  ExpectRefused(tables()
                    .delete_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .where = "id IN (SELECT version FROM _k3_history)"})
                    .status(),
                StatusCode::kPermissionDenied, "internal", "predicate");
  ExpectRefused(
      tables().materialize(kBucket, "accounts", "leak", "SELECT * FROM _k3_tables").status(),
      StatusCode::kPermissionDenied, "internal", "materialize");
  ExpectRefused(tables().get_table(kBucket, "_k3_tables").status(), StatusCode::kNotFound,
                "does not exist", "get_table");
  ExpectRefused(tables().insert_rows(kBucket, "_k3_history", {{{"x", int64_t{1}}}}).status(),
                StatusCode::kNotFound, "does not exist", "insert_rows");
}

TEST_F(TablesSecurityTest, TransactionsTriggersAndTemporaryObjectsAreRefused) {
  for (const char* sql : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "END"}) {
    ExpectRefused(Execute(sql), StatusCode::kInvalidArgument, "transaction", sql);
  }
  ExpectRefused(Execute("CREATE TRIGGER t AFTER INSERT ON accounts BEGIN "
                        "DELETE FROM accounts; END"),
                StatusCode::kPermissionDenied, "trigger", "trigger");
  ExpectRefused(Execute("CREATE TEMP TABLE scratch (a TEXT)"), StatusCode::kPermissionDenied,
                "temporary", "temp table");
  ExpectRefused(Execute("CREATE VIRTUAL TABLE ft USING fts5(body)"), StatusCode::kPermissionDenied,
                "virtual", "virtual table");
  ExpectRefused(Execute("VACUUM"), StatusCode::kInvalidArgument, "vacuum()", "VACUUM");
  ExpectRefused(Execute("VACUUM INTO '/tmp/copy.db'"), StatusCode::kInvalidArgument, "vacuum()",
                "VACUUM INTO");
  ExpectRefused(Execute("ALTER TABLE accounts RENAME TO wallets"), StatusCode::kInvalidArgument,
                "RENAME", "rename");
}

TEST_F(TablesSecurityTest, ParameterMismatchesAreRefused) {
  ExpectRefused(Query("SELECT * FROM accounts WHERE id = $1 AND owner = $2", {int64_t{1}}),
                StatusCode::kInvalidArgument, "2 parameters", "too few");
  ExpectRefused(Query("SELECT * FROM accounts", {int64_t{1}}), StatusCode::kInvalidArgument,
                "0 parameters", "too many");
  ExpectRefused(Query("SELECT * FROM accounts WHERE id = :id", {int64_t{1}}),
                StatusCode::kInvalidArgument, "named parameter", "named");
  ExpectRefused(Execute("UPDATE accounts SET balance = ? WHERE id = ?", {int64_t{1}}),
                StatusCode::kInvalidArgument, "2 parameters", "execute too few");
  ExpectRefused(tables()
                    .update_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .set = {{"balance", int64_t{0}}},
                                  .where = "id = $2",
                                  .params = {int64_t{1}}})
                    .status(),
                StatusCode::kInvalidArgument, "2 parameters", "predicate count");
  // Types: a parameter of the wrong type for a column is refused by the table (STRICT).
  ExpectRefused(Execute("UPDATE accounts SET balance = $1 WHERE id = 1", {std::string("lots")}),
                StatusCode::kInvalidArgument, "INTEGER", "execute type");
  ExpectRefused(Execute("INSERT INTO accounts (id, owner) VALUES ($1, $2)",
                        {std::vector<uint8_t>{1, 2}, std::string("x")}),
                StatusCode::kInvalidArgument, "mismatch", "execute blob key");
  ExpectRefused(tables()
                    .update_rows({.bucket = kBucket,
                                  .table_name = "accounts",
                                  .set = {{"balance", std::string("lots")}},
                                  .where = "id = 1"})
                    .status(),
                StatusCode::kInvalidArgument, "balance", "update_rows type");
}

TEST_F(TablesSecurityTest, UnknownTablesAreNotFound) {
  ExpectRefused(Query("SELECT * FROM nope"), StatusCode::kNotFound, "nope", "query");
  ExpectRefused(Execute("DELETE FROM nope"), StatusCode::kNotFound, "nope", "execute");
  ExpectRefused(
      tables()
          .query({.bucket = kBucket, .table_name = "nope", .sql = "SELECT * FROM {table}"})
          .status(),
      StatusCode::kNotFound, "nope", "table_name");
  ExpectRefused(tables().query({.bucket = kBucket, .sql = "SELECT * FROM {table}"}).status(),
                StatusCode::kInvalidArgument, "{table}", "placeholder without table");
  ExpectRefused(tables().insert_rows(kBucket, "nope", {{{"a", int64_t{1}}}}).status(),
                StatusCode::kNotFound, "nope", "insert");
  ExpectRefused(tables().merge({.bucket = kBucket, .table_name = "nope", .rows = {{}}}).status(),
                StatusCode::kNotFound, "nope", "merge");
  ExpectRefused(
      tables()
          .update_rows({.bucket = kBucket, .table_name = "nope", .set = {{"a", int64_t{1}}}})
          .status(),
      StatusCode::kNotFound, "nope", "update");
  ExpectRefused(
      tables().delete_rows({.bucket = kBucket, .table_name = "nope", .where = "1"}).status(),
      StatusCode::kNotFound, "nope", "delete");
  ExpectRefused(tables().history(kBucket, "nope").status(), StatusCode::kNotFound, "nope",
                "history");
  ExpectRefused(tables().restore(kBucket, "nope", 0).status(), StatusCode::kNotFound, "nope",
                "restore");
  ExpectRefused(tables().drop_table(kBucket, "nope"), StatusCode::kNotFound, "nope", "drop");
}

TEST_F(TablesSecurityTest, RowsViolatingTheSchemaAreRefusedWhole) {
  // A valid row, then a bad one: the batch is one transaction, nothing lands.
  const Row good = {{"id", int64_t{10}}, {"owner", "zed"}};
  struct Case {
    Row bad;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {{{"id", int64_t{11}}, {"owner", "x"}, {"color", "red"}}, "unknown column \"color\""},
      {{{"id", int64_t{11}}, {"owner", std::monostate()}}, "\"owner\""},
      {{{"id", int64_t{11}}}, "\"owner\" is required"},
      {{{"owner", "x"}}, "\"id\" is required"},
      {{{"id", std::string("eleven")}, {"owner", "x"}}, "\"id\""},
      {{{"id", int64_t{11}}, {"owner", "x"}, {"balance", 1.5}}, "\"balance\""},
      {{{"id", int64_t{11}}, {"owner", "x"}, {"meta", "{not json"}}, "\"meta\""},
      {{{"id", int64_t{11}}, {"owner", int64_t{5}}}, "\"owner\""},
  };
  for (const Case& c : cases) {
    Status s = tables().insert_rows(kBucket, "accounts", {good, c.bad}).status();
    ExpectRefused(s, StatusCode::kInvalidArgument, c.fragment, c.fragment);
    EXPECT_NE(s.message().find("row 1"), std::string::npos) << s.message();
    ExpectRefused(tables()
                      .merge({.bucket = kBucket, .table_name = "accounts", .rows = {good, c.bad}})
                      .status(),
                  StatusCode::kInvalidArgument, c.fragment, "merge " + c.fragment);
  }
  // Through SQL the table itself enforces the schema.
  ExpectRefused(Execute("INSERT INTO accounts (id, owner) VALUES (12, NULL)"),
                StatusCode::kInvalidArgument, "NOT NULL", "SQL NULL");
  ExpectRefused(Execute("INSERT INTO accounts (id, owner, balance) VALUES (12, 'x', 'many')"),
                StatusCode::kInvalidArgument, "INTEGER", "SQL type");
  ExpectRefused(Execute("INSERT INTO accounts (id, owner) VALUES (1, 'dup')"),
                StatusCode::kInvalidArgument, "UNIQUE", "SQL duplicate key");
}

TEST_F(TablesSecurityTest, MergeWithUnknownMatchColumnsIsRefused) {
  ExpectRefused(tables()
                    .merge({.bucket = kBucket,
                            .table_name = "accounts",
                            .rows = {{{"id", int64_t{1}}, {"owner", "x"}}},
                            .match_columns = {"nope"}})
                    .status(),
                StatusCode::kInvalidArgument, "match column \"nope\"", "unknown");
  ExpectRefused(tables()
                    .merge({.bucket = kBucket,
                            .table_name = "accounts",
                            .rows = {{{"id", int64_t{1}}, {"owner", "x"}}},
                            .match_columns = {"owner\" OR 1=1 --"}})
                    .status(),
                StatusCode::kInvalidArgument, "match column", "injection");
  ExpectRefused(tables()
                    .merge({.bucket = kBucket,
                            .table_name = "accounts",
                            .rows = {{{"owner", "x"}, {"balance", int64_t{1}}}},
                            .match_columns = {"id"},
                            .when_not_matched = WhenNotMatched::kIgnore})
                    .status(),
                StatusCode::kInvalidArgument, "needs a value", "missing match value");
}

}  // namespace
}  // namespace k3
