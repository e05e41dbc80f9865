// pipelines/rows/schema_infer.h: table schemas inferred from sample CSV records or JSON rows,
// valid column names made from header/key names, and conversion of CSV fields and JSON values
// into k3::Value for a column of a given type.
//
// Thread-safety: pure functions.
#ifndef K3_PIPELINES_ROWS_SCHEMA_INFER_H_
#define K3_PIPELINES_ROWS_SCHEMA_INFER_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "k3/status.h"
#include "k3/tables.h"

namespace k3::pipelines {

// The type one CSV field's text suggests (the text is taken exactly; no spaces are trimmed):
//   ""                                                     -> kUnspecified (NULL)
//   an integer: optional sign, digits without leading zeros (but "0"), fitting int64 -> kLong
//     (an integer too large for int64, or one with leading zeros such as "007", -> kString)
//   a finite decimal: optional sign, digits with a '.' and/or an exponent ("1.5", "-0.25",
//     ".5", "1e9", "2.5E-3"; integer part without leading zeros)  -> kDouble
//   true / false, any case                                 -> kBoolean
//   an ISO-8601 date or date-time (pipelines/rows/timestamp.h) -> kTimestamp
//   anything else                                          -> kString
ColumnType InferCsvFieldType(std::string_view field);

// The same for a JSON value: null -> kUnspecified, integer fitting int64 -> kLong, other number
// -> kDouble, bool -> kBoolean, string -> kTimestamp when it parses as above else kString,
// object / array -> kJson.
ColumnType InferJsonValueType(const nlohmann::json& value);

// The narrowest type holding values of both a and b:
//   a == b -> a; kUnspecified with X -> X;
//   kJson with anything -> kJson (scalars are stored as their JSON text);
//   two integer types (kShort, kInt, kLong) -> the wider; an integer type with kFloat or
//   kDouble, or kFloat with kDouble -> kDouble; kDate with kTimestamp -> kTimestamp;
//   every other mix -> kString.
ColumnType WidenType(ColumnType a, ColumnType b);

// Valid, distinct table column names for `source_names`, in order: every character outside
// [A-Za-z0-9_] (a UTF-8 character or an invalid byte) becomes '_'; an empty name becomes
// "c_<position>" (1-based); a name starting with a digit gets the prefix "c_"; a name starting
// with "_k3_" or "sqlite_" (any case) gets the prefix "_"; names are cut to 63 bytes; a name
// equal, ignoring case, to an earlier one gets "_2", "_3", ... (cut to stay within 63 bytes).
std::vector<std::string> MakeColumnNames(const std::vector<std::string>& source_names);

struct InferredSchema {
  std::vector<Column> columns;            // every column nullable
  std::vector<std::string> source_names;  // source_names[i] is what columns[i] was made from
};

// One column per header field, in order (so columns[i] receives field i of each record; a
// repeated header name still gets its own column, de-duplicated by MakeColumnNames). The type
// is WidenType over the sample rows' fields at that position (missing fields are NULL, fields
// beyond the header are ignored); a column with only NULLs is kString.
InferredSchema InferCsvSchema(const std::vector<std::string>& header,
                              const std::vector<std::vector<std::string>>& sample_rows);

// One column per distinct key of the sample rows, in first-seen order (rows in order, each
// object's keys in nlohmann::json's order, which is sorted); rows that are not objects are
// ignored. The type is WidenType over the values of that key (absent keys are NULL); a column
// with only NULLs is kString.
InferredSchema InferJsonSchema(const std::vector<nlohmann::json>& sample_rows);

// Converts one CSV field to a Value for `column`. The empty field is NULL (monostate) for every
// type. Otherwise, by column.type:
//   kLong / kInt / kShort -> int64_t: an integer ("+5", "-12", "007"), or an integral decimal
//     ("3.0", "1e3"), within the type's range (INT: 32 bits, SHORT: 16 bits);
//   kDouble / kFloat -> double: a finite decimal or integer (FLOAT: within float's range);
//   kBoolean -> bool: true / false (any case), 1 / 0;
//   kString -> the text (must be valid UTF-8);
//   kDate -> the text, which must be "YYYY-MM-DD";
//   kTimestamp -> the normalized text "YYYY-MM-DDTHH:MM:SS[.fff]Z": a time with an offset is
//     converted to UTC, a time without one is taken as UTC, a date alone is its midnight UTC,
//     fractions beyond milliseconds are truncated and ".fff" appears only when not 0;
//   kJson -> the field parsed as JSON, dumped compactly;
//   kBinary -> the field's bytes.
// A field that does not fit: INVALID_ARGUMENT "column <name>: '<field>' is not a <TYPE>"
// (the field cut to 40 bytes, "..." marking the cut; TYPE as "LONG", "TIMESTAMP", ...).
// kUnspecified: INVALID_ARGUMENT (the column has no type).
Result<Value> ConvertCsvField(std::string_view field, const Column& column);

// Converts one JSON value to a Value for `column`. JSON null is NULL (monostate). Otherwise:
//   kLong / kInt / kShort: an integer or integral number within range, or a string as in
//     ConvertCsvField;
//   kDouble / kFloat: a number, or a string as in ConvertCsvField;
//   kBoolean: a bool, or a string as in ConvertCsvField;
//   kString: a string as is; any other value as its compact JSON text;
//   kDate: a "YYYY-MM-DD" string;
//   kTimestamp: a string, normalized as in ConvertCsvField, or an integer taken as Unix
//     milliseconds (formatted the same way);
//   kJson: any value, as its compact JSON text (a string becomes a quoted JSON string);
//   kBinary: a string's bytes.
// An empty string is not NULL: it is "" for kString / kBinary and an error for types that
// cannot hold it. Errors as in ConvertCsvField, the value shown as compact JSON text.
Result<Value> ConvertJsonValue(const nlohmann::json& value, const Column& column);

// "STRING", "LONG", ... ("UNSPECIFIED" for kUnspecified or an unknown value).
std::string_view RowColumnTypeName(ColumnType type);

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_ROWS_SCHEMA_INFER_H_
