// wire/json_util.h: the conventions of K3's JSON wire form, shared by every service's codec.
//
// Output: camelCase keys; every field emitted, defaults included; int64/uint64 as decimal
// JSON strings ("createdAt": "1716843600000"); 32-bit integers as JSON numbers; enums as
// their wire names ("BUCKET_ACCESS_MODE_PRIVATE"); pagination as
// {"nextPageToken": "...", "totalCount": "N"}.
// Input: every field found by its camelCase or its snake_case name (camelCase wins when both
// are present); a JSON null is the same as an absent field; integers as JSON numbers or
// decimal strings; enums as wire names, short forms ("private", "public-read",
// case-insensitive) or their numbers; unknown fields are ignored. A wrong-typed field is
// INVALID_ARGUMENT whose message names the field as the client spelled it, with its path for
// nested fields ("corsRules[0].allowedOrigins[1]").
// Nothing here throws: nlohmann exceptions are caught and become a Status.
// Thread-safety: free functions and values; Fields only reads the JSON it points to.
#ifndef K3_WIRE_JSON_UTIL_H_
#define K3_WIRE_JSON_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "k3/status.h"
#include "k3/types.h"

namespace k3::wire {

using Json = nlohmann::json;

// ---- Parsing and printing documents ----

// Parses a request or response document. Empty (or all-whitespace) text is the empty object.
// INVALID_ARGUMENT "malformed JSON: ..." on a syntax error.
Result<Json> ParseJson(std::string_view text);
// Compact JSON text. Never throws: invalid UTF-8 in strings is replaced by U+FFFD.
std::string DumpJson(const Json& json);

// ---- Names ----

// "storageQuotaBytes" -> "storage_quota_bytes"; a name without capitals is returned as is.
std::string CamelToSnake(std::string_view camel);
// "a.b" (or "b" when prefix is empty): the path of a field inside the object at `prefix`.
std::string JoinPath(std::string_view prefix, std::string_view field);
// INVALID_ARGUMENT: invalid field "<path>": <what>.
Status FieldError(std::string_view path, std::string_view what);

// ---- Values (path names the value in error messages) ----

Status ParseString(const Json& v, std::string_view path, std::string* out);
// true/false; also the strings "true" and "false" (as sent by query strings).
Status ParseBool(const Json& v, std::string_view path, bool* out);
// A JSON integer, an integral JSON number (1e3), or a decimal string ("-12"). Fractions,
// other strings, values out of range of the target type and negative values for unsigned
// types are INVALID_ARGUMENT.
Status ParseInt(const Json& v, std::string_view path, int64_t* out);
Status ParseInt(const Json& v, std::string_view path, uint64_t* out);
Status ParseInt(const Json& v, std::string_view path, int32_t* out);
Status ParseInt(const Json& v, std::string_view path, uint32_t* out);
Status ParseStringList(const Json& v, std::string_view path, std::vector<std::string>* out);
Status ParseStringMap(const Json& v, std::string_view path,
                      std::map<std::string, std::string>* out);
// A base64 (standard alphabet, padded) string decoded to bytes.
Status ParseBase64(const Json& v, std::string_view path, std::string* out);

// ---- Enums ----

struct EnumName {
  int value;
  std::string_view wire;  // the full wire name, "BUCKET_ACCESS_MODE_PRIVATE"
};

// An enum's wire names. `prefix` is what a short form omits ("BUCKET_ACCESS_MODE_").
// The first entry is emitted for values that are not listed.
struct EnumInfo {
  std::string_view prefix;
  std::span<const EnumName> names;
};

std::string_view EnumToWire(const EnumInfo& info, int value);
// Accepts the wire name or the short form, ASCII case-insensitive, '-' standing for '_'.
bool EnumFromWire(const EnumInfo& info, std::string_view text, int* value);
// As EnumFromWire, plus a listed number; INVALID_ARGUMENT naming the accepted names otherwise.
Status ParseEnum(const Json& v, const EnumInfo& info, std::string_view path, int* value);

template <typename E>
Json EnumJson(const EnumInfo& info, E value) {
  return std::string(EnumToWire(info, static_cast<int>(value)));
}

// ---- Output helpers ----

inline Json Int64Json(int64_t v) { return std::to_string(v); }
inline Json Uint64Json(uint64_t v) { return std::to_string(v); }
Json StringListJson(const std::vector<std::string>& v);
Json StringMapJson(const std::map<std::string, std::string>& m);
// {"code": "NOT_FOUND", "message": "..."}; the code is StatusCodeName's.
Json StatusJson(const Status& status);
// Parses StatusJson's form back; INVALID_ARGUMENT for an unknown code name.
Status ParseStatus(const Json& v, std::string_view path, Status* out);
// StatusCodeName's inverse; false for an unknown name.
bool StatusCodeFromName(std::string_view name, StatusCode* code);

// EngineStatus (k3/types.h), shared by the table and vector engines.
inline constexpr EnumName kEngineStatusNames[] = {
    {static_cast<int>(EngineStatus::kUnspecified), "ENGINE_STATUS_UNSPECIFIED"},
    {static_cast<int>(EngineStatus::kPending), "ENGINE_STATUS_PENDING"},
    {static_cast<int>(EngineStatus::kProvisioning), "ENGINE_STATUS_PROVISIONING"},
    {static_cast<int>(EngineStatus::kActive), "ENGINE_STATUS_ACTIVE"},
    {static_cast<int>(EngineStatus::kError), "ENGINE_STATUS_ERROR"},
};
inline constexpr EnumInfo kEngineStatusEnum{"ENGINE_STATUS_", kEngineStatusNames};

Json PaginationJson(const Pagination& p);
Status ParsePagination(const Json& v, std::string_view path, Pagination* out);

// ---- Reading the fields of one JSON object ----

// A view of one JSON object of a request (or a nested object), with typed getters that
// apply the input conventions above. Every Get leaves *out unchanged when the field is
// absent or null, so defaults are set by initialising the target first. The JSON must
// outlive the Fields.
class Fields {
 public:
  // INVALID_ARGUMENT when `json` is not an object: "request must be a JSON object, got
  // array" for the top level (empty path), "invalid field \"<path>\": ..." otherwise.
  static Result<Fields> Of(const Json& json, std::string path = {});

