// tables/types.cc: see types.h.
#include "tables/types.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "util/utf8.h"

namespace k3::tables {
namespace {

struct TypeName {
  ColumnType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {ColumnType::kUnspecified, "UNSPECIFIED"},
    {ColumnType::kString, "STRING"},
    {ColumnType::kInt, "INT"},
    {ColumnType::kLong, "LONG"},
    {ColumnType::kShort, "SHORT"},
    {ColumnType::kFloat, "FLOAT"},
    {ColumnType::kDouble, "DOUBLE"},
    {ColumnType::kBoolean, "BOOLEAN"},
    {ColumnType::kDate, "DATE"},
    {ColumnType::kTimestamp, "TIMESTAMP"},
    {ColumnType::kBinary, "BINARY"},
    {ColumnType::kJson, "JSON"},
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

const char* KindOf(const Value& v) {
  switch (v.index()) {
    case 0:
      return "NULL";
    case 1:
      return "an integer";
    case 2:
      return "a double";
    case 3:
      return "a string";
    case 4:
      return "bytes";
    default:
      return "a boolean";
  }
}

Status Wrong(std::string_view label, const Column& column, std::string_view expected,
             const Value& got) {
  return InvalidArgument(std::string(label) + ": column \"" + column.name + "\" (" +
                         std::string(ColumnTypeName(column.type)) + ") expects " +
                         std::string(expected) + ", got " + KindOf(got));
}

Status Bad(std::string_view label, const Column& column, std::string_view why) {
  return InvalidArgument(std::string(label) + ": column \"" + column.name + "\" (" +
                         std::string(ColumnTypeName(column.type)) + "): " + std::string(why));
}

// Reads exactly `n` digits at s[*pos] into *out.
bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ValidDay(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int days = kDays[m - 1] + (m == 2 && LeapYear(y) ? 1 : 0);
  return d <= days;
}

bool ParseDate(std::string_view s, size_t* pos) {
  int y, m, d;
  if (!Digits(s, pos, 4, &y) || *pos >= s.size() || s[(*pos)++] != '-') return false;
  if (!Digits(s, pos, 2, &m) || *pos >= s.size() || s[(*pos)++] != '-') return false;
  if (!Digits(s, pos, 2, &d)) return false;
  return ValidDay(y, m, d);
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "UNSPECIFIED";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  std::string upper = Upper(name);
  std::string_view n = upper;
  if (n.starts_with("COLUMN_TYPE_")) n.remove_prefix(12);
  for (const auto& t : kTypeNames) {
    if (t.name == n) return t.type;
  }
  return std::nullopt;
}

std::string_view StorageType(ColumnType type) {
  switch (type) {
    case ColumnType::kInt:
    case ColumnType::kLong:
    case ColumnType::kShort:
    case ColumnType::kBoolean:
      return "INTEGER";
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      return "REAL";
    case ColumnType::kBinary:
      return "BLOB";
    default:
      return "TEXT";
  }
}

std::string CheckConstraint(ColumnType type, std::string_view quoted_column) {
  const std::string c(quoted_column);
  switch (type) {
    case ColumnType::kJson:
      return "CHECK (" + c + " IS NULL OR json_valid(" + c + "))";
    case ColumnType::kBoolean:
      return "CHECK (" + c + " IN (0, 1))";
    case ColumnType::kInt:
      return "CHECK (" + c + " BETWEEN -2147483648 AND 2147483647)";
    case ColumnType::kShort:
      return "CHECK (" + c + " BETWEEN -32768 AND 32767)";
    default:
      return "";
  }
}

ColumnType FromDeclaredType(std::string_view declared) {
  const std::string d = Upper(declared);
  if (d.empty()) return ColumnType::kString;
  if (Contains(d, "BOOL")) return ColumnType::kBoolean;
  if (Contains(d, "SMALLINT") || Contains(d, "TINYINT") || d == "INT2" || d == "SHORT") {
    return ColumnType::kShort;
  }
  if (d == "INT4" || d == "INT32") return ColumnType::kInt;
  if (Contains(d, "INT") || d == "LONG") return ColumnType::kLong;
  if (Contains(d, "TIMESTAMP") || Contains(d, "DATETIME")) return ColumnType::kTimestamp;
  if (d == "DATE") return ColumnType::kDate;
  if (Contains(d, "JSON")) return ColumnType::kJson;
  if (Contains(d, "BLOB") || Contains(d, "BINARY") || d == "BYTEA") return ColumnType::kBinary;
  if (Contains(d, "FLOAT") && !Contains(d, "8")) return ColumnType::kFloat;
  if (Contains(d, "REAL") || Contains(d, "DOUB") || Contains(d, "FLOA") || Contains(d, "NUMERIC") ||
      Contains(d, "DECIMAL")) {
    return ColumnType::kDouble;
  }
  return ColumnType::kString;
}

ColumnType FromStorageClass(int sqlite_type) {
  switch (sqlite_type) {
    case SQLITE_INTEGER:
      return ColumnType::kLong;
    case SQLITE_FLOAT:
      return ColumnType::kDouble;
    case SQLITE_BLOB:
      return ColumnType::kBinary;
    default:
      return ColumnType::kString;
  }
}

std::string FormatTimestampMs(int64_t ms) {
  int64_t secs = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  if (millis == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
  }
  return buf;
}

bool IsValidDate(std::string_view s) {
  size_t pos = 0;
  return ParseDate(s, &pos) && pos == s.size();
}

bool IsValidTimestamp(std::string_view s) {
  size_t pos = 0;
  if (!ParseDate(s, &pos)) return false;
  if (pos == s.size()) return true;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return false;
  ++pos;
  int h, m, sec;
  if (!Digits(s, &pos, 2, &h) || h > 23) return false;
  if (pos >= s.size() || s[pos++] != ':') return false;
  if (!Digits(s, &pos, 2, &m) || m > 59) return false;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!Digits(s, &pos, 2, &sec) || sec > 60) return false;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start || pos - start > 9) return false;
    }
  }
  if (pos == s.size()) return true;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  ++pos;
  int oh, om = 0;
  if (!Digits(s, &pos, 2, &oh) || oh > 23) return false;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && (!Digits(s, &pos, 2, &om) || om > 59)) return false;
  return pos == s.size();
}

