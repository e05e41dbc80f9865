// pipelines/rows/schema_infer.cc: type inference, widening, column names and conversion.
#include "pipelines/rows/schema_infer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "pipelines/rows/timestamp.h"
#include "pipelines/rows/utf8_repair.h"

namespace k3::pipelines {
namespace {

constexpr size_t kMaxColumnNameBytes = 63;
constexpr size_t kMaxShownValueBytes = 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses an optionally signed run of digits (leading zeros allowed) into int64.
std::optional<int64_t> ParseInt64(std::string_view s) {
  const bool plus = !s.empty() && s[0] == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty() || (plus && s[0] == '-')) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Whether `s` is an integer in the inference grammar (no leading zeros but "0").
bool IsCanonicalIntegerText(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

// Whether `s` is a decimal in the inference grammar: sign? (int)? ('.' digits*)? (exp)?, with
// a digit somewhere in the mantissa, a '.' or exponent, and no leading zeros in int.
bool IsDecimalText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  const size_t int_digits = i - int_start;
  if (int_digits > 1 && s[int_start] == '0') return false;
  size_t frac_digits = 0;
  bool has_point = false;
  if (i < s.size() && s[i] == '.') {
    has_point = true;
    ++i;
    const size_t frac_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    frac_digits = i - frac_start;
  }
  if (int_digits + frac_digits == 0) return false;
  bool has_exponent = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    has_exponent = true;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t exp_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exp_start) return false;
  }
  return i == s.size() && (has_point || has_exponent);
}

// Parses a finite number written as decimal or integer text (sign, digits, '.', exponent; no
// "inf"/"nan", no hex, no spaces).
std::optional<double> ParseFiniteDouble(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (!IsDigit(c) && c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') {
      return std::nullopt;
    }
  }
  const bool plus = s[0] == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty() || (plus && s[0] == '-')) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool IsIntegerType(ColumnType t) {
  return t == ColumnType::kShort || t == ColumnType::kInt || t == ColumnType::kLong;
}
bool IsFloatType(ColumnType t) { return t == ColumnType::kFloat || t == ColumnType::kDouble; }

int IntegerRank(ColumnType t) {
  return t == ColumnType::kShort ? 0 : t == ColumnType::kInt ? 1 : 2;
}

std::optional<int64_t> CheckIntegerRange(int64_t v, ColumnType t) {
  if (t == ColumnType::kShort && (v < INT16_MIN || v > INT16_MAX)) return std::nullopt;
  if (t == ColumnType::kInt && (v < INT32_MIN || v > INT32_MAX)) return std::nullopt;
  return v;
}

// An integral double within int64 (and the column type's range).
std::optional<int64_t> IntegralDouble(double d, ColumnType t) {
  if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
  // 2^63 is exactly representable; every double below it converts exactly.
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return std::nullopt;
  return CheckIntegerRange(static_cast<int64_t>(d), t);
}

std::optional<double> CheckFloatRange(double v, ColumnType t) {
  if (t == ColumnType::kFloat && std::fabs(v) > std::numeric_limits<float>::max()) {
    return std::nullopt;
  }
  return v;
}

// The value as shown in an error: at most kMaxShownValueBytes, cut at a character boundary.
std::string Shown(std::string_view text) {
  if (text.size() <= kMaxShownValueBytes) return std::string(text);
  size_t cut = kMaxShownValueBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Status NotA(const Column& column, std::string_view shown_value) {
  return InvalidArgument("column " + column.name + ": '" + Shown(shown_value) + "' is not a " +
                         std::string(RowColumnTypeName(column.type)));
}

std::string DumpCompact(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<bool> ParseBoolText(std::string_view s, bool allow_digits) {
  if (EqualsIgnoreCase(s, "true")) return true;
  if (EqualsIgnoreCase(s, "false")) return false;
  if (allow_digits && s == "1") return true;
  if (allow_digits && s == "0") return false;
  return std::nullopt;
}

// Converts non-empty text to `column.type`; `shown` is what an error quotes.
Result<Value> ConvertText(std::string_view text, const Column& column, std::string_view shown) {
  const ColumnType t = column.type;
  switch (t) {
    case ColumnType::kLong:
    case ColumnType::kInt:
    case ColumnType::kShort: {
      if (auto v = ParseInt64(text)) {
        if (auto r = CheckIntegerRange(*v, t)) return Value(*r);
        return NotA(column, shown);
      }
      if (auto d = ParseFiniteDouble(text)) {
        if (auto r = IntegralDouble(*d, t)) return Value(*r);
      }
      return NotA(column, shown);
    }
    case ColumnType::kDouble:
    case ColumnType::kFloat: {
      if (auto d = ParseFiniteDouble(text)) {
        if (auto r = CheckFloatRange(*d, t)) return Value(*r);
      }
      return NotA(column, shown);
    }
    case ColumnType::kBoolean: {
      if (auto b = ParseBoolText(text, /*allow_digits=*/true)) return Value(*b);
      return NotA(column, shown);
    }
    case ColumnType::kString: {
      std::string s(text);
      if (RepairUtf8(&s) != 0) {
        return InvalidArgument("column " + column.name + ": the value is not valid UTF-8");
      }
      return Value(std::move(s));
    }
    case ColumnType::kDate:
      if (IsIsoDate(text)) return Value(std::string(text));
      return NotA(column, shown);
    case ColumnType::kTimestamp:
      if (auto s = NormalizeIsoTimestamp(text)) return Value(std::move(*s));
      return NotA(column, shown);
    case ColumnType::kJson: {
      nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) return NotA(column, shown);
      return Value(DumpCompact(parsed));
    }
    case ColumnType::kBinary:
      return Value(std::vector<uint8_t>(text.begin(), text.end()));
    default:
      return InvalidArgument("column " + column.name + " has no type (UNSPECIFIED)");
  }
}

}  // namespace

