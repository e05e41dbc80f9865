// capi/objects.cc: the typed object data plane of k3.h, translated to k3::StorageService
// (put_object, put_object_stream, get_object, get_object_stream, delete_object).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/k3.h"
#include "k3/status.h"
#include "k3/storage.h"

using k3::capi::CopyString;
using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

namespace {

k3::PutObjectOptions PutOptions(const char* content_type) {
  k3::PutObjectOptions options;
  if (content_type != nullptr) options.content_type = content_type;
  return options;
}

// Hands a put's result to the C caller: the ETag into *out_etag when wanted.
int FinishPut(const k3::Result<k3::ObjectInfo>& info, char** out_etag, char** errmsg) {
  if (!info.ok()) return Fail(info.status(), errmsg);
  if (out_etag != nullptr) {
    *out_etag = CopyString(info->etag);
    if (*out_etag == nullptr) return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
  }
  return Ok(errmsg);
}

// Hands a get's body to the C caller as a malloc'ed buffer with a trailing NUL.
int FinishGet(const k3::Result<k3::GetObjectResult>& got, void** out_data, size_t* out_len,
              char** errmsg) {
  if (!got.ok()) return Fail(got.status(), errmsg);
  const std::string& body = got->body;
  char* data = static_cast<char*>(std::malloc(body.size() + 1));
  if (data == nullptr) return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
  if (!body.empty()) std::memcpy(data, body.data(), body.size());
  data[body.size()] = '\0';
  *out_data = data;
  *out_len = body.size();
  return Ok(errmsg);
}

}  // namespace

extern "C" {

int k3_put_object(k3_db* db, const char* bucket, const char* key, const void* data, size_t len,
                  const char* content_type, char** out_etag, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_etag != nullptr) *out_etag = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    if (data == nullptr && len > 0) return k3::capi::NullArgument("data", errmsg);
    std::string_view bytes =
        len > 0 ? std::string_view(static_cast<const char*>(data), len) : std::string_view();
    return FinishPut(db->db.storage().put_object(bucket, key, bytes, PutOptions(content_type)),
                     out_etag, errmsg);
  });
}

int k3_put_object_stream(k3_db* db, const char* bucket, const char* key, k3_read_fn read,
                         void* user, const char* content_type, char** out_etag, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_etag != nullptr) *out_etag = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    K3_CAPI_REQUIRE(read, errmsg);
    k3::ObjectReader reader = [read, user](char* buffer, size_t capacity) -> k3::Result<size_t> {
      int64_t n = read(user, buffer, capacity);
      if (n < 0) {
        return k3::Aborted("read callback failed (returned " + std::to_string(n) + ")");
      }
      return static_cast<size_t>(n);  // more than capacity is refused by the store
    };
    return FinishPut(
        db->db.storage().put_object_stream(bucket, key, reader, PutOptions(content_type)), out_etag,
        errmsg);
  });
}

int k3_get_object(k3_db* db, const char* bucket, const char* key, void** out_data, size_t* out_len,
                  char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_data, errmsg);
    *out_data = nullptr;
    K3_CAPI_REQUIRE(out_len, errmsg);
    *out_len = 0;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    return FinishGet(db->db.storage().get_object(bucket, key), out_data, out_len, errmsg);
  });
}

int k3_get_object_range(k3_db* db, const char* bucket, const char* key, uint64_t first,
                        uint64_t last_inclusive, void** out_data, size_t* out_len, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_data, errmsg);
    *out_data = nullptr;
    K3_CAPI_REQUIRE(out_len, errmsg);
    *out_len = 0;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    k3::GetObjectOptions options;
    k3::ByteRange range;
    range.first = first;
    range.last = last_inclusive;
    options.range = range;
    return FinishGet(db->db.storage().get_object(bucket, key, options), out_data, out_len, errmsg);
  });
}

int k3_get_object_stream(k3_db* db, const char* bucket, const char* key, k3_write_fn write,
                         void* user, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    K3_CAPI_REQUIRE(write, errmsg);
    k3::ObjectWriter writer = [write, user](std::string_view bytes) -> k3::Status {
      int rc = write(user, bytes.data(), bytes.size());
      if (rc != 0) {
        return k3::Cancelled("write callback stopped the read (returned " + std::to_string(rc) +
                             ")");
      }
      return k3::Status();
    };
    k3::Result<k3::GetObjectResult> got = db->db.storage().get_object_stream(bucket, key, writer);
    if (!got.ok()) return Fail(got.status(), errmsg);
    return Ok(errmsg);
  });
}

int k3_delete_object(k3_db* db, const char* bucket, const char* key, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(key, errmsg);
    k3::Status status = db->db.storage().delete_object(bucket, key);
    if (!status.ok()) return Fail(status, errmsg);
    return Ok(errmsg);
  });
}

}  // extern "C"
