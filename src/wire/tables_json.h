// wire/tables_json.h: the K3 JSON form of TableService's types (k3/tables.h), following the
// conventions of wire/json_util.h.
//
// Values (cells of rows, SQL parameters) in JSON:
//   - Output, by the result column's K3 type: LONG and TIMESTAMP-as-integer values as decimal
//     strings (int64 travels as a string), INT and SHORT as numbers, FLOAT and DOUBLE as
//     numbers (non-finite ones as the strings "Infinity", "-Infinity", "NaN"), BOOLEAN as
//     true/false, BINARY as base64, every text type (STRING, DATE, TIMESTAMP, JSON) as a
//     string, NULL as null.
//   - Input of a row cell, by the destination column's type: integer types take a JSON
//     integer or a decimal string; FLOAT/DOUBLE a number (or a decimal string); BOOLEAN
//     true/false or 0/1; BINARY a base64 string; TIMESTAMP an ISO-8601 string or epoch
//     milliseconds (a number or a decimal string); JSON any JSON value (an object or array is
//     stored as its text; a string must itself be JSON text); DATE and STRING a string. A cell of
//     an unknown column is read by its JSON type (the service then refuses the column).
//   - Input of a SQL parameter: a JSON scalar (null, true/false, an integer -> int64, a
//     fraction -> double, a string -> text), or a typed object with exactly one key:
//     {"int64": 1 | "1"}, {"double": 1.5}, {"text": "..."}, {"blob": "<base64>"},
//     {"bool": true}, {"null": true}.
// Thread-safety: free functions on values.
#ifndef K3_WIRE_TABLES_JSON_H_
#define K3_WIRE_TABLES_JSON_H_

#include <string_view>
#include <vector>

#include "k3/tables.h"
#include "wire/json_util.h"