std::string_view RowColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "STRING";
    case ColumnType::kInt:
      return "INT";
    case ColumnType::kLong:
      return "LONG";
    case ColumnType::kShort:
      return "SHORT";
    case ColumnType::kFloat:
      return "FLOAT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kBoolean:
      return "BOOLEAN";
    case ColumnType::kDate:
      return "DATE";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
    case ColumnType::kBinary:
      return "BINARY";
    case ColumnType::kJson:
      return "JSON";
    default:
      return "UNSPECIFIED";
  }
}

ColumnType InferCsvFieldType(std::string_view field) {
  if (field.empty()) return ColumnType::kUnspecified;
  if (IsCanonicalIntegerText(field)) {
    return ParseInt64(field) ? ColumnType::kLong : ColumnType::kString;
  }
  if (IsDecimalText(field) && ParseFiniteDouble(field)) return ColumnType::kDouble;
  if (ParseBoolText(field, /*allow_digits=*/false)) return ColumnType::kBoolean;
  if (ParseIsoTimestampMs(field)) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

ColumnType InferJsonValueType(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return ColumnType::kUnspecified;
    case nlohmann::json::value_t::number_integer:
      return ColumnType::kLong;
    case nlohmann::json::value_t::number_unsigned:
      return value.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX) ? ColumnType::kLong
                                                                       : ColumnType::kDouble;
    case nlohmann::json::value_t::number_float:
      return ColumnType::kDouble;
    case nlohmann::json::value_t::boolean:
      return ColumnType::kBoolean;
    case nlohmann::json::value_t::string:
      return ParseIsoTimestampMs(value.get_ref<const std::string&>()) ? ColumnType::kTimestamp
                                                                      : ColumnType::kString;
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array:
      return ColumnType::kJson;
    default:  // binary, discarded
      return ColumnType::kString;
  }
}

ColumnType WidenType(ColumnType a, ColumnType b) {
  if (a == b) return a;
  if (a == ColumnType::kUnspecified) return b;
  if (b == ColumnType::kUnspecified) return a;
  if (a == ColumnType::kJson || b == ColumnType::kJson) return ColumnType::kJson;
  if (IsIntegerType(a) && IsIntegerType(b)) return IntegerRank(a) > IntegerRank(b) ? a : b;
  if ((IsIntegerType(a) || IsFloatType(a)) && (IsIntegerType(b) || IsFloatType(b))) {
    return ColumnType::kDouble;
  }
  if ((a == ColumnType::kDate && b == ColumnType::kTimestamp) ||
      (a == ColumnType::kTimestamp && b == ColumnType::kDate)) {
    return ColumnType::kTimestamp;
  }
  return ColumnType::kString;
}

std::vector<std::string> MakeColumnNames(const std::vector<std::string>& source_names) {
  std::vector<std::string> out;
  out.reserve(source_names.size());
  std::unordered_set<std::string> used;  // lower-case
  for (size_t index = 0; index < source_names.size(); ++index) {
    const std::string_view source = source_names[index];
    std::string name;
    for (size_t i = 0; i < source.size();) {
      const auto c = static_cast<unsigned char>(source[i]);
      if (std::isalnum(c) || c == '_') {
        name.push_back(static_cast<char>(c));
        ++i;
        continue;
      }
      name.push_back('_');
      // One '_' per UTF-8 character: skip its continuation bytes.
      ++i;
      if (c >= 0xC0) {
        while (i < source.size() && (static_cast<unsigned char>(source[i]) & 0xC0) == 0x80) ++i;
      }
    }
    if (name.empty()) {
      name = "c_" + std::to_string(index + 1);
    } else if (IsDigit(name[0])) {
      name = "c_" + name;
    } else if (StartsWithIgnoreCase(name, "_k3_") || StartsWithIgnoreCase(name, "sqlite_")) {
      name = "_" + name;
    }
    if (name.size() > kMaxColumnNameBytes) name.resize(kMaxColumnNameBytes);
    std::string candidate = name;
    for (int n = 2; used.count(Lower(candidate)) != 0; ++n) {
      const std::string suffix = "_" + std::to_string(n);
      candidate =
          name.substr(0, std::min(name.size(), kMaxColumnNameBytes - suffix.size())) + suffix;
    }
    used.insert(Lower(candidate));
    out.push_back(std::move(candidate));
  }
  return out;
}

