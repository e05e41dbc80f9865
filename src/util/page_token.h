// util/page_token.h: opaque, self-checking page tokens shared by every listing.
// A token names the listing it came from (kind and scope, e.g. "sources/kb-prod") and the
// position to resume after; a token from another listing, or garbage, is INVALID_ARGUMENT.
#ifndef K3_UTIL_PAGE_TOKEN_H_
#define K3_UTIL_PAGE_TOKEN_H_

#include <string>
#include <string_view>

#include "k3/status.h"

namespace k3::util {

std::string EncodePageToken(std::string_view listing, std::string_view position);
// The position inside `token`; "" for an empty token (the first page).
Result<std::string> DecodePageToken(std::string_view listing, std::string_view token);

// page_size 0 -> default_size; negative -> INVALID_ARGUMENT; above max_size -> max_size.
Result<int> EffectivePageSize(int page_size, int default_size, int max_size);

}  // namespace k3::util

#endif  // K3_UTIL_PAGE_TOKEN_H_
