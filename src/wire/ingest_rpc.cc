// IngestService's RPCs (K3's dodil.k3.ingest.v1) in the RPC table: rules, ingest jobs, source
// sync, plus ours (CancelIngestJob, WaitIngestJob, WaitIdle, GetIngestActivity,
// GetIngestMetrics). Request and response forms are those of wire/ingest_json.h.
#include <cstdint>
#include <optional>
#include <string>

#include "wire/ingest_json.h"
#include "wire/rpc_table.h"

namespace k3::wire {

namespace {

Status BucketAnd(const Fields& f, std::string_view id_field, std::string* bucket, std::string* id) {
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  return f.Get(id_field, id);
}

// ---- Rules ----

// {bucket, sourceId, pipelineId, name, ..., enabled (default true), priority} or
// {bucket, rule: {...}} -> {rule}
Result<Json> CreateRule(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  IngestRule rule;
  std::optional<Fields> nested;
  K3_RETURN_IF_ERROR(f.GetObject("rule", &nested));
  if (nested) {
    K3_RETURN_IF_ERROR(FromJson(nested->json(), &rule, nested->path()));
    if (rule.bucket.empty()) K3_RETURN_IF_ERROR(f.Get("bucket", &rule.bucket));
  } else {
    K3_RETURN_IF_ERROR(FromJson(req, &rule));
  }
  K3_ASSIGN_OR_RETURN(IngestRule created, db.ingest().create_rule(rule));
  return Json{{"rule", ToJson(created)}};
}

// {bucket, ruleId} -> {rule}
Result<Json> GetRule(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, rule_id;
  K3_RETURN_IF_ERROR(BucketAnd(f, "ruleId", &bucket, &rule_id));
  K3_ASSIGN_OR_RETURN(IngestRule rule, db.ingest().get_rule(bucket, rule_id));
  return Json{{"rule", ToJson(rule)}};
}

// {bucket, sourceId, pipelineId, pageSize, pageToken} -> {rules, pagination}
Result<Json> ListRules(Db& db, const Json& req) {
  ListRulesRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListRulesResponse out, db.ingest().list_rules(r));
  return ToJson(out);
}

// {bucket, ruleId, <present fields change>} or {bucket, ruleId, rule: {...}} -> {rule}
Result<Json> UpdateRule(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  UpdateRuleRequest r;
  std::optional<Fields> nested;
  K3_RETURN_IF_ERROR(f.GetObject("rule", &nested));
  if (nested) {
    K3_RETURN_IF_ERROR(FromJson(nested->json(), &r, nested->path()));
    std::string bucket, rule_id;
    K3_RETURN_IF_ERROR(BucketAnd(f, "ruleId", &bucket, &rule_id));
    if (!bucket.empty()) r.bucket = std::move(bucket);
    if (!rule_id.empty()) r.rule_id = std::move(rule_id);
  } else {
    K3_RETURN_IF_ERROR(FromJson(req, &r));
  }
  K3_ASSIGN_OR_RETURN(IngestRule rule, db.ingest().update_rule(r));
  return Json{{"rule", ToJson(rule)}};
}

// {bucket, ruleId} -> {}
Result<Json> DeleteRule(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, rule_id;
  K3_RETURN_IF_ERROR(BucketAnd(f, "ruleId", &bucket, &rule_id));
  K3_RETURN_IF_ERROR(db.ingest().delete_rule(bucket, rule_id));
  return EmptyResponse();
}

// ---- Jobs ----

// {object {bucket, key}, pipelineId?, ruleId?, options?} (a top-level bucket fills
// object.bucket) -> {job}
Result<Json> TriggerIngest(Db& db, const Json& req) {
  TriggerIngestRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(IngestJob job, db.ingest().trigger(r));
  return Json{{"job", ToJson(job)}};
}

// {bucket, jobId} -> {job}
Result<Json> GetIngestStatus(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, job_id;
  K3_RETURN_IF_ERROR(BucketAnd(f, "jobId", &bucket, &job_id));
  K3_ASSIGN_OR_RETURN(IngestJob job, db.ingest().get_job(bucket, job_id));
  return Json{{"job", ToJson(job)}};
}

// {bucket, statusFilter, pipelineId, ruleId, pageSize, pageToken} -> {jobs, pagination}
Result<Json> ListIngestJobs(Db& db, const Json& req) {
  ListIngestJobsRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListIngestJobsResponse out, db.ingest().list_jobs(r));
  return ToJson(out);
}

