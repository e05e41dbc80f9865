// The conventions of K3's JSON wire form: see json_util.h.
#include "wire/json_util.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include "util/hash.h"

namespace k3::wire {

namespace {

std::string TypeName(const Json& v) {
  if (v.is_number()) return "number";
  return v.type_name();
}

// The field's value as a short quoted excerpt for error messages.
std::string Excerpt(std::string_view s) {
  std::string out = "\"";
  if (s.size() > 40) {
    out.append(s.substr(0, 40));
    out += "...";
  } else {
    out.append(s);
  }
  out += "\"";
  return out;
}

char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

template <typename T>
Status ParseIntT(const Json& v, std::string_view path, T* out) {
  static_assert(std::is_integral_v<T>);
  constexpr bool kSigned = std::is_signed_v<T>;
  const char* type_word =
      kSigned ? (sizeof(T) == 8 ? "int64" : "int32") : (sizeof(T) == 8 ? "uint64" : "uint32");
  auto out_of_range = [&] {
    return FieldError(path, std::string("out of range for ") + type_word);
  };
  auto negative = [&] { return FieldError(path, "must not be negative"); };
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return out_of_range();
    *out = static_cast<T>(u);
    return Status::Ok();
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (!kSigned && i < 0) return negative();
    if constexpr (kSigned) {
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          i > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        return out_of_range();
      }
    } else {
      if (static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return out_of_range();
      }
    }
    *out = static_cast<T>(i);
    return Status::Ok();
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) return FieldError(path, "must be an integer");
    if (!kSigned && d < 0) return negative();
    // Bounds as doubles: [min, max + 1) is exact for every integer type here.
    double lo = static_cast<double>(std::numeric_limits<T>::min());
    double hi = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
    if (sizeof(T) == 8) hi = kSigned ? 9223372036854775808.0 : 18446744073709551616.0;
    if (d < lo || d >= hi) return out_of_range();
    *out = static_cast<T>(d);
    return Status::Ok();
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    std::string_view digits = s;
    bool minus = !digits.empty() && digits.front() == '-';
    if (minus) digits.remove_prefix(1);
    bool all_digits = !digits.empty();
    bool all_zero = true;
    for (char c : digits) {
      if (c < '0' || c > '9') all_digits = false;
      if (c != '0') all_zero = false;
    }
    if (!all_digits) {
      return FieldError(path, Excerpt(s) + " is not an integer");
    }
    if (minus && !kSigned) {
      if (all_zero) {
        *out = 0;
        return Status::Ok();
      }
      return negative();
    }
    T value{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::result_out_of_range) return out_of_range();
    if (ec != std::errc() || ptr != s.data() + s.size()) {
      return FieldError(path, Excerpt(s) + " is not an integer");
    }
    *out = value;
    return Status::Ok();
  }
  return FieldError(path, "expected an integer (a number or a decimal string), got " + TypeName(v));
}

constexpr std::string_view kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

}  // namespace

// ---- Documents ----

Result<Json> ParseJson(std::string_view text) {
  bool blank = true;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      blank = false;
      break;
    }
  }
  if (blank) return Json::object();
  // The parser takes a NUL byte for the end of the input, which would accept "{...}\0junk";
  // JSON text never holds one (inside strings it is escaped).
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return InvalidArgument("malformed JSON: a NUL byte at offset " + std::to_string(nul));
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // The parser quotes the text it last read, which may be a secret (a token in a request):
    // that part of its message is left out.
    std::string message = e.what();
    const size_t quoted = message.find("last read: '");
    if (quoted != std::string::npos) {
      const size_t end = message.find("'; ", quoted + 12);
      message.replace(quoted, end == std::string::npos ? std::string::npos : end + 1 - quoted,
                      "(text not shown)");
    }
    return InvalidArgument("malformed JSON: " + message);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

std::string DumpJson(const Json& json) {
  try {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    // Only bad_alloc can get here; there is no better answer than an empty document.
    return "{}";
  }
}

// ---- Names ----