Result<Value> ToStored(const Column& column, const Value& value, std::string_view label) {
  if (std::holds_alternative<std::monostate>(value)) {
    if (!column.nullable) return Bad(label, column, "is not nullable but got NULL");
    return value;
  }
  switch (column.type) {
    case ColumnType::kUnspecified:
    case ColumnType::kString: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return Wrong(label, column, "a string", value);
      if (!util::IsValidUtf8(*s)) return Bad(label, column, "the string is not valid UTF-8");
      return value;
    }
    case ColumnType::kInt:
    case ColumnType::kLong:
    case ColumnType::kShort: {
      int64_t v;
      if (const auto* i = std::get_if<int64_t>(&value)) {
        v = *i;
      } else if (const auto* d = std::get_if<double>(&value)) {
        if (!std::isfinite(*d) || std::trunc(*d) != *d || *d < -9223372036854775808.0 ||
            *d >= 9223372036854775808.0) {
          return Wrong(label, column, "an integer", value);
        }
        v = static_cast<int64_t>(*d);
      } else {
        return Wrong(label, column, "an integer", value);
      }
      if (column.type == ColumnType::kInt &&
          (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
        return Bad(label, column,
                   std::to_string(v) + " is out of range (-2147483648 .. 2147483647)");
      }
      if (column.type == ColumnType::kShort && (v < -32768 || v > 32767)) {
        return Bad(label, column, std::to_string(v) + " is out of range (-32768 .. 32767)");
      }
      return Value(v);
    }
    case ColumnType::kBoolean: {
      if (const auto* b = std::get_if<bool>(&value)) return Value(int64_t{*b ? 1 : 0});
      if (const auto* i = std::get_if<int64_t>(&value); i != nullptr && (*i == 0 || *i == 1)) {
        return value;
      }
      return Wrong(label, column, "a boolean (true/false, or 0/1)", value);
    }
    case ColumnType::kFloat:
    case ColumnType::kDouble: {
      if (const auto* d = std::get_if<double>(&value)) {
        if (std::isnan(*d)) return Bad(label, column, "NaN cannot be stored");
        return value;
      }
      if (const auto* i = std::get_if<int64_t>(&value)) return Value(static_cast<double>(*i));
      return Wrong(label, column, "a number", value);
    }
    case ColumnType::kDate: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return Wrong(label, column, "a date string (YYYY-MM-DD)", value);
      if (!IsValidDate(*s)) {
        return Bad(label, column, "\"" + *s + "\" is not a date (YYYY-MM-DD)");
      }
      return value;
    }
    case ColumnType::kTimestamp: {
      if (const auto* i = std::get_if<int64_t>(&value)) return Value(FormatTimestampMs(*i));
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) {
        return Wrong(label, column, "an ISO-8601 timestamp string or epoch milliseconds", value);
      }
      if (!IsValidTimestamp(*s)) {
        return Bad(label, column,
                   "\"" + *s + "\" is not an ISO-8601 timestamp (e.g. 2026-05-14T10:00:00Z)");
      }
      return value;
    }
    case ColumnType::kJson: {
      if (const auto* s = std::get_if<std::string>(&value)) {
        if (!util::IsValidUtf8(*s) || !nlohmann::json::accept(*s)) {
          return Bad(label, column, "the value is not valid JSON text");
        }
        return value;
      }
      if (const auto* i = std::get_if<int64_t>(&value)) return Value(std::to_string(*i));
      if (const auto* b = std::get_if<bool>(&value))
        return Value(std::string(*b ? "true" : "false"));
      if (const auto* d = std::get_if<double>(&value)) {
        if (!std::isfinite(*d)) return Bad(label, column, "JSON has no NaN or infinity");
        return Value(nlohmann::json(*d).dump());
      }
      return Wrong(label, column, "JSON text", value);
    }
    case ColumnType::kBinary: {
      if (std::holds_alternative<std::vector<uint8_t>>(value)) return value;
      return Wrong(label, column, "bytes", value);
    }
  }
  return Wrong(label, column, "a value of a known type", value);
}

