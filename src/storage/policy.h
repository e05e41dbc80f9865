// storage/policy.h: shape validation of bucket policy documents and CORS configurations.
// Validation only: nothing here evaluates a policy or a CORS rule against a request.
// Thread-safety: pure functions of their arguments; callable from any thread.
#ifndef K3_STORAGE_POLICY_H_
#define K3_STORAGE_POLICY_H_

#include <cstddef>
#include <string_view>

#include "k3/status.h"
#include "k3/storage.h"

namespace k3::storage {

// The largest bucket policy document accepted, in bytes (S3's limit).
inline constexpr size_t kMaxBucketPolicyBytes = 20 * 1024;
// The number of rules a CORS configuration may hold.
inline constexpr size_t kMaxCorsRules = 100;

// Shape validation of an IAM-style bucket policy document (JSON, at most
// kMaxBucketPolicyBytes): a top-level object with
//   optional "Version": "2012-10-17" or "2008-10-17";
//   optional "Id": a string;
//   required "Statement": an object, or a non-empty array of objects, each with
//     optional "Sid": a string;
//     required "Effect": "Allow" or "Deny";
//     required "Principal": "*", or a non-empty object whose values are non-empty strings or
//       non-empty arrays of non-empty strings (e.g. {"AWS": ["arn:aws:iam::1:root"]});
//     required "Action": a string or a non-empty array of strings, each "*" or "s3:<name>"
//       (the "s3:" prefix matched case-insensitively, as IAM does);
//     required "Resource": a string or a non-empty array of strings, each "*" or
//       "arn:aws:s3:::<something>";
//     optional "Condition": an object mapping operators to objects whose values are
//       strings, numbers, booleans or arrays of them.
// Keys are case-sensitive and unknown keys are refused at both levels (NotPrincipal,
// NotAction and NotResource are not supported). Duplicate keys keep the last value.
// Returns OK, or INVALID_ARGUMENT whose message names the path of the first problem, e.g.
// "Statement[1].Effect must be \"Allow\" or \"Deny\"" ("Statement.Effect ..." when
// Statement is a single object). Checks run statement by statement; within an object,
// unknown keys are reported first, then the known keys in the order listed above.
k3::Status ValidateBucketPolicy(std::string_view policy_json);

// Validates a CORS configuration: 1..kMaxCorsRules rules, each with
//   allowed_origins non-empty, every origin non-empty with at most one '*';
//   allowed_methods non-empty, each one of GET PUT POST DELETE HEAD (exact, uppercase);
//   allowed_headers (may be empty) entries non-empty with at most one '*';
//   expose_headers (may be empty) entries non-empty and without '*';
//   max_age_seconds >= 0.
// Returns OK, or INVALID_ARGUMENT naming the first problem by its K3 JSON path, e.g.
// "corsRules[0].allowedMethods[1] must be one of GET, PUT, POST, DELETE, HEAD (got \"get\")".
k3::Status ValidateCors(const k3::CorsConfiguration& cors);

}  // namespace k3::storage

#endif  // K3_STORAGE_POLICY_H_
