// capi/call.cc: the control plane of k3.h — k3_call and k3_list_methods, translated to
// k3::Db::call and k3::Db::methods.
#include <string>
#include <string_view>
#include <vector>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/k3.h"
#include "k3/status.h"

using k3::capi::CopyString;
using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

namespace {

// Appends `s` to `out` as a JSON string literal.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

extern "C" {

int k3_call(k3_db* db, const char* method, const char* request_json, size_t request_len,
            char** out_response_json, size_t* out_response_len, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_response_len != nullptr) *out_response_len = 0;
    K3_CAPI_REQUIRE(out_response_json, errmsg);
    *out_response_json = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(method, errmsg);
    K3_CAPI_REQUIRE(request_json, errmsg);
    k3::Result<std::string> response =
        db->db.call(method, std::string_view(request_json, request_len));
    if (!response.ok()) return Fail(response.status(), errmsg);
    char* copy = CopyString(*response);
    if (copy == nullptr) return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
    *out_response_json = copy;
    if (out_response_len != nullptr) *out_response_len = response->size();
    return Ok(errmsg);
  });
}

int k3_list_methods(char** out_json_array, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_json_array, errmsg);
    *out_json_array = nullptr;
    std::string json = "[";
    for (const std::string& name : k3::Db::methods()) {
      if (json.size() > 1) json.push_back(',');
      AppendJsonString(name, &json);
    }
    json.push_back(']');
    char* copy = CopyString(json);
    if (copy == nullptr) return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
    *out_json_array = copy;
    return Ok(errmsg);
  });
}

}  // extern "C"
