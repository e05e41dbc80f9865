// The K3 JSON form of IngestService's types: see ingest_json.h.
#include "wire/ingest_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "wire/pipelines_json.h"

namespace k3::wire {

// ---- Rules ----

Json ToJson(const RuleBinding& v) {
  return Json{
      {"pipelineName", v.pipeline_name},
      {"pipelineKind", std::string(PipelineKindWire(v.pipeline_kind))},
      {"destination", v.destination},
  };
}

Json ToJson(const IngestRule& v) {
  return Json{
      {"ruleId", v.rule_id},
      {"bucket", v.bucket},
      {"sourceId", v.source_id},
      {"pipelineId", v.pipeline_id},
      {"name", v.name},
      {"description", v.description},
      {"includePatterns", StringListJson(v.include_patterns)},
      {"excludePatterns", StringListJson(v.exclude_patterns)},
      {"includeMimeTypes", StringListJson(v.include_mime_types)},
      {"excludeMimeTypes", StringListJson(v.exclude_mime_types)},
      {"minSizeBytes", Uint64Json(v.min_size_bytes)},
      {"maxSizeBytes", Uint64Json(v.max_size_bytes)},
      {"enabled", v.enabled},
      {"priority", v.priority},
      {"binding", ToJson(v.binding)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
  };
}

Status FromJson(const Json& j, IngestRule* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("ruleId", &out->rule_id));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("pipelineId", &out->pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("includePatterns", &out->include_patterns));
  K3_RETURN_IF_ERROR(f.Get("excludePatterns", &out->exclude_patterns));
  K3_RETURN_IF_ERROR(f.Get("includeMimeTypes", &out->include_mime_types));
  K3_RETURN_IF_ERROR(f.Get("excludeMimeTypes", &out->exclude_mime_types));
  K3_RETURN_IF_ERROR(f.Get("minSizeBytes", &out->min_size_bytes));
  K3_RETURN_IF_ERROR(f.Get("maxSizeBytes", &out->max_size_bytes));
  K3_RETURN_IF_ERROR(f.Get("enabled", &out->enabled));
  K3_RETURN_IF_ERROR(f.Get("priority", &out->priority));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  return f.Get("updatedAt", &out->updated_at);
}

Status FromJson(const Json& j, ListRulesRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("pipelineId", &out->pipeline_id));
  int32_t page_size = out->page_size;
  K3_RETURN_IF_ERROR(f.Get("pageSize", &page_size));
  out->page_size = page_size;
  return f.Get("pageToken", &out->page_token);
}

Json ToJson(const ListRulesResponse& v) {
  Json rules = Json::array();
  for (const IngestRule& r : v.rules) rules.push_back(ToJson(r));
  return Json{{"rules", std::move(rules)}, {"pagination", PaginationJson(v.pagination)}};
}

Status FromJson(const Json& j, UpdateRuleRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("ruleId", &out->rule_id));
  K3_RETURN_IF_ERROR(f.Get("pipelineId", &out->pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("includePatterns", &out->include_patterns));
  K3_RETURN_IF_ERROR(f.Get("excludePatterns", &out->exclude_patterns));
  K3_RETURN_IF_ERROR(f.Get("includeMimeTypes", &out->include_mime_types));
  K3_RETURN_IF_ERROR(f.Get("excludeMimeTypes", &out->exclude_mime_types));
  K3_RETURN_IF_ERROR(f.Get("minSizeBytes", &out->min_size_bytes));
  K3_RETURN_IF_ERROR(f.Get("maxSizeBytes", &out->max_size_bytes));
  K3_RETURN_IF_ERROR(f.Get("enabled", &out->enabled));
  return f.Get("priority", &out->priority);
}

// ---- Jobs ----

Json ToJson(const ObjectRef& v) { return Json{{"bucket", v.bucket}, {"key", v.key}}; }

Status FromJson(const Json& j, ObjectRef* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  return f.Get("key", &out->key);
}

Json ToJson(const IngestJob& v) {
  return Json{
      {"jobId", v.job_id},
      {"object", ToJson(v.object)},
      {"etag", v.etag},
      {"objectSize", Uint64Json(v.object_size)},
      {"status", EnumJson(kIngestStatusEnum, v.status)},
      {"pipelineId", v.pipeline_id},
      {"pipelineName", v.pipeline_name},
      {"pipelineKind", std::string(PipelineKindWire(v.pipeline_kind))},
      {"ruleId", v.rule_id},
      {"options", StringMapJson(v.options)},
      // Numbers, as in K3's docs.
      {"chunksCreated", v.chunks_created},
      {"embeddingsCreated", v.embeddings_created},
      {"rowsWritten", v.rows_written},
      {"batchesReceived", v.batches_received},
      {"embeddingsWritten", v.embeddings_written},
      {"outputSize", v.output_size},
      {"rowsSkipped", v.rows_skipped},
      {"vectorStatus", v.vector_status},
      {"threadId", v.thread_id},
      {"errorMessage", v.error_message},
      {"attempts", v.attempts},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"startedAt", Int64Json(v.started_at)},
      {"finishedAt", Int64Json(v.finished_at)},
  };
}

