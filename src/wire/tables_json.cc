// The K3 JSON form of TableService's types: see tables_json.h.
#include "wire/tables_json.h"

#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "util/hash.h"

namespace k3::wire {

namespace {

bool IsIntegerType(ColumnType type) {
  return type == ColumnType::kInt || type == ColumnType::kLong || type == ColumnType::kShort;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Json DoubleJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

// An optional '-' and 1..19 digits.
bool IsDecimal(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<uint8_t> ToBytes(const std::string& s) { return {s.begin(), s.end()}; }

// A JSON value read by its own type: null, bool, integer -> int64, fraction -> double,
// string -> text; an object or array -> its JSON text.
Status NeutralFromJson(const Json& j, std::string_view path, Value* out) {
  switch (j.type()) {
    case Json::value_t::null:
      *out = std::monostate{};
      return Status::Ok();
    case Json::value_t::boolean:
      *out = j.get<bool>();
      return Status::Ok();
    case Json::value_t::number_integer:
      *out = j.get<int64_t>();
      return Status::Ok();
    case Json::value_t::number_unsigned: {
      int64_t v = 0;
      K3_RETURN_IF_ERROR(ParseInt(j, path, &v));
      *out = v;
      return Status::Ok();
    }
    case Json::value_t::number_float:
      *out = j.get<double>();
      return Status::Ok();
    case Json::value_t::string:
      *out = j.get<std::string>();
      return Status::Ok();
    case Json::value_t::object:
    case Json::value_t::array:
      *out = DumpJson(j);
      return Status::Ok();
    default:
      return FieldError(path, "unsupported JSON value");
  }
}

Status ParseDouble(const Json& j, std::string_view path, double* out) {
  if (j.is_number()) {
    *out = j.get<double>();
    return Status::Ok();
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    size_t used = 0;
    try {
      *out = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (!s.empty() && used == s.size()) return Status::Ok();
  }
  return FieldError(path, "expected a number");
}

}  // namespace

// ---- Values ----

Json ValueToJson(const Value& value, ColumnType type) {
  return std::visit(
      [type](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (type == ColumnType::kInt || type == ColumnType::kShort) return v;
          if (type == ColumnType::kFloat || type == ColumnType::kDouble) {
            return static_cast<double>(v);
          }
          if (type == ColumnType::kBoolean && (v == 0 || v == 1)) return v == 1;
          return Int64Json(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return DoubleJson(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
          return util::Base64Encode(
              std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
        } else {
          return static_cast<bool>(v);
        }
      },
      value);
}

Status ValueFromJson(const Json& j, const ColumnType* type, std::string_view path, Value* out) {
  if (type == nullptr || j.is_null()) return NeutralFromJson(j, path, out);
  if (IsIntegerType(*type)) {
    if (j.is_boolean()) return FieldError(path, "expected an integer");
    if (j.is_number_float()) return NeutralFromJson(j, path, out);  // the service checks it
    int64_t v = 0;
    K3_RETURN_IF_ERROR(ParseInt(j, path, &v));
    *out = v;
    return Status::Ok();
  }
  switch (*type) {
    case ColumnType::kFloat:
    case ColumnType::kDouble: {
      if (j.is_number_integer() || j.is_number_unsigned()) return NeutralFromJson(j, path, out);
      double d = 0;
      K3_RETURN_IF_ERROR(ParseDouble(j, path, &d));
      *out = d;
      return Status::Ok();
    }
    case ColumnType::kBinary: {
      std::string bytes;
      K3_RETURN_IF_ERROR(ParseBase64(j, path, &bytes));
      *out = ToBytes(bytes);
      return Status::Ok();
    }
    case ColumnType::kTimestamp:
      // Epoch milliseconds as a number or, as int64 travels, a decimal string.
      if (j.is_number() || (j.is_string() && IsDecimal(j.get_ref<const std::string&>()))) {
        int64_t ms = 0;
        K3_RETURN_IF_ERROR(ParseInt(j, path, &ms));
        *out = ms;
        return Status::Ok();
      }
      return NeutralFromJson(j, path, out);
    default:
      // STRING, DATE, BOOLEAN, JSON and UNSPECIFIED: by JSON type (an object or array for a
      // JSON column becomes its text); the service validates.
      return NeutralFromJson(j, path, out);
  }
}

Status ParamFromJson(const Json& j, std::string_view path, Value* out) {
  if (!j.is_object()) {
    if (j.is_array()) return FieldError(path, "a parameter cannot be an array");
    return NeutralFromJson(j, path, out);
  }
  if (j.size() != 1) {
    return FieldError(path,
                      "a typed parameter is an object with exactly one of int64, double, text, "
                      "blob, bool, null");
  }
  const auto only = j.begin();
  const std::string& key = only.key();
  const Json& v = only.value();
  const std::string sub = JoinPath(path, key);
  if (key == "int64") {
    int64_t i = 0;
    K3_RETURN_IF_ERROR(ParseInt(v, sub, &i));
    *out = i;
  } else if (key == "double") {
    double d = 0;
    K3_RETURN_IF_ERROR(ParseDouble(v, sub, &d));
    *out = d;
  } else if (key == "text") {
    std::string s;
    K3_RETURN_IF_ERROR(ParseString(v, sub, &s));
    *out = std::move(s);
  } else if (key == "blob") {
    std::string bytes;
    K3_RETURN_IF_ERROR(ParseBase64(v, sub, &bytes));
    *out = ToBytes(bytes);
  } else if (key == "bool") {
    bool b = false;
    K3_RETURN_IF_ERROR(ParseBool(v, sub, &b));
    *out = b;
  } else if (key == "null") {
    *out = std::monostate{};
  } else {
    return FieldError(path, "unknown parameter type \"" + key +
                                "\" (expected int64, double, text, blob, bool or null)");
  }
  return Status::Ok();
}

Status ParamsFromJson(const Json* j, std::string_view path, std::vector<Value>* out) {
  out->clear();
  if (j == nullptr || j->is_null()) return Status::Ok();
  if (!j->is_array()) return FieldError(path, "expected an array of parameters");
  out->reserve(j->size());
  for (size_t i = 0; i < j->size(); ++i) {
    Value v;
    K3_RETURN_IF_ERROR(ParamFromJson((*j)[i], IndexPath(path, i), &v));
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

Status RowFromJson(const Json& j, const std::vector<Column>& columns, std::string_view path,
                   Row* out) {
  Json parsed;
  const Json* object = &j;
  if (j.is_string()) {
    K3_ASSIGN_OR_RETURN(parsed, ParseJson(j.get_ref<const std::string&>()));
    object = &parsed;
  }
  if (!object->is_object()) {
    return FieldError(path, "a row is a JSON object, or a string holding one");
  }
  std::map<std::string, ColumnType> types;
  for (const Column& c : columns) types.emplace(AsciiLower(c.name), c.type);
  out->clear();
  for (const auto& [name, cell] : object->items()) {
    auto it = types.find(AsciiLower(name));
    Value v;
    K3_RETURN_IF_ERROR(
        ValueFromJson(cell, it == types.end() ? nullptr : &it->second, JoinPath(path, name), &v));
    out->emplace(name, std::move(v));
  }
  return Status::Ok();
}

// ---- Engines and tables ----

Json ToJson(const Column& v) {
  return Json{
      {"name", v.name}, {"type", EnumJson(kColumnTypeEnum, v.type)}, {"nullable", v.nullable}};
}

Status FromJson(const Json& j, Column* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.GetEnum("type", kColumnTypeEnum, &out->type));
  return f.Get("nullable", &out->nullable);
}

Json ToJson(const TableEngine& v) {
  return Json{{"engineId", v.engine_id},
              {"bucket", v.bucket},
              {"status", EnumJson(kEngineStatusEnum, v.status)},
              {"errorMessage", v.error_message},
              {"tableCount", Uint64Json(v.table_count)},
              {"sizeBytes", Uint64Json(v.size_bytes)},
              {"createdAt", Int64Json(v.created_at)},
              {"updatedAt", Int64Json(v.updated_at)}};
}

Json ToJson(const k3::Table& v) {
  Json columns = Json::array();
  for (const Column& c : v.columns) columns.push_back(ToJson(c));
  return Json{{"bucket", v.bucket},
              {"name", v.name},
              {"tableName", v.name},
              {"description", v.description},
              {"columns", std::move(columns)},
              {"mergeKeys", StringListJson(v.merge_keys)},
              {"partitionColumns", StringListJson(v.partition_columns)},
              {"source", EnumJson(kTableSourceEnum, v.source)},
              {"pipelineId", v.pipeline_id},
              {"materializedSql", v.materialized_sql},
              {"rowCount", Uint64Json(v.row_count)},
              {"sizeBytes", Uint64Json(v.size_bytes)},
              {"version", Uint64Json(v.version)},
              {"createdAt", Int64Json(v.created_at)},
              {"updatedAt", Int64Json(v.updated_at)}};
}

Status FromJson(const Json& j, CreateTableRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("tableName", &out->name));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  const Json* columns = nullptr;
  std::string columns_path;
  K3_RETURN_IF_ERROR(f.GetArray("columns", &columns, &columns_path));
  if (columns != nullptr) {
    out->columns.clear();
    for (size_t i = 0; i < columns->size(); ++i) {
      Column c;
      K3_RETURN_IF_ERROR(FromJson((*columns)[i], &c, IndexPath(columns_path, i)));
      out->columns.push_back(std::move(c));
    }
  }
  K3_RETURN_IF_ERROR(f.Get("mergeKeys", &out->merge_keys));
  K3_RETURN_IF_ERROR(f.Get("partitionColumns", &out->partition_columns));
  K3_RETURN_IF_ERROR(f.GetEnum("source", kTableSourceEnum, &out->source));
  return f.Get("pipelineId", &out->pipeline_id);
}

Json ToJson(const ListTablesResponse& v) {
  Json tables = Json::array();
  for (const k3::Table& t : v.tables) tables.push_back(ToJson(t));
  return Json{{"tables", std::move(tables)}, {"pagination", PaginationJson(v.pagination)}};
}

// ---- SQL ----

Result<Json> ToJson(const QueryResult& v, RowFormat format) {
  Json columns = Json::array();
  std::set<std::string> names;
  for (const ResultColumn& c : v.columns) {
    if (format == RowFormat::kObject && !names.insert(c.name).second) {
      return InvalidArgument("the result has two columns named \"" + c.name +
                             "\": alias one (AS), or ask for rowFormat \"array\"");
    }
    columns.push_back(Json{{"name", c.name}, {"type", EnumJson(kColumnTypeEnum, c.type)}});
  }
  Json rows = Json::array();
  for (const std::vector<Value>& row : v.rows) {
    Json out = format == RowFormat::kObject ? Json::object() : Json::array();
    for (size_t i = 0; i < row.size() && i < v.columns.size(); ++i) {
      Json cell = ValueToJson(row[i], v.columns[i].type);
      if (format == RowFormat::kObject) {
        out[v.columns[i].name] = std::move(cell);
      } else {
        out.push_back(std::move(cell));
      }
    }
    rows.push_back(std::move(out));
  }
  return Json{{"columns", std::move(columns)},
              {"rows", std::move(rows)},
              {"rowCount", Uint64Json(v.row_count)},
              {"truncated", v.truncated},
              {"executionTimeMs", v.execution_time_ms}};
}

Result<Json> ToJson(const ExecuteResult& v, RowFormat format) {
  Json out{{"kind", nullptr}, {"query", nullptr}, {"write", nullptr}, {"ddl", nullptr}};
  switch (v.kind) {
    case ExecuteKind::kQuery: {
      out["kind"] = "query";
      K3_ASSIGN_OR_RETURN(out["query"], ToJson(v.query, format));
      break;
    }
    case ExecuteKind::kWrite:
      out["kind"] = "write";
      out["write"] = Json{{"rowsWritten", Uint64Json(v.rows_written)},
                          {"noop", v.noop},
                          {"targetTable", v.target_table}};
      break;
    case ExecuteKind::kDdl:
      out["kind"] = "ddl";
      out["ddl"] = Json{{"op", v.ddl_op}, {"targetTable", v.target_table}};
      break;
  }
  return out;
}

Json ToJson(const WriteResult& v) {
  return Json{{"rowsWritten", Uint64Json(v.rows_written)}, {"version", Uint64Json(v.version)}};
}

Json ToJson(const HistoryEntry& v) {
  return Json{{"version", Uint64Json(v.version)},
              {"operation", v.operation},
              {"rowsAffected", Uint64Json(v.rows_affected)},
              {"time", Int64Json(v.time)}};
}

Json ToJson(const MaintenanceResult& v) {
  return Json{{"operation", v.operation}, {"detail", v.detail}, {"ok", v.ok}};
}

}  // namespace k3::wire
