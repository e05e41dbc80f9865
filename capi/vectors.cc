// capi/vectors.cc: the typed vector data plane of k3.h — k3_upsert_vectors, k3_search_vector,
// k3_search_text and the k3_hits accessors — translated to k3::VectorService (upsert_vectors,
// search). Metadata and filters travel as JSON text in the forms of k3/json.h.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/json.h"
#include "k3/k3.h"
#include "k3/status.h"
#include "k3/vectors.h"

using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

// One search's hits, with each hit's metadata already printed as JSON so that the accessors
// only read (the handle is immutable, hence readable from several threads).
struct k3_hits {
  std::vector<k3::SearchHit> hits;
  std::vector<std::string> metadata_json;  // one per hit
};

namespace {

// "vectors[i]": how a vector of the batch is named in messages, as the service names it.
std::string VectorPath(size_t i) { return "vectors[" + std::to_string(i) + "]"; }

// Runs `request` and hands its first result list to the C caller as a k3_hits.
int FinishSearch(k3_db* db, k3::SearchRequest& request, const char* filter_json, k3_hits** out_hits,
                 char** errmsg) {
  if (filter_json != nullptr) {
    k3::Result<k3::VectorFilter> filter = k3::ParseVectorFilterJson(filter_json);
    if (!filter.ok()) return Fail(filter.status(), errmsg);
    request.filter = std::move(filter).value();
  }
  request.include_content = true;
  k3::Result<k3::SearchResponse> response = db->db.vectors().search(request);
  if (!response.ok()) return Fail(response.status(), errmsg);
  auto hits = std::make_unique<k3_hits>();
  if (!response->results.empty()) hits->hits = std::move(response.value().results[0]);
  hits->metadata_json.reserve(hits->hits.size());
  for (const k3::SearchHit& hit : hits->hits) {
    hits->metadata_json.push_back(k3::MetadataToJson(hit.metadata));
  }
  *out_hits = hits.release();
  return Ok(errmsg);
}

// Hands a string owned by the hits to the caller.
int Give(const std::string& s, const char** out, size_t* out_len) {
  *out = s.c_str();
  if (out_len != nullptr) *out_len = s.size();
  return K3_OK;
}

// Checks the arguments every string accessor shares and clears its outputs; K3_OK to go on.
int CheckAccess(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  if (out_len != nullptr) *out_len = 0;
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = nullptr;
  if (hits == nullptr) return K3_INVALID_ARGUMENT;
  if (index >= hits->hits.size()) return K3_OUT_OF_RANGE;
  return K3_OK;
}

}  // namespace

extern "C" {

int k3_upsert_vectors(k3_db* db, const char* bucket, const char* collection, size_t count,
                      const char* const* ids, const float* values, size_t dims,
                      const char* const* metadata_json, const char* const* texts,
                      uint64_t* out_written, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_written != nullptr) *out_written = 0;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(collection, errmsg);
    if (count > 0) {
      K3_CAPI_REQUIRE(ids, errmsg);
      K3_CAPI_REQUIRE(values, errmsg);
      if (dims == 0) return Fail(K3_INVALID_ARGUMENT, "dims must be at least 1", errmsg);
      if (dims > SIZE_MAX / count) {
        return Fail(K3_INVALID_ARGUMENT, "count * dims overflows the address space", errmsg);
      }
    }
    k3::WriteVectorsRequest request;
    request.bucket = bucket;
    request.collection = collection;
    request.vectors.resize(count);
    for (size_t i = 0; i < count; ++i) {
      k3::VectorRecord& record = request.vectors[i];
      if (ids[i] == nullptr) {
        return Fail(K3_INVALID_ARGUMENT, "ids[" + std::to_string(i) + "] is NULL", errmsg);
      }
      record.id = ids[i];
      record.values.assign(values + i * dims, values + (i + 1) * dims);
      if (metadata_json != nullptr && metadata_json[i] != nullptr) {
        k3::Result<k3::Metadata> metadata = k3::ParseMetadataJson(metadata_json[i]);
        if (!metadata.ok()) {
          return Fail(static_cast<int>(metadata.status().code()),
                      VectorPath(i) + ": " + std::string(metadata.status().message()), errmsg);
        }
        record.metadata = std::move(metadata).value();
      }
      if (texts != nullptr && texts[i] != nullptr) record.text = texts[i];
    }
    if (count == 0) return Ok(errmsg);
    k3::Result<k3::WriteVectorsResponse> written = db->db.vectors().upsert_vectors(request);
    if (!written.ok()) return Fail(written.status(), errmsg);
    if (out_written != nullptr) *out_written = written->written;
    return Ok(errmsg);
  });
}

int k3_search_vector(k3_db* db, const char* bucket, const char* collection, const float* query,
                     size_t dims, int top_k, const char* filter_json, k3_hits** out_hits,
                     char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_hits, errmsg);
    *out_hits = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(query, errmsg);
    if (dims == 0) return Fail(K3_INVALID_ARGUMENT, "dims must be at least 1", errmsg);
    k3::SearchRequest request;
    request.bucket = bucket;
    if (collection != nullptr) request.collection = collection;
    request.vectors.emplace_back(query, query + dims);
    request.top_k = top_k;
    return FinishSearch(db, request, filter_json, out_hits, errmsg);
  });
}

int k3_search_text(k3_db* db, const char* bucket, const char* collection, const char* text,
                   size_t text_len, int top_k, const char* filter_json, k3_hits** out_hits,
                   char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(out_hits, errmsg);
    *out_hits = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(text, errmsg);
    k3::SearchRequest request;
    request.bucket = bucket;
    if (collection != nullptr) request.collection = collection;
    request.text.assign(text, text_len);
    request.top_k = top_k;
    return FinishSearch(db, request, filter_json, out_hits, errmsg);
  });
}

size_t k3_hits_count(const k3_hits* hits) { return hits == nullptr ? 0 : hits->hits.size(); }

int k3_hits_id(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  int rc = CheckAccess(hits, index, out, out_len);
  return rc != K3_OK ? rc : Give(hits->hits[index].id, out, out_len);
}

int k3_hits_collection(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  int rc = CheckAccess(hits, index, out, out_len);
  return rc != K3_OK ? rc : Give(hits->hits[index].collection, out, out_len);
}

int k3_hits_score(const k3_hits* hits, size_t index, float* out) {
  if (out == nullptr) return K3_INVALID_ARGUMENT;
  *out = 0;
  if (hits == nullptr) return K3_INVALID_ARGUMENT;
  if (index >= hits->hits.size()) return K3_OUT_OF_RANGE;
  *out = hits->hits[index].score;
  return K3_OK;
}

int k3_hits_object_key(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  int rc = CheckAccess(hits, index, out, out_len);
  return rc != K3_OK ? rc : Give(hits->hits[index].object_key, out, out_len);
}

int k3_hits_text(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  int rc = CheckAccess(hits, index, out, out_len);
  if (rc != K3_OK) return rc;
  const std::optional<std::string>& text = hits->hits[index].text;
  return text ? Give(*text, out, out_len) : K3_OK;
}

int k3_hits_metadata_json(const k3_hits* hits, size_t index, const char** out, size_t* out_len) {
  int rc = CheckAccess(hits, index, out, out_len);
  return rc != K3_OK ? rc : Give(hits->metadata_json[index], out, out_len);
}

void k3_hits_destroy(k3_hits** hits) {
  if (hits == nullptr) return;
  delete *hits;
  *hits = nullptr;
}

}  // extern "C"
