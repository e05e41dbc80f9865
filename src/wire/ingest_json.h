// wire/ingest_json.h: the K3 JSON form of IngestService's types (k3/ingest.h), following the
// conventions of wire/json_util.h (see wire/storage_json.h for the contract of ToJson /
// FromJson): ToJson emits every field, camelCase, 64-bit integers as decimal strings, enums by
// wire name; FromJson reads camelCase or snake_case, leaves absent fields as they are in *out
// (initialise *out with the defaults first) and answers INVALID_ARGUMENT naming the field, with
// `path` as its prefix, for a wrong-typed one.
//
// One deliberate exception: the run counters of an IngestJob (chunksCreated, rowsWritten, ...)
// and its attempts travel as JSON numbers, as in K3's docs ("chunksCreated": 47).
// Thread-safety: free functions on values.
#ifndef K3_WIRE_INGEST_JSON_H_
#define K3_WIRE_INGEST_JSON_H_

#include <string_view>

#include "k3/ingest.h"
#include "wire/json_util.h"

namespace k3::wire {

// INGEST_STATUS_*; short forms ("pending", "completed", ...) accepted on input.
inline constexpr EnumName kIngestStatusNames[] = {
    {static_cast<int>(IngestStatus::kUnspecified), "INGEST_STATUS_UNSPECIFIED"},
    {static_cast<int>(IngestStatus::kPending), "INGEST_STATUS_PENDING"},
    {static_cast<int>(IngestStatus::kProcessing), "INGEST_STATUS_PROCESSING"},
    {static_cast<int>(IngestStatus::kCompleted), "INGEST_STATUS_COMPLETED"},
    {static_cast<int>(IngestStatus::kFailed), "INGEST_STATUS_FAILED"},
    {static_cast<int>(IngestStatus::kCancelled), "INGEST_STATUS_CANCELLED"},
};
inline constexpr EnumInfo kIngestStatusEnum{"INGEST_STATUS_", kIngestStatusNames};

// ---- Rules ----

// {pipelineName, pipelineKind ("vector" | "warehouse" | ""), destination}
Json ToJson(const RuleBinding& v);
// {ruleId, bucket, sourceId, pipelineId, name, description, includePatterns, excludePatterns,
//  includeMimeTypes, excludeMimeTypes, minSizeBytes, maxSizeBytes, enabled, priority, binding,
//  createdAt, updatedAt}; minSizeBytes/maxSizeBytes/createdAt/updatedAt as strings, priority a
// number.
Json ToJson(const IngestRule& v);
// The same fields; `binding` is derived and ignored on input. `enabled` keeps *out's value
// when absent (IngestRule's default is true).
Status FromJson(const Json& j, IngestRule* out, std::string_view path = {});
// {bucket, sourceId, pipelineId, pageSize, pageToken}
Status FromJson(const Json& j, ListRulesRequest* out, std::string_view path = {});
// {rules, pagination}
Json ToJson(const ListRulesResponse& v);
// PATCH: {bucket, ruleId, <fields>}; a field present (not null) sets its optional, an empty
// list clears the list; absent fields stay nullopt.
Status FromJson(const Json& j, UpdateRuleRequest* out, std::string_view path = {});

// ---- Jobs ----

// {bucket, key}
Json ToJson(const ObjectRef& v);
Status FromJson(const Json& j, ObjectRef* out, std::string_view path = {});
// {jobId, object, etag, objectSize, status, pipelineId, pipelineName, pipelineKind, ruleId,
//  options, chunksCreated, embeddingsCreated, rowsWritten, batchesReceived, embeddingsWritten,
//  outputSize, rowsSkipped, vectorStatus, threadId, errorMessage, attempts, createdAt,
//  updatedAt, startedAt, finishedAt}. Counters and attempts are numbers; objectSize and the
// times strings.
Json ToJson(const IngestJob& v);
// {object {bucket, key}, pipelineId, ruleId, options}. A top-level "bucket" (and "key") fill
// object.bucket (object.key) when the object does not give them, so an HTTP route's path
// parameters work. Option values may be strings, integers or booleans.
Status FromJson(const Json& j, TriggerIngestRequest* out, std::string_view path = {});
// {bucket, statusFilter, pipelineId, ruleId, pageSize, pageToken}. statusFilter is a wire name
// or short form; "" and INGEST_STATUS_UNSPECIFIED mean no filter; anything else is
// INVALID_ARGUMENT naming statusFilter.
Status FromJson(const Json& j, ListIngestJobsRequest* out, std::string_view path = {});
// {jobs, pagination}
Json ToJson(const ListIngestJobsResponse& v);
// {undispatchedEvents, pending, processing} as strings.
Json ToJson(const IngestActivity& v);
// {jobsCreated, jobsCompleted, jobsFailed, jobsCancelled, jobRetries, queueDepth,
//  jobsProcessing, objectsIngested, bytesIngested, eventsDispatched, latencyBucketsMs,
//  latencyBucketCounts, latencyCount, latencySumMs}, all as strings. latencyBucketsMs lists
// the upper bounds of IngestMetrics::kLatencyBucketsMs and then "+Inf", so that it is as long
// as latencyBucketCounts (cumulative counts, one per bound).
Json ToJson(const IngestMetrics& v);

// ---- Sync ----

// {bucket, sourceId, fullSync, ruleId}
Status FromJson(const Json& j, TriggerDiscoveryRequest* out, std::string_view path = {});
// {bucket, sourceId, ruleId, retryFailed, fullSync, sourceObjectId}
Status FromJson(const Json& j, TriggerIngestionRequest* out, std::string_view path = {});
// {jobId, accepted, message, jobsCreated (string)}
Json ToJson(const SyncTriggerResponse& v);
// {bucket, sourceId, discovered, pending, ingested, failed, lastDiscoveryAt, lastIngestionAt,
//  lastSyncId}; counts and times as strings.
Json ToJson(const SyncStatus& v);

}  // namespace k3::wire

#endif  // K3_WIRE_INGEST_JSON_H_
