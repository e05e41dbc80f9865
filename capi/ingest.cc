// capi/ingest.cc: waits for ingest from C — k3_wait_job and k3_wait_idle — translated to
// k3::IngestService::wait and wait_idle. The job travels as JSON text (k3/json.h).
#include <cstdint>
#include <string>

#include "capi_util.h"
#include "k3/db.h"
#include "k3/ingest.h"
#include "k3/json.h"
#include "k3/k3.h"
#include "k3/status.h"

using k3::capi::CopyString;
using k3::capi::Fail;
using k3::capi::Guard;
using k3::capi::Ok;

namespace {

// The K3_JOB_* value of a job's status named in a DEADLINE_EXCEEDED message, found by asking
// for the job again (the wait's error carries only text). 0 when it cannot be read.
int CurrentStatus(k3_db* db, const char* bucket, const char* job_id) {
  k3::Result<k3::IngestJob> job = db->db.ingest().get_job(bucket, job_id);
  return job.ok() ? static_cast<int>(job->status) : 0;
}

}  // namespace

extern "C" {

int k3_wait_job(k3_db* db, const char* bucket, const char* job_id, int64_t timeout_ms,
                int* out_job_status, char** out_job_json, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    if (out_job_status != nullptr) *out_job_status = 0;
    if (out_job_json != nullptr) *out_job_json = nullptr;
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    K3_CAPI_REQUIRE(job_id, errmsg);
    k3::Result<k3::IngestJob> job = db->db.ingest().wait(bucket, job_id, timeout_ms);
    if (!job.ok()) {
      if (out_job_status != nullptr && job.status().code() == k3::StatusCode::kDeadlineExceeded) {
        *out_job_status = CurrentStatus(db, bucket, job_id);
      }
      return Fail(job.status(), errmsg);
    }
    if (out_job_json != nullptr) {
      *out_job_json = CopyString(k3::IngestJobToJson(*job));
      if (*out_job_json == nullptr) return Fail(K3_RESOURCE_EXHAUSTED, "out of memory", errmsg);
    }
    if (out_job_status != nullptr) *out_job_status = static_cast<int>(job->status);
    return Ok(errmsg);
  });
}

int k3_wait_idle(k3_db* db, const char* bucket, int64_t timeout_ms, char** errmsg) {
  return Guard(errmsg, [&]() -> int {
    K3_CAPI_REQUIRE(db, errmsg);
    K3_CAPI_REQUIRE(bucket, errmsg);
    k3::Status status = db->db.ingest().wait_idle(bucket, timeout_ms);
    if (!status.ok()) return Fail(status, errmsg);
    return Ok(errmsg);
  });
}

}  // extern "C"