std::string CamelToSnake(std::string_view camel) {
  std::string out;
  out.reserve(camel.size() + 4);
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::string JoinPath(std::string_view prefix, std::string_view field) {
  if (prefix.empty()) return std::string(field);
  std::string out(prefix);
  out += '.';
  out.append(field);
  return out;
}

std::string IndexPath(std::string_view path, size_t i) {
  std::string out(path);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

Status FieldError(std::string_view path, std::string_view what) {
  std::string m = "invalid field \"";
  m.append(path);
  m += "\": ";
  m.append(what);
  return InvalidArgument(std::move(m));
}

// ---- Values ----

Status ParseString(const Json& v, std::string_view path, std::string* out) {
  if (!v.is_string()) return FieldError(path, "expected a string, got " + TypeName(v));
  *out = v.get_ref<const std::string&>();
  return Status::Ok();
}

Status ParseBool(const Json& v, std::string_view path, bool* out) {
  if (v.is_boolean()) {
    *out = v.get<bool>();
    return Status::Ok();
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "true") {
      *out = true;
      return Status::Ok();
    }
    if (s == "false") {
      *out = false;
      return Status::Ok();
    }
    return FieldError(path, Excerpt(s) + " is not a boolean");
  }
  return FieldError(path, "expected a boolean, got " + TypeName(v));
}

Status ParseInt(const Json& v, std::string_view path, int64_t* out) {
  return ParseIntT(v, path, out);
}
Status ParseInt(const Json& v, std::string_view path, uint64_t* out) {
  return ParseIntT(v, path, out);
}
Status ParseInt(const Json& v, std::string_view path, int32_t* out) {
  return ParseIntT(v, path, out);
}
Status ParseInt(const Json& v, std::string_view path, uint32_t* out) {
  return ParseIntT(v, path, out);
}

Status ParseStringList(const Json& v, std::string_view path, std::vector<std::string>* out) {
  if (!v.is_array()) return FieldError(path, "expected an array of strings, got " + TypeName(v));
  std::vector<std::string> list;
  list.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    std::string s;
    K3_RETURN_IF_ERROR(ParseString(v[i], IndexPath(path, i), &s));
    list.push_back(std::move(s));
  }
  *out = std::move(list);
  return Status::Ok();
}

Status ParseStringMap(const Json& v, std::string_view path,
                      std::map<std::string, std::string>* out) {
  if (!v.is_object()) {
    return FieldError(path, "expected an object of strings, got " + TypeName(v));
  }
  std::map<std::string, std::string> map;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string s;
    K3_RETURN_IF_ERROR(ParseString(it.value(), JoinPath(path, it.key()), &s));
    map.emplace(it.key(), std::move(s));
  }
  *out = std::move(map);
  return Status::Ok();
}

Status ParseBase64(const Json& v, std::string_view path, std::string* out) {
  if (!v.is_string()) {
    return FieldError(path, "expected a base64 string, got " + TypeName(v));
  }
  std::string bytes;
  if (!util::Base64Decode(v.get_ref<const std::string&>(), &bytes)) {
    return FieldError(path, "not valid base64 (standard alphabet, padded)");
  }
  *out = std::move(bytes);
  return Status::Ok();
}

// ---- Enums ----

std::string_view EnumToWire(const EnumInfo& info, int value) {
  for (const EnumName& n : info.names) {
    if (n.value == value) return n.wire;
  }
  return info.names.empty() ? std::string_view() : info.names.front().wire;
}

bool EnumFromWire(const EnumInfo& info, std::string_view text, int* value) {
  std::string norm;
  norm.reserve(text.size());
  for (char c : text) norm += (c == '-') ? '_' : AsciiUpper(c);
  for (const EnumName& n : info.names) {
    if (norm == n.wire) {
      *value = n.value;
      return true;
    }
    if (n.wire.size() > info.prefix.size() && n.wire.starts_with(info.prefix) &&
        norm == n.wire.substr(info.prefix.size())) {
      *value = n.value;
      return true;
    }
  }
  return false;
}

Status ParseEnum(const Json& v, const EnumInfo& info, std::string_view path, int* value) {
  auto expected = [&] {
    std::string names;
    for (const EnumName& n : info.names) {
      if (!names.empty()) names += ", ";
      names.append(n.wire);
    }
    return "(expected one of " + names + ")";
  };
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (EnumFromWire(info, s, value)) return Status::Ok();
    return FieldError(path, "unknown value " + Excerpt(s) + " " + expected());
  }
  if (v.is_number_integer()) {  // also unsigned
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{1} << 31) {
      return FieldError(path, "unknown value " + v.dump() + " " + expected());
    }
    int64_t n = v.get<int64_t>();
    for (const EnumName& e : info.names) {
      if (e.value == n) {
        *value = e.value;
        return Status::Ok();
      }
    }
    return FieldError(path, "unknown value " + std::to_string(n) + " " + expected());
  }
  return FieldError(path, "expected an enum name (a string), got " + TypeName(v));
}

// ---- Output helpers ----