namespace k3::wire {

inline constexpr EnumName kColumnTypeNames[] = {
    {static_cast<int>(ColumnType::kUnspecified), "COLUMN_TYPE_UNSPECIFIED"},
    {static_cast<int>(ColumnType::kString), "COLUMN_TYPE_STRING"},
    {static_cast<int>(ColumnType::kInt), "COLUMN_TYPE_INT"},
    {static_cast<int>(ColumnType::kLong), "COLUMN_TYPE_LONG"},
    {static_cast<int>(ColumnType::kShort), "COLUMN_TYPE_SHORT"},
    {static_cast<int>(ColumnType::kFloat), "COLUMN_TYPE_FLOAT"},
    {static_cast<int>(ColumnType::kDouble), "COLUMN_TYPE_DOUBLE"},
    {static_cast<int>(ColumnType::kBoolean), "COLUMN_TYPE_BOOLEAN"},
    {static_cast<int>(ColumnType::kDate), "COLUMN_TYPE_DATE"},
    {static_cast<int>(ColumnType::kTimestamp), "COLUMN_TYPE_TIMESTAMP"},
    {static_cast<int>(ColumnType::kBinary), "COLUMN_TYPE_BINARY"},
    {static_cast<int>(ColumnType::kJson), "COLUMN_TYPE_JSON"},
};
inline constexpr EnumInfo kColumnTypeEnum{"COLUMN_TYPE_", kColumnTypeNames};

inline constexpr EnumName kTableSourceNames[] = {
    {static_cast<int>(TableSource::kManual), "TABLE_SOURCE_MANUAL"},
    {static_cast<int>(TableSource::kPipeline), "TABLE_SOURCE_PIPELINE"},
    {static_cast<int>(TableSource::kMaterialized), "TABLE_SOURCE_MATERIALIZED"},
};
inline constexpr EnumInfo kTableSourceEnum{"TABLE_SOURCE_", kTableSourceNames};

// Sent as "update" | "delete" (also WHEN_MATCHED_UPDATE, ...).
inline constexpr EnumName kWhenMatchedNames[] = {
    {static_cast<int>(WhenMatched::kUpdate), "WHEN_MATCHED_UPDATE"},
    {static_cast<int>(WhenMatched::kDelete), "WHEN_MATCHED_DELETE"},
};
inline constexpr EnumInfo kWhenMatchedEnum{"WHEN_MATCHED_", kWhenMatchedNames};

// Sent as "insert" | "ignore" (also WHEN_NOT_MATCHED_INSERT, ...).
inline constexpr EnumName kWhenNotMatchedNames[] = {
    {static_cast<int>(WhenNotMatched::kInsert), "WHEN_NOT_MATCHED_INSERT"},
    {static_cast<int>(WhenNotMatched::kIgnore), "WHEN_NOT_MATCHED_IGNORE"},
};
inline constexpr EnumInfo kWhenNotMatchedEnum{"WHEN_NOT_MATCHED_", kWhenNotMatchedNames};

// ---- Values ----

// A cell of a result column of `type` (see the table above).
Json ValueToJson(const Value& value, ColumnType type);
// A cell for a column of `type`; nullptr `type` = unknown column (read by JSON type).
Status ValueFromJson(const Json& j, const ColumnType* type, std::string_view path, Value* out);
// A SQL parameter (scalar or typed object).
Status ParamFromJson(const Json& j, std::string_view path, Value* out);
// A JSON array of parameters (absent or null: none).
Status ParamsFromJson(const Json* j, std::string_view path, std::vector<Value>* out);

// A row as clients send it: a JSON object, or a string holding one. Cells are read for the
// types of `columns` (matched case-insensitively, as the service matches them).
Status RowFromJson(const Json& j, const std::vector<Column>& columns, std::string_view path,
                   Row* out);

// ---- Engines and tables ----

// {name, type, nullable (default true)}
Json ToJson(const Column& v);
Status FromJson(const Json& j, Column* out, std::string_view path = {});
// {engineId, bucket, status, errorMessage, tableCount, sizeBytes, createdAt, updatedAt}
Json ToJson(const TableEngine& v);
// {bucket, name, tableName (= name), description, columns, mergeKeys, partitionColumns,
// source, pipelineId, materializedSql, rowCount, sizeBytes, version, createdAt, updatedAt}
Json ToJson(const k3::Table& v);
// {bucket, name (or tableName), description, columns, mergeKeys, partitionColumns, source,
// pipelineId}
Status FromJson(const Json& j, CreateTableRequest* out, std::string_view path = {});
// {tables, pagination}
Json ToJson(const ListTablesResponse& v);

// ---- SQL ----

// How query rows travel: as objects keyed by column name (the default) or as arrays in the
// order of `columns`.
enum class RowFormat { kObject, kArray };
inline constexpr EnumName kRowFormatNames[] = {
    {static_cast<int>(RowFormat::kObject), "ROW_FORMAT_OBJECT"},
    {static_cast<int>(RowFormat::kArray), "ROW_FORMAT_ARRAY"},
};
inline constexpr EnumInfo kRowFormatEnum{"ROW_FORMAT_", kRowFormatNames};

// {columns: [{name, type}], rows, rowCount, truncated, executionTimeMs}. Object rows need
// distinct column names: INVALID_ARGUMENT naming the duplicate otherwise (alias it, or ask
// for array rows).
Result<Json> ToJson(const QueryResult& v, RowFormat format);
// {kind: "query"|"write"|"ddl", query: QueryResult | null, write: {rowsWritten, noop} | null,
// ddl: {op, targetTable} | null}
Result<Json> ToJson(const ExecuteResult& v, RowFormat format);
// {rowsWritten, version}
Json ToJson(const WriteResult& v);
// {version, operation, rowsAffected, time}
Json ToJson(const HistoryEntry& v);
// {operation, detail, ok}
Json ToJson(const MaintenanceResult& v);

}  // namespace k3::wire

#endif  // K3_WIRE_TABLES_JSON_H_