int BindValue(sqlite3_stmt* stmt, int index, const Value& value) {
  switch (value.index()) {
    case 0:
      return sqlite3_bind_null(stmt, index);
    case 1:
      return sqlite3_bind_int64(stmt, index, std::get<int64_t>(value));
    case 2:
      return sqlite3_bind_double(stmt, index, std::get<double>(value));
    case 3: {
      const auto& s = std::get<std::string>(value);
      return sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    case 4: {
      const auto& b = std::get<std::vector<uint8_t>>(value);
      if (b.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
      return sqlite3_bind_blob64(stmt, index, b.data(), b.size(), SQLITE_STATIC);
    }
    default:
      return sqlite3_bind_int64(stmt, index, std::get<bool>(value) ? 1 : 0);
  }
}

Value ReadValue(sqlite3_stmt* stmt, int col, ColumnType type) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_NULL:
      return std::monostate();
    case SQLITE_INTEGER: {
      const int64_t v = sqlite3_column_int64(stmt, col);
      if (type == ColumnType::kBoolean && (v == 0 || v == 1)) return v == 1;
      return v;
    }
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, col);
    case SQLITE_BLOB: {
      const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, col));
      const int n = sqlite3_column_bytes(stmt, col);
      return std::vector<uint8_t>(p, p + n);
    }
    default: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      const int n = sqlite3_column_bytes(stmt, col);
      return std::string(p == nullptr ? "" : p, static_cast<size_t>(n));
    }
  }
}

}  // namespace k3::tables
