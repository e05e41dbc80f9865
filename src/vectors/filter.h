// vectors/filter.h: validating and evaluating metadata filters (VectorFilter, k3/vectors.h).
// Thread-safety: pure functions.
#ifndef K3_VECTORS_FILTER_H_
#define K3_VECTORS_FILTER_H_

#include "k3/vectors.h"

namespace k3::vectors {

// The deepest nesting of and/or/not a filter may have, and the most nodes.
inline constexpr int kMaxFilterDepth = 32;
inline constexpr int kMaxFilterNodes = 1024;

// INVALID_ARGUMENT naming the offending node ("filter.and[1]: ...") when: a leaf has an empty
// field; lt/lte/gt/gte compare to something other than a number or string; prefix has a
// non-string value; in/nin have no values or a list value; not has other than one child;
// the expression is too deep or too large; an op is out of range.
Status ValidateFilter(const VectorFilter& filter);

// Whether `metadata` satisfies the (valid) filter; semantics in k3/vectors.h.
bool MatchFilter(const VectorFilter& filter, const Metadata& metadata);

}  // namespace k3::vectors

#endif  // K3_VECTORS_FILTER_H_