namespace {

InferredSchema BuildSchema(std::vector<std::string> source_names,
                           const std::vector<ColumnType>& types) {
  InferredSchema schema;
  const std::vector<std::string> names = MakeColumnNames(source_names);
  for (size_t i = 0; i < names.size(); ++i) {
    const ColumnType t = types[i] == ColumnType::kUnspecified ? ColumnType::kString : types[i];
    schema.columns.push_back(Column{names[i], t, /*nullable=*/true});
  }
  schema.source_names = std::move(source_names);
  return schema;
}

}  // namespace

InferredSchema InferCsvSchema(const std::vector<std::string>& header,
                              const std::vector<std::vector<std::string>>& sample_rows) {
  std::vector<ColumnType> types(header.size(), ColumnType::kUnspecified);
  for (const auto& row : sample_rows) {
    for (size_t i = 0; i < header.size() && i < row.size(); ++i) {
      types[i] = WidenType(types[i], InferCsvFieldType(row[i]));
    }
  }
  return BuildSchema(header, types);
}

InferredSchema InferJsonSchema(const std::vector<nlohmann::json>& sample_rows) {
  std::vector<std::string> keys;
  std::vector<ColumnType> types;
  std::unordered_map<std::string, size_t> index_of;
  for (const auto& row : sample_rows) {
    if (!row.is_object()) continue;
    for (const auto& [key, value] : row.items()) {
      auto [it, inserted] = index_of.emplace(key, keys.size());
      if (inserted) {
        keys.push_back(key);
        types.push_back(ColumnType::kUnspecified);
      }
      types[it->second] = WidenType(types[it->second], InferJsonValueType(value));
    }
  }
  return BuildSchema(std::move(keys), types);
}

Result<Value> ConvertCsvField(std::string_view field, const Column& column) {
  if (field.empty()) return Value(std::monostate());
  return ConvertText(field, column, field);
}

Result<Value> ConvertJsonValue(const nlohmann::json& value, const Column& column) {
  if (value.is_null()) return Value(std::monostate());
  const ColumnType t = column.type;
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (t == ColumnType::kJson) return Value(DumpCompact(value));
    if (s.empty()) {
      if (t == ColumnType::kString) return Value(std::string());
      if (t == ColumnType::kBinary) return Value(std::vector<uint8_t>());
      return NotA(column, "");
    }
    return ConvertText(s, column, s);
  }
  const std::string shown = DumpCompact(value);
  switch (t) {
    case ColumnType::kLong:
    case ColumnType::kInt:
    case ColumnType::kShort:
      if (value.is_number_integer()) {
        if (value.is_number_unsigned()) {
          const auto u = value.get<uint64_t>();
          if (u > static_cast<uint64_t>(INT64_MAX)) return NotA(column, shown);
          if (auto r = CheckIntegerRange(static_cast<int64_t>(u), t)) return Value(*r);
          return NotA(column, shown);
        }
        if (auto r = CheckIntegerRange(value.get<int64_t>(), t)) return Value(*r);
        return NotA(column, shown);
      }
      if (value.is_number_float()) {
        if (auto r = IntegralDouble(value.get<double>(), t)) return Value(*r);
      }
      return NotA(column, shown);
    case ColumnType::kDouble:
    case ColumnType::kFloat:
      if (value.is_number()) {
        const double d = value.get<double>();
        if (std::isfinite(d)) {
          if (auto r = CheckFloatRange(d, t)) return Value(*r);
        }
      }
      return NotA(column, shown);
    case ColumnType::kBoolean:
      if (value.is_boolean()) return Value(value.get<bool>());
      return NotA(column, shown);
    case ColumnType::kString:
    case ColumnType::kJson:
      return Value(shown);
    case ColumnType::kTimestamp:
      if (value.is_number_integer()) {
        std::optional<std::string> text;
        if (value.is_number_unsigned()) {
          const auto u = value.get<uint64_t>();
          if (u <= static_cast<uint64_t>(INT64_MAX)) {
            text = FormatUtcTimestampMs(static_cast<int64_t>(u));
          }
        } else {
          text = FormatUtcTimestampMs(value.get<int64_t>());
        }
        if (text) return Value(std::move(*text));
      }
      return NotA(column, shown);
    case ColumnType::kDate:
    case ColumnType::kBinary:
      return NotA(column, shown);
    default:
      return InvalidArgument("column " + column.name + " has no type (UNSPECIFIED)");
  }
}

}  // namespace k3::pipelines