Json StringListJson(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

Json StringMapJson(const std::map<std::string, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

Json StatusJson(const Status& status) {
  return Json{{"code", std::string(StatusCodeName(status.code()))}, {"message", status.message()}};
}

bool StatusCodeFromName(std::string_view name, StatusCode* code) {
  for (size_t i = 0; i < std::size(kCodeNames); ++i) {
    if (kCodeNames[i] == name) {
      *code = static_cast<StatusCode>(i);
      return true;
    }
  }
  return false;
}

Status ParseStatus(const Json& v, std::string_view path, Status* out) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(v, std::string(path)));
  std::string code_name = "OK", message;
  K3_RETURN_IF_ERROR(f.Get("code", &code_name));
  K3_RETURN_IF_ERROR(f.Get("message", &message));
  StatusCode code;
  if (!StatusCodeFromName(code_name, &code)) {
    return FieldError(f.PathOf("code"), "unknown status code " + Excerpt(code_name));
  }
  *out = code == StatusCode::kOk ? Status() : Status(code, std::move(message));
  return Status::Ok();
}

Json PaginationJson(const Pagination& p) {
  return Json{{"nextPageToken", p.next_page_token}, {"totalCount", Int64Json(p.total_count)}};
}

Status ParsePagination(const Json& v, std::string_view path, Pagination* out) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(v, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("nextPageToken", &out->next_page_token));
  K3_RETURN_IF_ERROR(f.Get("totalCount", &out->total_count));
  return Status::Ok();
}

// ---- Fields ----

Result<Fields> Fields::Of(const Json& json, std::string path) {
  if (!json.is_object()) {
    if (path.empty())
      return InvalidArgument("request must be a JSON object, got " + TypeName(json));
    return FieldError(path, "expected an object, got " + TypeName(json));
  }
  return Fields(&json, std::move(path));
}

const Json* Fields::Find(std::string_view name, std::string* key) const {
  auto look = [&](const std::string& k) -> const Json* {
    auto it = json_->find(k);
    if (it == json_->end() || it->is_null()) return nullptr;
    if (key != nullptr) *key = k;
    return &*it;
  };
  std::string camel(name);
  if (const Json* v = look(camel)) return v;
  std::string snake = CamelToSnake(name);
  if (snake != camel) return look(snake);
  return nullptr;
}

std::string Fields::PathOf(std::string_view name) const {
  std::string key;
  if (Find(name, &key) == nullptr) key = std::string(name);
  return JoinPath(path_, key);
}

template <typename T>
Status Fields::GetWith(std::string_view name, T* out,
                       Status (*parse)(const Json&, std::string_view, T*)) const {
  std::string key;
  const Json* v = Find(name, &key);
  if (v == nullptr) return Status::Ok();
  return parse(*v, JoinPath(path_, key), out);
}

Status Fields::Get(std::string_view name, std::string* out) const {
  return GetWith<std::string>(name, out, &ParseString);
}
Status Fields::Get(std::string_view name, bool* out) const {
  return GetWith<bool>(name, out, &ParseBool);
}
Status Fields::Get(std::string_view name, int64_t* out) const {
  return GetWith<int64_t>(name, out, &ParseInt);
}
Status Fields::Get(std::string_view name, uint64_t* out) const {
  return GetWith<uint64_t>(name, out, &ParseInt);
}
Status Fields::Get(std::string_view name, int32_t* out) const {
  return GetWith<int32_t>(name, out, &ParseInt);
}
Status Fields::Get(std::string_view name, uint32_t* out) const {
  return GetWith<uint32_t>(name, out, &ParseInt);
}
Status Fields::Get(std::string_view name, std::vector<std::string>* out) const {
  return GetWith<std::vector<std::string>>(name, out, &ParseStringList);
}
Status Fields::Get(std::string_view name, std::map<std::string, std::string>* out) const {
  return GetWith<std::map<std::string, std::string>>(name, out, &ParseStringMap);
}
Status Fields::GetBase64(std::string_view name, std::string* out) const {
  return GetWith<std::string>(name, out, &ParseBase64);
}

Status Fields::GetObject(std::string_view name, std::optional<Fields>* out) const {
  out->reset();
  std::string key;
  const Json* v = Find(name, &key);
  if (v == nullptr) return Status::Ok();
  std::string path = JoinPath(path_, key);
  if (!v->is_object()) return FieldError(path, "expected an object, got " + TypeName(*v));
  out->emplace(Fields(v, std::move(path)));
  return Status::Ok();
}

Status Fields::GetArray(std::string_view name, const Json** out, std::string* path) const {
  *out = nullptr;
  std::string key;
  const Json* v = Find(name, &key);
  if (v == nullptr) return Status::Ok();
  *path = JoinPath(path_, key);
  if (!v->is_array()) return FieldError(*path, "expected an array, got " + TypeName(*v));
  *out = v;
  return Status::Ok();
}

}  // namespace k3::wire