// Ours. {bucket, jobId} -> {job}
Result<Json> CancelIngestJob(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, job_id;
  K3_RETURN_IF_ERROR(BucketAnd(f, "jobId", &bucket, &job_id));
  K3_ASSIGN_OR_RETURN(IngestJob job, db.ingest().cancel_job(bucket, job_id));
  return Json{{"job", ToJson(job)}};
}

// Ours. {bucket, jobId, timeoutMs (absent or < 0: no deadline)} -> {job}, once the job is
// COMPLETED, FAILED or CANCELLED; DEADLINE_EXCEEDED on the deadline.
Result<Json> WaitIngestJob(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, job_id;
  int64_t timeout_ms = -1;
  K3_RETURN_IF_ERROR(BucketAnd(f, "jobId", &bucket, &job_id));
  K3_RETURN_IF_ERROR(f.Get("timeoutMs", &timeout_ms));
  K3_ASSIGN_OR_RETURN(IngestJob job, db.ingest().wait(bucket, job_id, timeout_ms));
  return Json{{"job", ToJson(job)}};
}

// Ours. {bucket, timeoutMs (absent or < 0: no deadline)} -> {}
Result<Json> WaitIdle(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  int64_t timeout_ms = -1;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_RETURN_IF_ERROR(f.Get("timeoutMs", &timeout_ms));
  K3_RETURN_IF_ERROR(db.ingest().wait_idle(bucket, timeout_ms));
  return EmptyResponse();
}

// Ours. {bucket} -> {undispatchedEvents, pending, processing}
Result<Json> GetIngestActivity(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(IngestActivity activity, db.ingest().activity(bucket));
  return ToJson(activity);
}

// Ours. {} -> IngestMetrics
Result<Json> GetIngestMetrics(Db& db, const Json&) { return ToJson(db.ingest().metrics()); }

// ---- Sync ----

// {bucket, sourceId, fullSync, ruleId} -> {jobId, accepted, message, jobsCreated}
Result<Json> TriggerDiscovery(Db& db, const Json& req) {
  TriggerDiscoveryRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(SyncTriggerResponse out, db.ingest().trigger_discovery(r));
  return ToJson(out);
}

// {bucket, sourceId, ruleId, retryFailed, fullSync, sourceObjectId}
// -> {jobId, accepted, message, jobsCreated}
Result<Json> TriggerIngestion(Db& db, const Json& req) {
  TriggerIngestionRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(SyncTriggerResponse out, db.ingest().trigger_ingestion(r));
  return ToJson(out);
}

// {bucket, sourceId} -> SyncStatus
Result<Json> GetSyncStatus(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, source_id;
  K3_RETURN_IF_ERROR(BucketAnd(f, "sourceId", &bucket, &source_id));
  K3_ASSIGN_OR_RETURN(SyncStatus status, db.ingest().get_sync_status(bucket, source_id));
  return ToJson(status);
}

}  // namespace

void RegisterIngestRpcs(RpcTable& table) {
  constexpr std::string_view kService = "IngestService";
  table.Add(kService, "CreateRule", &CreateRule);
  table.Add(kService, "GetRule", &GetRule);
  table.Add(kService, "ListRules", &ListRules);
  table.Add(kService, "UpdateRule", &UpdateRule);
  table.Add(kService, "DeleteRule", &DeleteRule);
  table.Add(kService, "TriggerIngest", &TriggerIngest);
  table.Add(kService, "GetIngestStatus", &GetIngestStatus);
  table.Add(kService, "ListIngestJobs", &ListIngestJobs);
  table.Add(kService, "CancelIngestJob", &CancelIngestJob);
  table.Add(kService, "WaitIngestJob", &WaitIngestJob);
  table.Add(kService, "WaitIdle", &WaitIdle);
  table.Add(kService, "GetIngestActivity", &GetIngestActivity);
  table.Add(kService, "GetIngestMetrics", &GetIngestMetrics);
  table.Add(kService, "TriggerDiscovery", &TriggerDiscovery);
  table.Add(kService, "TriggerIngestion", &TriggerIngestion);
  table.Add(kService, "GetSyncStatus", &GetSyncStatus);
}

}  // namespace k3::wire