Status FromJson(const Json& j, TriggerIngestRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  std::optional<Fields> object;
  K3_RETURN_IF_ERROR(f.GetObject("object", &object));
  if (object) K3_RETURN_IF_ERROR(FromJson(object->json(), &out->object, object->path()));
  // The route's path parameters (or a flat request): only where the object left a gap.
  if (out->object.bucket.empty()) K3_RETURN_IF_ERROR(f.Get("bucket", &out->object.bucket));
  if (out->object.key.empty()) K3_RETURN_IF_ERROR(f.Get("key", &out->object.key));
  K3_RETURN_IF_ERROR(f.Get("pipelineId", &out->pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("ruleId", &out->rule_id));
  return ParseOptions(f, "options", &out->options);
}

Status FromJson(const Json& j, ListIngestJobsRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  std::string key;
  if (const Json* v = f.Find("statusFilter", &key)) {
    // "" (an empty query parameter) is no filter, like UNSPECIFIED.
    if (!(v->is_string() && v->get_ref<const std::string&>().empty())) {
      int value = 0;
      K3_RETURN_IF_ERROR(ParseEnum(*v, kIngestStatusEnum, JoinPath(f.path(), key), &value));
      if (value == static_cast<int>(IngestStatus::kUnspecified)) {
        out->status_filter.reset();
      } else {
        out->status_filter = static_cast<IngestStatus>(value);
      }
    }
  }
  K3_RETURN_IF_ERROR(f.Get("pipelineId", &out->pipeline_id));
  K3_RETURN_IF_ERROR(f.Get("ruleId", &out->rule_id));
  int32_t page_size = out->page_size;
  K3_RETURN_IF_ERROR(f.Get("pageSize", &page_size));
  out->page_size = page_size;
  return f.Get("pageToken", &out->page_token);
}

Json ToJson(const ListIngestJobsResponse& v) {
  Json jobs = Json::array();
  for (const IngestJob& job : v.jobs) jobs.push_back(ToJson(job));
  return Json{{"jobs", std::move(jobs)}, {"pagination", PaginationJson(v.pagination)}};
}

Json ToJson(const IngestActivity& v) {
  return Json{
      {"undispatchedEvents", Uint64Json(v.undispatched_events)},
      {"pending", Uint64Json(v.pending)},
      {"processing", Uint64Json(v.processing)},
  };
}

Json ToJson(const IngestMetrics& v) {
  Json bounds = Json::array();
  for (int64_t b : IngestMetrics::kLatencyBucketsMs) bounds.push_back(Int64Json(b));
  bounds.push_back("+Inf");
  Json counts = Json::array();
  for (uint64_t c : v.latency_bucket_counts) counts.push_back(Uint64Json(c));
  return Json{
      {"jobsCreated", Uint64Json(v.jobs_created)},
      {"jobsCompleted", Uint64Json(v.jobs_completed)},
      {"jobsFailed", Uint64Json(v.jobs_failed)},
      {"jobsCancelled", Uint64Json(v.jobs_cancelled)},
      {"jobRetries", Uint64Json(v.job_retries)},
      {"queueDepth", Uint64Json(v.queue_depth)},
      {"jobsProcessing", Uint64Json(v.jobs_processing)},
      {"objectsIngested", Uint64Json(v.objects_ingested)},
      {"bytesIngested", Uint64Json(v.bytes_ingested)},
      {"eventsDispatched", Uint64Json(v.events_dispatched)},
      {"latencyBucketsMs", std::move(bounds)},
      {"latencyBucketCounts", std::move(counts)},
      {"latencyCount", Uint64Json(v.latency_count)},
      {"latencySumMs", Uint64Json(v.latency_sum_ms)},
  };
}

// ---- Sync ----

Status FromJson(const Json& j, TriggerDiscoveryRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("fullSync", &out->full_sync));
  return f.Get("ruleId", &out->rule_id);
}

Status FromJson(const Json& j, TriggerIngestionRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("ruleId", &out->rule_id));
  K3_RETURN_IF_ERROR(f.Get("retryFailed", &out->retry_failed));
  K3_RETURN_IF_ERROR(f.Get("fullSync", &out->full_sync));
  return f.Get("sourceObjectId", &out->source_object_id);
}

Json ToJson(const SyncTriggerResponse& v) {
  return Json{
      {"jobId", v.job_id},
      {"accepted", v.accepted},
      {"message", v.message},
      {"jobsCreated", Uint64Json(v.jobs_created)},
  };
}

Json ToJson(const SyncStatus& v) {
  return Json{
      {"bucket", v.bucket},
      {"sourceId", v.source_id},
      {"discovered", Uint64Json(v.discovered)},
      {"pending", Uint64Json(v.pending)},
      {"ingested", Uint64Json(v.ingested)},
      {"failed", Uint64Json(v.failed)},
      {"lastDiscoveryAt", Int64Json(v.last_discovery_at)},
      {"lastIngestionAt", Int64Json(v.last_ingestion_at)},
      {"lastSyncId", v.last_sync_id},
  };
}

}  // namespace k3::wire
