// storage/policy.cc: bucket policy and CORS validation (see policy.h).
#include "storage/policy.h"

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace k3::storage {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kArnPrefix = "arn:aws:s3:::";
constexpr size_t kMaxShownBytes = 64;

// `s` as a JSON string literal, cut to about kMaxShownBytes on a UTF-8 boundary.
std::string Shown(const std::string& s) {
  if (s.size() <= kMaxShownBytes) return Json(s).dump();
  size_t cut = kMaxShownBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return Json(s.substr(0, cut) + "...").dump();
}

// The path of member `key` of the value at `parent` ("" = the document).
std::string Member(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string Index(const std::string& parent, size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

// The first key of `object` outside `allowed`, reported under `where`.
Status CheckKeys(const Json& object, std::initializer_list<std::string_view> allowed,
                 const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgument(where + " has unknown key " + Shown(key));
    }
  }
  return Status::Ok();
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Validates a "string or non-empty array of strings" field; `check` validates each string
// and returns an empty string when it is fine, else the reason ("must be ...").
template <typename Check>
Status CheckStringOrArray(const Json& value, const std::string& path, Check check) {
  auto one = [&](const Json& item, const std::string& item_path) -> Status {
    if (!item.is_string()) return InvalidArgument(item_path + " must be a string");
    std::string reason = check(item.get_ref<const std::string&>());
    if (!reason.empty()) return InvalidArgument(item_path + " " + reason);
    return Status::Ok();
  };
  if (value.is_string()) return one(value, path);
  if (!value.is_array() || value.empty()) {
    return InvalidArgument(path + " must be a string or a non-empty array of strings");
  }
  for (size_t i = 0; i < value.size(); ++i) K3_RETURN_IF_ERROR(one(value[i], Index(path, i)));
  return Status::Ok();
}

std::string CheckNonEmpty(const std::string& s) {
  return s.empty() ? "must not be empty" : std::string();
}

std::string CheckAction(const std::string& s) {
  if (s == "*") return {};
  if (StartsWithIgnoreCase(s, "s3:") && s.size() > 3) return {};
  return "must be \"*\" or an S3 action \"s3:...\" (got " + Shown(s) + ")";
}

std::string CheckResource(const std::string& s) {
  if (s == "*") return {};
  if (s.size() > kArnPrefix.size() && s.compare(0, kArnPrefix.size(), kArnPrefix) == 0) return {};
  return "must be \"*\" or an S3 ARN \"arn:aws:s3:::...\" (got " + Shown(s) + ")";
}

Status CheckPrincipal(const Json& value, const std::string& path) {
  if (value.is_string() && value.get_ref<const std::string&>() == "*") return Status::Ok();
  if (!value.is_object()) return InvalidArgument(path + " must be \"*\" or an object");
  if (value.empty()) return InvalidArgument(path + " must not be an empty object");
  for (const auto& [key, ids] : value.items()) {
    K3_RETURN_IF_ERROR(CheckStringOrArray(ids, Member(path, key), CheckNonEmpty));
  }
  return Status::Ok();
}

bool IsConditionScalar(const Json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

Status CheckCondition(const Json& value, const std::string& path) {
  if (!value.is_object()) return InvalidArgument(path + " must be an object");
  for (const auto& [op, block] : value.items()) {
    const std::string op_path = Member(path, op);
    if (!block.is_object()) return InvalidArgument(op_path + " must be an object");
    for (const auto& [key, operand] : block.items()) {
      bool ok =
          IsConditionScalar(operand) ||
          (operand.is_array() && std::all_of(operand.begin(), operand.end(), IsConditionScalar));
      if (!ok) {
        return InvalidArgument(Member(op_path, key) +
                               " must be a string, number, boolean or an array of them");
      }
    }
  }
  return Status::Ok();
}

Status CheckStatement(const Json& st, const std::string& path) {
  if (!st.is_object()) return InvalidArgument(path + " must be an object");
  K3_RETURN_IF_ERROR(
      CheckKeys(st, {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}, path));

  if (auto it = st.find("Sid"); it != st.end() && !it->is_string()) {
    return InvalidArgument(Member(path, "Sid") + " must be a string");
  }

  const std::string effect_path = Member(path, "Effect");
  auto effect = st.find("Effect");
  if (effect == st.end()) {
    return InvalidArgument(effect_path + " is required (\"Allow\" or \"Deny\")");
  }
  if (!effect->is_string() || (effect->get_ref<const std::string&>() != "Allow" &&
                               effect->get_ref<const std::string&>() != "Deny")) {
    return InvalidArgument(effect_path + " must be \"Allow\" or \"Deny\"");
  }

  const std::string principal_path = Member(path, "Principal");
  auto principal = st.find("Principal");
  if (principal == st.end()) return InvalidArgument(principal_path + " is required");
  K3_RETURN_IF_ERROR(CheckPrincipal(*principal, principal_path));

  const std::string action_path = Member(path, "Action");
  auto action = st.find("Action");
  if (action == st.end()) return InvalidArgument(action_path + " is required");
  K3_RETURN_IF_ERROR(CheckStringOrArray(*action, action_path, CheckAction));

  const std::string resource_path = Member(path, "Resource");
  auto resource = st.find("Resource");
  if (resource == st.end()) return InvalidArgument(resource_path + " is required");
  K3_RETURN_IF_ERROR(CheckStringOrArray(*resource, resource_path, CheckResource));

  if (auto it = st.find("Condition"); it != st.end()) {
    K3_RETURN_IF_ERROR(CheckCondition(*it, Member(path, "Condition")));
  }
  return Status::Ok();
}

Status CheckPolicy(const Json& doc) {
  if (!doc.is_object()) return InvalidArgument("policy must be a JSON object");
  K3_RETURN_IF_ERROR(CheckKeys(doc, {"Version", "Id", "Statement"}, "policy"));

  if (auto it = doc.find("Version"); it != doc.end()) {
    if (!it->is_string() || (it->get_ref<const std::string&>() != "2012-10-17" &&
                             it->get_ref<const std::string&>() != "2008-10-17")) {
      return InvalidArgument("Version must be \"2012-10-17\" or \"2008-10-17\"");
    }
  }
  if (auto it = doc.find("Id"); it != doc.end() && !it->is_string()) {
    return InvalidArgument("Id must be a string");
  }

  auto statement = doc.find("Statement");
  if (statement == doc.end()) return InvalidArgument("Statement is required");
  if (statement->is_object()) return CheckStatement(*statement, "Statement");
  if (!statement->is_array() || statement->empty()) {
    return InvalidArgument("Statement must be an object or a non-empty array of objects");
  }
  for (size_t i = 0; i < statement->size(); ++i) {
    K3_RETURN_IF_ERROR(CheckStatement((*statement)[i], Index("Statement", i)));
  }
  return Status::Ok();
}

// True when `s` holds more than one '*'.
bool HasSeveralStars(const std::string& s) { return std::count(s.begin(), s.end(), '*') > 1; }

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

Status CheckCorsRule(const CorsRule& rule, const std::string& path) {
  const std::string origins = path + ".allowedOrigins";
  if (rule.allowed_origins.empty()) return InvalidArgument(origins + " must not be empty");
  for (size_t i = 0; i < rule.allowed_origins.size(); ++i) {
    const std::string& origin = rule.allowed_origins[i];
    if (origin.empty()) return InvalidArgument(Index(origins, i) + " must not be empty");
    if (HasSeveralStars(origin)) {
      return InvalidArgument(Index(origins, i) + " may contain at most one '*' (got " +
                             Quoted(origin) + ")");
    }
  }

  const std::string methods = path + ".allowedMethods";
  if (rule.allowed_methods.empty()) return InvalidArgument(methods + " must not be empty");
  static constexpr std::string_view kMethods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
  for (size_t i = 0; i < rule.allowed_methods.size(); ++i) {
    const std::string& method = rule.allowed_methods[i];
    if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
      return InvalidArgument(Index(methods, i) +
                             " must be one of GET, PUT, POST, DELETE, HEAD (got " + Quoted(method) +
                             ")");
    }
  }

  const std::string headers = path + ".allowedHeaders";
  for (size_t i = 0; i < rule.allowed_headers.size(); ++i) {
    const std::string& header = rule.allowed_headers[i];
    if (header.empty()) return InvalidArgument(Index(headers, i) + " must not be empty");
    if (HasSeveralStars(header)) {
      return InvalidArgument(Index(headers, i) + " may contain at most one '*' (got " +
                             Quoted(header) + ")");
    }
  }

  const std::string expose = path + ".exposeHeaders";
  for (size_t i = 0; i < rule.expose_headers.size(); ++i) {
    const std::string& header = rule.expose_headers[i];
    if (header.empty()) return InvalidArgument(Index(expose, i) + " must not be empty");
    if (header.find('*') != std::string::npos) {
      return InvalidArgument(Index(expose, i) + " must not contain '*' (got " + Quoted(header) +
                             ")");
    }
  }

  if (rule.max_age_seconds < 0) {
    return InvalidArgument(path + ".maxAgeSeconds must be >= 0 (got " +
                           std::to_string(rule.max_age_seconds) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateBucketPolicy(std::string_view policy_json) {
  if (policy_json.size() > kMaxBucketPolicyBytes) {
    return InvalidArgument("policy is " + std::to_string(policy_json.size()) + " bytes; at most " +
                           std::to_string(kMaxBucketPolicyBytes) + " are allowed");
  }
  try {
    Json doc;
    try {
      doc = Json::parse(policy_json.begin(), policy_json.end());
    } catch (const Json::parse_error& e) {
      return InvalidArgument(std::string("policy is not valid JSON: ") + e.what());
    }
    return CheckPolicy(doc);
  } catch (const std::exception& e) {
    return Internal(std::string("validating the policy failed: ") + e.what());
  }
}

Status ValidateCors(const CorsConfiguration& cors) {
  if (cors.cors_rules.empty() || cors.cors_rules.size() > kMaxCorsRules) {
    return InvalidArgument("corsRules must hold 1.." + std::to_string(kMaxCorsRules) +
                           " rules (got " + std::to_string(cors.cors_rules.size()) + ")");
  }
  try {
    for (size_t i = 0; i < cors.cors_rules.size(); ++i) {
      K3_RETURN_IF_ERROR(CheckCorsRule(cors.cors_rules[i], Index("corsRules", i)));
    }
  } catch (const std::exception& e) {
    return Internal(std::string("validating the CORS configuration failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace k3::storage
