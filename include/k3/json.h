// k3/json.h: K3's JSON wire form for the few values that travel as JSON text next to typed
// data — a vector's metadata, a vector filter, SQL parameters and an ingest job — in exactly
// the forms Db::call reads and writes (so a document that works in a request works here).
// The C ABI (k3.h) uses these for its typed calls; C++ hosts may use them to move such values
// through text.
//
// Thread-safety: free functions on values; safe to call from any thread.
#ifndef K3_JSON_H_
#define K3_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "k3/export.h"
#include "k3/ingest.h"
#include "k3/status.h"
#include "k3/tables.h"
#include "k3/vectors.h"

namespace k3 {

// A vector's metadata: a flat JSON object whose values are strings, numbers, bools or arrays
// of strings ({"lang": "en", "year": 2024, "tags": ["a", "b"]}). Empty or all-whitespace text
// is the empty object. INVALID_ARGUMENT for malformed JSON, a non-object, or a value of
// another type (nested objects, null, mixed arrays), naming the field.
K3_EXPORT Result<Metadata> ParseMetadataJson(std::string_view json);
// The compact JSON object of `metadata` (integral numbers print without a fraction).
K3_EXPORT std::string MetadataToJson(const Metadata& metadata);

// A vector filter: {"and": [F...]} | {"or": [F...]} | {"not": F} |
// {"field": "lang", "op": "eq", "value": "en"} (op: eq ne lt lte gt gte in nin prefix exists;
// in/nin take "values": [...]); see VectorFilter for the meaning of each op.
// INVALID_ARGUMENT for malformed JSON or a malformed filter, naming the part.
K3_EXPORT Result<VectorFilter> ParseVectorFilterJson(std::string_view json);

// SQL parameters for $1.. / ?: a JSON array whose elements are JSON scalars (null, true/false,
// an integer -> int64, a fraction -> double, a string -> text) or typed objects with exactly
// one key: {"int64": 1 | "1"}, {"double": 1.5}, {"text": "..."}, {"blob": "<base64>"},
// {"bool": true}, {"null": true}. INVALID_ARGUMENT for malformed JSON, a non-array (empty
// text included) or a bad element, naming it (params[2]).
K3_EXPORT Result<std::vector<Value>> ParseSqlParamsJson(std::string_view json);

// The compact JSON object of `job`, as in IngestService.GetIngestStatus's {"job": ...}: {jobId,
// object {bucket, key}, etag, objectSize, status ("INGEST_STATUS_COMPLETED", ...),
// pipelineId, pipelineName, pipelineKind, ruleId, options, the run counters (numbers),
// vectorStatus, threadId, errorMessage, attempts, createdAt, updatedAt, startedAt,
// finishedAt}; 64-bit values as decimal strings.
K3_EXPORT std::string IngestJobToJson(const IngestJob& job);

}  // namespace k3

#endif  // K3_JSON_H_
