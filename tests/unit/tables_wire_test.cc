// TableService through the RPC table (Db::call) in K3's JSON wire form: every method
// registered, the request shapes real clients send, each column type round-tripping through
// JSON insert -> JSON query -> describe (int64 extremes as strings, unicode, base64 blobs,
// NULLs), typed parameters, execute's three answers, and bad requests refused with nothing
// written.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "k3/db.h"
#include "support/temp_dir.h"
#include "wire/json_util.h"
#include "wire/rpc.h"

namespace k3::wire {
namespace {

constexpr char kBucket[] = "wire-tables";

class TablesWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(dir_.path() + "/data");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    Ok("StorageService.CreateBucket", {{"name", kBucket}});
    Ok("TableService.ConfigureEngine", {{"bucket", kBucket}});
  }

  Result<Json> Call(std::string_view method, const Json& request) {
    Result<std::string> out = db_->call(method, request.dump());
    if (!out.ok()) return out.status();
    Result<Json> parsed = ParseJson(*out);
    EXPECT_TRUE(parsed.ok()) << *out;
    return parsed;
  }
  Json Ok(std::string_view method, const Json& request) {
    Result<Json> r = Call(method, request);
    EXPECT_TRUE(r.ok()) << method << " " << request.dump() << ": " << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  StatusCode Code(std::string_view method, const Json& request) {
    return Call(method, request).status().code();
  }
  Json Rows(const std::string& sql, const Json& params = Json::array()) {
    return Ok("TableService.Query",
              {{"bucket", kBucket}, {"sql", sql}, {"params", params}})["rows"];
  }

  test::TempDir dir_;
  std::optional<Db> db_;
};

TEST_F(TablesWireTest, EveryMethodIsRegistered) {
  std::vector<std::string> names = Db::methods();
  for (const char* m :
       {"ConfigureEngine", "GetEngine",        "DeleteEngine",      "CreateTable",  "ListTables",
        "GetTable",        "DescribeTable",    "UpdateTableSchema", "DeleteTable",  "Query",
        "Execute",         "InsertRows",       "MergeRows",         "UpdateRows",   "DeleteRows",
        "GetTableHistory", "RestoreTable",     "OptimizeTable",     "VacuumTables", "CompactTables",
        "CheckIntegrity",  "MaterializeTable", "RefreshTable"}) {
    std::string name = std::string("TableService.") + m;
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  // The gRPC spelling reaches the same handler.
  Json e = Ok("/dodil.k3.tables.v1.TableService/GetEngine", {{"bucket", kBucket}});
  EXPECT_EQ(e["status"], "ENGINE_STATUS_ACTIVE");
  EXPECT_EQ(e["engineId"].get<std::string>().rfind("eng_", 0), 0u);
  EXPECT_EQ(e["tableCount"], "0");
}

TEST_F(TablesWireTest, EngineLifecycle) {
  Json first = Ok("TableService.ConfigureEngine", {{"bucket", kBucket}});
  Json again = Ok("TableService.ConfigureEngine", {{"bucket", kBucket}});
  EXPECT_EQ(first["engineId"], again["engineId"]);
  EXPECT_EQ(Code("TableService.GetEngine", {{"bucket", "no-such-bucket"}}), StatusCode::kNotFound);
  Ok("TableService.DeleteEngine", {{"bucket", kBucket}});
  EXPECT_EQ(Code("TableService.GetEngine", {{"bucket", kBucket}}), StatusCode::kNotFound);
}

// The shape clients send: {name, columns: [{name, type, nullable}], merge_keys,
// partition_columns}, with short and full type names and snake_case keys.
TEST_F(TablesWireTest, CreateListDescribeAlterDrop) {
  Json t = Ok("TableService.CreateTable", Json::parse(R"({"bucket": "wire-tables", "name": "events",
                  "columns": [{"name": "id", "type": "COLUMN_TYPE_LONG", "nullable": false},
                              {"name": "kind", "type": "string"},
                              {"name": "day", "type": "date"}],
                  "merge_keys": ["id"], "partition_columns": ["day"]})"));
  EXPECT_EQ(t["name"], "events");
  EXPECT_EQ(t["columns"][0]["type"], "COLUMN_TYPE_LONG");
  EXPECT_EQ(t["columns"][0]["nullable"], false);
  EXPECT_EQ(t["columns"][1]["nullable"], true);
  EXPECT_EQ(t["mergeKeys"], Json::array({"id"}));
  EXPECT_EQ(t["partitionColumns"], Json::array({"day"}));
  EXPECT_EQ(t["source"], "TABLE_SOURCE_MANUAL");

  Json list = Ok("TableService.ListTables", {{"bucket", kBucket}});
  ASSERT_EQ(list["tables"].size(), 1u);
  EXPECT_EQ(list["pagination"]["totalCount"], "1");

  Json altered = Ok("TableService.UpdateTableSchema",
                    Json::parse(R"({"bucket": "wire-tables", "table_name": "events",
                        "addColumns": [{"name": "note", "type": "JSON"}]})"));
  EXPECT_EQ(altered["columns"].size(), 4u);
  EXPECT_EQ(altered["columns"][3]["type"], "COLUMN_TYPE_JSON");
  Json described = Ok("TableService.DescribeTable", {{"bucket", kBucket}, {"tableName", "events"}});
  EXPECT_EQ(described["columns"], altered["columns"]);

  EXPECT_EQ(Code("TableService.CreateTable", Json::parse(R"({"bucket": "wire-tables", "name": "t2",
                     "columns": [{"name": "a", "type": "NOT_A_TYPE"}]})")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code("TableService.CreateTable",
                 Json::parse(R"({"bucket": "wire-tables", "name": "x; DROP TABLE events",
                     "columns": [{"name": "a", "type": "STRING"}]})")),
            StatusCode::kInvalidArgument);
  Ok("TableService.DeleteTable", {{"bucket", kBucket}, {"tableName", "events"}});
  EXPECT_EQ(Code("TableService.GetTable", {{"bucket", kBucket}, {"tableName", "events"}}),
            StatusCode::kNotFound);
}

struct TypeCase {
  const char* type;
  Json in;        // the cells sent (one row each)
  Json expected;  // the cells the query answers
};

// Each K3 column type through JSON insert (objects and JSON-text rows) -> JSON query ->
// describe.
TEST_F(TablesWireTest, EveryColumnTypeRoundTripsInJson) {
  const std::vector<TypeCase> cases = {
      {"STRING", Json::array({"plain", "ünïcödé ✓ 日本", "", nullptr}),
       Json::array({"plain", "ünïcödé ✓ 日本", "", nullptr})},
      {"LONG", Json::array({"9223372036854775807", "-9223372036854775808", 42, nullptr}),
       Json::array({"9223372036854775807", "-9223372036854775808", "42", nullptr})},
      {"INT", Json::array({2147483647, "-2147483648", nullptr}),
       Json::array({2147483647, -2147483648LL, nullptr})},
      {"SHORT", Json::array({32767, -32768, nullptr}), Json::array({32767, -32768, nullptr})},
      {"DOUBLE", Json::array({1.5, -0.25, 3, nullptr}), Json::array({1.5, -0.25, 3.0, nullptr})},
      {"FLOAT", Json::array({0.5, nullptr}), Json::array({0.5, nullptr})},
      {"BOOLEAN", Json::array({true, false, nullptr}), Json::array({true, false, nullptr})},
      {"DATE", Json::array({"2026-02-28", nullptr}), Json::array({"2026-02-28", nullptr})},
      {"TIMESTAMP", Json::array({"2026-05-14T10:00:00Z", "1716843600000", nullptr}),
       Json::array({"2026-05-14T10:00:00Z", "2024-05-27T21:00:00Z", nullptr})},
      {"BINARY", Json::array({"AAH/gA==", "", nullptr}), Json::array({"AAH/gA==", "", nullptr})},
      {"JSON", Json::array({Json::parse(R"({"a": [1, "x"]})"), "[1,2]", 7, nullptr}),
       Json::array({R"({"a":[1,"x"]})", "[1,2]", "7", nullptr})},
  };
  for (const TypeCase& c : cases) {
    SCOPED_TRACE(c.type);
    std::string name = std::string("t_") + c.type;
    Ok("TableService.CreateTable",
       {{"bucket", kBucket},
        {"name", name},
        {"columns", Json::array({{{"name", "id"}, {"type", "LONG"}, {"nullable", false}},
                                 {{"name", "v"}, {"type", c.type}}})},
        {"mergeKeys", Json::array({"id"})}});
    Json rows = Json::array();
    for (size_t i = 0; i < c.in.size(); ++i) {
      Json row{{"id", i}, {"v", c.in[i]}};
      // Alternate the two row forms clients send: an object, and JSON text holding one.
      rows.push_back(i % 2 == 0 ? row : Json(row.dump()));
    }
    Json written =
        Ok("TableService.InsertRows", {{"bucket", kBucket}, {"tableName", name}, {"rows", rows}});
    EXPECT_EQ(written["rowsWritten"], std::to_string(c.in.size()));

    Json result = Ok("TableService.Query", {{"bucket", kBucket},
                                            {"tableName", name},
                                            {"sql", "SELECT v FROM {table} ORDER BY id"},
                                            {"rowFormat", "array"}});
    EXPECT_EQ(result["columns"][0]["type"], std::string("COLUMN_TYPE_") + c.type);
    ASSERT_EQ(result["rows"].size(), c.expected.size());
    for (size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_EQ(result["rows"][i][0], c.expected[i]) << "row " << i;
    }
    EXPECT_EQ(result["rowCount"], std::to_string(c.expected.size()));
    Json described = Ok("TableService.DescribeTable", {{"bucket", kBucket}, {"tableName", name}});
    EXPECT_EQ(described["columns"][1]["type"], std::string("COLUMN_TYPE_") + c.type);
    EXPECT_EQ(described["rowCount"], std::to_string(c.in.size()));
  }
}

TEST_F(TablesWireTest, ParametersScalarAndTyped) {
  Ok("TableService.CreateTable", Json::parse(R"({"bucket": "wire-tables", "name": "p",
         "columns": [{"name": "i", "type": "LONG"}, {"name": "b", "type": "BINARY"}]})"));
  Ok("TableService.InsertRows", Json::parse(R"({"bucket": "wire-tables", "tableName": "p",
         "rows": [{"i": "9223372036854775807", "b": "AQID"}, {"i": 1}]})"));
  EXPECT_EQ(Rows("SELECT i FROM p WHERE i = $1", Json::array({{{"int64", "9223372036854775807"}}})),
            Json::parse(R"([{"i": "9223372036854775807"}])"));
  EXPECT_EQ(Rows("SELECT i FROM p WHERE b = ?", Json::array({{{"blob", "AQID"}}})).size(), 1u);
  EXPECT_EQ(Rows("SELECT ? AS a, ? AS b, ? AS c, ? AS d",
                 Json::parse(R"([1.5, "x", true, {"null": true}])")),
            Json::parse(R"([{"a": 1.5, "b": "x", "c": "1", "d": null}])"));
  for (const char* bad : {R"([{"int64": "x"}])", R"([{"blob": "%%%"}])", R"([{"what": 1}])",
                          R"([{"int64": 1, "text": "a"}])", R"([[1]])", R"("notalist")"}) {
    EXPECT_EQ(Code("TableService.Query",
                   {{"bucket", kBucket}, {"sql", "SELECT ?"}, {"params", Json::parse(bad)}}),
              StatusCode::kInvalidArgument)
        << bad;
  }
  // A parameter count mismatch.
  EXPECT_EQ(Code("TableService.Query",
                 {{"bucket", kBucket}, {"sql", "SELECT ? , ?"}, {"params", Json::array({1})}}),
            StatusCode::kInvalidArgument);
  // Two columns of one name cannot be object rows; array rows can.
  EXPECT_EQ(Code("TableService.Query", {{"bucket", kBucket}, {"sql", "SELECT 1 AS a, 2 AS a"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Ok("TableService.Query",
         {{"bucket", kBucket}, {"sql", "SELECT 1 AS a, 2 AS a"}, {"rowFormat", "array"}})["rows"],
      Json::parse(R"([["1", "2"]])"));
}

TEST_F(TablesWireTest, ExecuteAnswersQueryWriteOrDdl) {
  Json ddl = Ok("TableService.Execute",
                {{"bucket", kBucket}, {"sql", "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)"}});
  EXPECT_EQ(ddl["kind"], "ddl");
  EXPECT_EQ(ddl["ddl"]["op"], "CREATE_TABLE");
  EXPECT_EQ(ddl["ddl"]["targetTable"], "kv");
  EXPECT_TRUE(ddl["query"].is_null());
  EXPECT_TRUE(ddl["write"].is_null());

  Json write =
      Ok("TableService.Execute", {{"bucket", kBucket},
                                  {"sql", "INSERT INTO kv (k, v) VALUES ($1, $2), ($3, $4)"},
                                  {"params", Json::array({"a", 1, "b", 2})}});
  EXPECT_EQ(write["kind"], "write");
  EXPECT_EQ(write["write"]["rowsWritten"], "2");
  EXPECT_EQ(write["write"]["noop"], false);

  Json query =
      Ok("TableService.Execute", {{"bucket", kBucket}, {"sql", "SELECT k, v FROM kv ORDER BY k"}});
  EXPECT_EQ(query["kind"], "query");
  EXPECT_EQ(query["query"]["rows"], Json::parse(R"([{"k": "a", "v": "1"}, {"k": "b", "v": "2"}])"));

  for (const char* bad :
       {"SELECT 1; SELECT 2", "BEGIN", "ATTACH 'x.db' AS x", "PRAGMA journal_mode=DELETE",
        "SELECT * FROM _k3_tables", "SELECT load_extension('x')"}) {
    StatusCode code = Code("TableService.Execute", {{"bucket", kBucket}, {"sql", bad}});
    EXPECT_TRUE(code == StatusCode::kInvalidArgument || code == StatusCode::kPermissionDenied)
        << bad << ": " << StatusCodeName(code);
  }
  EXPECT_EQ(Code("TableService.Query", {{"bucket", kBucket}, {"sql", "DELETE FROM kv"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Rows("SELECT COUNT(*) AS n FROM kv"), Json::parse(R"([{"n": "2"}])"));
}

TEST_F(TablesWireTest, WritesHistoryRestoreMaintenanceMaterialize) {
  Ok("TableService.CreateTable", Json::parse(R"({"bucket": "wire-tables", "name": "m",
         "columns": [{"name": "id", "type": "LONG", "nullable": false},
                     {"name": "qty", "type": "INT"}],
         "mergeKeys": ["id"]})"));
  Ok("TableService.InsertRows", Json::parse(R"({"bucket": "wire-tables", "tableName": "m",
         "rows": [{"id": 1, "qty": 10}, {"id": 2, "qty": 20}]})"));
  Json merged =
      Ok("TableService.MergeRows", Json::parse(R"({"bucket": "wire-tables", "tableName": "m",
                       "rows": ["{\"id\": 2, \"qty\": 21}", {"id": 3, "qty": 30}],
                       "matchColumns": ["id"], "whenMatched": "update",
                       "whenNotMatched": "insert"})"));
  EXPECT_EQ(merged["rowsWritten"], "2");
  Ok("TableService.UpdateRows", Json::parse(R"({"bucket": "wire-tables", "tableName": "m",
         "set": {"qty": 0}, "where": "id = $1", "params": [1]})"));
  Json deleted =
      Ok("TableService.DeleteRows", Json::parse(R"({"bucket": "wire-tables", "tableName": "m",
                        "where": "qty >= ?", "params": [30]})"));
  EXPECT_EQ(deleted["rowsWritten"], "1");
  EXPECT_EQ(Rows("SELECT id, qty FROM m ORDER BY id"),
            Json::parse(R"([{"id": "1", "qty": 0}, {"id": "2", "qty": 21}])"));

  Json history = Ok("TableService.GetTableHistory", {{"bucket", kBucket}, {"tableName", "m"}});
  ASSERT_EQ(history["entries"].size(), 5u);  // CREATE, INSERT, MERGE, UPDATE, DELETE
  EXPECT_EQ(history["entries"][0]["operation"], "DELETE");
  EXPECT_EQ(history["entries"][4]["operation"], "CREATE");
  Ok("TableService.RestoreTable", {{"bucket", kBucket}, {"tableName", "m"}, {"version", "1"}});
  EXPECT_EQ(Rows("SELECT id, qty FROM m ORDER BY id"),
            Json::parse(R"([{"id": "1", "qty": 10}, {"id": "2", "qty": 20}])"));
  EXPECT_EQ(Code("TableService.RestoreTable", {{"bucket", kBucket}, {"tableName", "m"}}),
            StatusCode::kInvalidArgument);

  for (const char* m : {"VacuumTables", "CompactTables", "CheckIntegrity"}) {
    Json r = Ok(std::string("TableService.") + m, {{"bucket", kBucket}});
    EXPECT_EQ(r["ok"], true) << m;
  }
  EXPECT_EQ(Ok("TableService.OptimizeTable", {{"bucket", kBucket}, {"tableName", "m"}})["ok"],
            true);

  Json view =
      Ok("TableService.MaterializeTable", {{"bucket", kBucket},
                                           {"sourceTable", "m"},
                                           {"name", "totals"},
                                           {"sql", "SELECT SUM(qty) AS total FROM {table}"}});
  EXPECT_EQ(view["source"], "TABLE_SOURCE_MATERIALIZED");
  EXPECT_EQ(Rows("SELECT total FROM totals"), Json::parse(R"([{"total": "30"}])"));
  Ok("TableService.InsertRows",
     Json::parse(R"({"bucket": "wire-tables", "tableName": "m", "rows": [{"id": 9, "qty": 5}]})"));
  Ok("TableService.RefreshTable", {{"bucket", kBucket}, {"tableName", "totals"}});
  EXPECT_EQ(Rows("SELECT total FROM totals"), Json::parse(R"([{"total": "35"}])"));
}

// Bad rows are refused naming the problem, and nothing is written.
TEST_F(TablesWireTest, BadRowsChangeNothing) {
  Ok("TableService.CreateTable", Json::parse(R"({"bucket": "wire-tables", "name": "s",
         "columns": [{"name": "id", "type": "LONG", "nullable": false},
                     {"name": "b", "type": "BINARY"}]})"));
  for (const char* rows :
       {R"([{"id": 1}, {"id": "one"}])", R"([{"id": 1}, {"id": 2, "b": "not base64!"}])",
        R"([{"id": 1}, {"nope": 2}])", R"([{"id": 1}, {"b": "AQID"}])", R"([{"id": 1}, 5])",
        R"([{"id": 1}, "{not json"])"}) {
    Result<Json> r = Call("TableService.InsertRows",
                          {{"bucket", kBucket}, {"tableName", "s"}, {"rows", Json::parse(rows)}});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << rows;
    EXPECT_FALSE(r.status().message().empty());
  }
  EXPECT_EQ(Rows("SELECT COUNT(*) AS n FROM s"), Json::parse(R"([{"n": "0"}])"));
  EXPECT_EQ(Code("TableService.InsertRows",
                 {{"bucket", kBucket}, {"tableName", "missing"}, {"rows", Json::array()}}),
            StatusCode::kNotFound);
  EXPECT_EQ(Code("TableService.MergeRows", {{"bucket", kBucket},
                                            {"tableName", "s"},
                                            {"rows", Json::parse(R"([{"id": 1}])")},
                                            {"matchColumns", Json::array({"nope"})}}),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace k3::wire
