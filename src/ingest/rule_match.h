// ingest/rule_match.h: deciding which ingest rules an object matches, and in which order the
// dispatcher tries rules (DESIGN.md, "How an object becomes vectors and rows", step 2).
//
// A rule matches on three axes: the object key (globs, see ingest/glob.h), the content type
// (MIME patterns) and the size. AND across axes, OR within an axis, and on every axis an exclude
// wins over an include. An empty include list means "any" on that axis.
//
// Thread-safety: free functions without shared state, and CompiledCriteria is immutable after
// Compile; all may be called from any thread.
#ifndef K3_INGEST_RULE_MATCH_H_
#define K3_INGEST_RULE_MATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/glob.h"
#include "k3/status.h"

namespace k3::ingest {

// What a rule matches on (the matching axes of an IngestRule).
struct RuleCriteria {
  std::vector<std::string> include_patterns;    // globs over the object key; empty = every key
  std::vector<std::string> exclude_patterns;    // a key matching any is excluded (wins)
  std::vector<std::string> include_mime_types;  // "text/*", "application/pdf", "*/*"; empty = any
  std::vector<std::string> exclude_mime_types;  // a content type matching any is excluded (wins)
  uint64_t min_size_bytes = 0;                  // inclusive; 0 = no lower bound
  uint64_t max_size_bytes = 0;                  // inclusive; 0 = no limit
};

// What matching looks at in an object.
struct ObjectFacts {
  std::string key;
  std::string content_type;  // as stored, parameters allowed; empty = application/octet-stream
  uint64_t size = 0;
};

// OK, or INVALID_ARGUMENT whose message starts with the wire field name and index:
//   "includePatterns[2]: unclosed '[' at byte 4"   (any refusal of Glob::Compile)
//   "excludeMimeTypes[0]: \"text\" is not type/subtype, type/* or */*"
//   "minSizeBytes: 10 is greater than maxSizeBytes 5"  (only when max_size_bytes != 0)
// A MIME pattern is type/subtype, type/* or */* where type and subtype are RFC 6838 names
// (letters, digits and !#$&-^_.+); no spaces and no parameters. Letters may be of either case.
Status ValidateCriteria(const RuleCriteria& c);

// The content type matching compares: `content_type` without parameters (cut at ';'), trimmed
// of spaces and tabs, ASCII-lowercased; "application/octet-stream" when that leaves nothing.
std::string NormalizeContentType(std::string_view content_type);

// True when `o` matches every axis of `c`:
//   key:  matches no exclude pattern, and some include pattern (or there are none);
//   mime: the normalized content type matches no exclude MIME pattern, and some include one
//         (or there are none). "*/*" matches every content type, "type/*" those of that type
//         (a content type without '/' matches only "*/*"), "type/subtype" exactly;
//         case-insensitive;
//   size: min_size_bytes <= size, and size <= max_size_bytes unless that is 0.
// Requires ValidateCriteria(c).ok(); when it is not, returns false (fails closed).
// Compiles the patterns on every call: callers matching many objects use CompiledCriteria.
bool Matches(const RuleCriteria& c, const ObjectFacts& o);

// RuleCriteria with the globs compiled and the MIME patterns lowercased, for matching many
// objects against one rule. Same semantics as Matches().
class CompiledCriteria {
 public:
  // The ValidateCriteria(c) error when c is invalid.
  static Result<CompiledCriteria> Compile(const RuleCriteria& c);
  bool Matches(const ObjectFacts& o) const;

 private:
  CompiledCriteria() = default;

  std::vector<Glob> include_patterns_;
  std::vector<Glob> exclude_patterns_;
  std::vector<std::string> include_mime_types_;  // lowercased
  std::vector<std::string> exclude_mime_types_;  // lowercased
  uint64_t min_size_bytes_ = 0;
  uint64_t max_size_bytes_ = 0;
};

// The ordering facts of one rule.
struct RankedRule {
  std::string rule_id;  // time-ordered ("rule_01J..."): a smaller id is an older rule
  int32_t priority = 0;
  bool enabled = true;
};

// Indices into `rules` of the enabled rules, in the order the dispatcher tries them: higher
// priority first, then older (smaller rule_id, compared bytewise) first, then lower index.
std::vector<size_t> MatchOrder(const std::vector<RankedRule>& rules);

}  // namespace k3::ingest

#endif  // K3_INGEST_RULE_MATCH_H_