  // The field `name` (camelCase) or its snake_case spelling; nullptr when absent or null.
  // *key receives the key found, as the client spelled it.
  const Json* Find(std::string_view name, std::string* key = nullptr) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // The path of the field as the client spelled it (its camelCase name when absent).
  std::string PathOf(std::string_view name) const;
  const std::string& path() const { return path_; }
  const Json& json() const { return *json_; }

  Status Get(std::string_view name, std::string* out) const;
  Status Get(std::string_view name, bool* out) const;
  Status Get(std::string_view name, int64_t* out) const;
  Status Get(std::string_view name, uint64_t* out) const;
  Status Get(std::string_view name, int32_t* out) const;
  Status Get(std::string_view name, uint32_t* out) const;
  Status Get(std::string_view name, std::vector<std::string>* out) const;
  Status Get(std::string_view name, std::map<std::string, std::string>* out) const;
  // Absent or null leaves *out as it is (nullopt stays nullopt); present sets it.
  template <typename T>
  Status Get(std::string_view name, std::optional<T>* out) const {
    if (Find(name) == nullptr) return Status::Ok();
    T value{};
    K3_RETURN_IF_ERROR(Get(name, &value));
    *out = std::move(value);
    return Status::Ok();
  }
  // A base64 field decoded to bytes.
  Status GetBase64(std::string_view name, std::string* out) const;

  template <typename E>
  Status GetEnum(std::string_view name, const EnumInfo& info, E* out) const {
    std::string key;
    const Json* v = Find(name, &key);
    if (v == nullptr) return Status::Ok();
    int value = 0;
    K3_RETURN_IF_ERROR(ParseEnum(*v, info, JoinPath(path_, key), &value));
    *out = static_cast<E>(value);
    return Status::Ok();
  }
  template <typename E>
  Status GetEnum(std::string_view name, const EnumInfo& info, std::optional<E>* out) const {
    if (Find(name) == nullptr) return Status::Ok();
    E value{};
    K3_RETURN_IF_ERROR(GetEnum(name, info, &value));
    *out = value;
    return Status::Ok();
  }

  // A nested object: *out is empty when the field is absent or null; INVALID_ARGUMENT when
  // it is not an object.
  Status GetObject(std::string_view name, std::optional<Fields>* out) const;
  // An array field: *out is nullptr when absent or null; INVALID_ARGUMENT when it is not an
  // array. *path receives the array's path, for naming its elements ("<path>[i]").
  Status GetArray(std::string_view name, const Json** out, std::string* path) const;

 private:
  Fields(const Json* json, std::string path) : json_(json), path_(std::move(path)) {}

  template <typename T>
  Status GetWith(std::string_view name, T* out,
                 Status (*parse)(const Json&, std::string_view, T*)) const;

  const Json* json_;
  std::string path_;
};

// "<path>[i]".
std::string IndexPath(std::string_view path, size_t i);

}  // namespace k3::wire

#endif  // K3_WIRE_JSON_UTIL_H_
