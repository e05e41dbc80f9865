// StorageService::Impl: ListObjectsV2.
#include <algorithm>

#include "storage/names.h"
#include "storage/storage_impl.h"
#include "util/page_token.h"
#include "util/utf8.h"

namespace k3 {
namespace {

constexpr int kMaxKeys = 1000;
// A byte that never occurs in UTF-8, so key + kAfterAll sorts after every key extending key.
constexpr char kAfterAll = '\xff';

// A continuation position: resume after `key`; when `subtree` is set, also after every key
// that starts with it (it was returned as a common prefix).
struct Position {
  std::string key;
  bool subtree = false;
};

std::string EncodePosition(const Position& p) {
  return std::string(1, p.subtree ? 'p' : 'k') + p.key;
}

}  // namespace

Result<ListObjectsResponse> StorageService::Impl::List(const ListObjectsRequest& request) {
  if (request.max_keys < 0) return InvalidArgument("max_keys must not be negative");
  const int max_keys = request.max_keys == 0 ? kMaxKeys : std::min(request.max_keys, kMaxKeys);
  if (!util::IsValidUtf8(request.prefix) || !util::IsValidUtf8(request.delimiter) ||
      !util::IsValidUtf8(request.start_after)) {
    return InvalidArgument("prefix, delimiter and start_after must be valid UTF-8");
  }
  // The token is bound to the bucket, prefix and delimiter it was issued for.
  std::string listing = "objects/" + request.bucket;
  for (const std::string* part : {&request.prefix, &request.delimiter}) {
    listing.push_back('\0');
    listing.append(*part);
  }
  K3_ASSIGN_OR_RETURN(std::string token_position,
                      util::DecodePageToken(listing, request.continuation_token));
  auto snapshot = store_->NewSnapshot();
  K3_RETURN_IF_ERROR(LoadBucket(request.bucket, snapshot.get()).status());

  // Where to start: the greatest of prefix, start_after (exclusive) and the token.
  std::string seek_key = request.prefix;
  auto after = [&](const std::string& k, bool subtree) {
    std::string candidate = k;
    candidate.push_back(subtree ? kAfterAll : '\0');  // '\0' never appears in a key
    if (candidate > seek_key) seek_key = std::move(candidate);
  };
  if (!request.start_after.empty()) after(request.start_after, false);
  if (!token_position.empty()) {
    if (token_position[0] != 'k' && token_position[0] != 'p') {
      return InvalidArgument("continuation token is not valid for this listing");
    }
    after(token_position.substr(1), token_position[0] == 'p');
  }

  const std::string base = storage::ObjectPrefix(request.bucket);
  ListObjectsResponse out;
  Position last;
  int count = 0;
  auto it =
      store_->NewIterator(kv::Cf::kObjects, storage::ObjectEnd(request.bucket), snapshot.get());
  it->Seek(base + seek_key);
  while (it->Valid()) {
    std::string_view key = it->key().substr(base.size());
    if (!key.starts_with(request.prefix)) break;
    if (count == max_keys) {
      out.is_truncated = true;
      out.next_continuation_token = util::EncodePageToken(listing, EncodePosition(last));
      break;
    }
    size_t cut = std::string_view::npos;
    if (!request.delimiter.empty()) {
      cut = key.find(request.delimiter, request.prefix.size());
    }
    if (cut != std::string_view::npos) {
      std::string common(key.substr(0, cut + request.delimiter.size()));
      out.common_prefixes.push_back(common);
      last = {common, true};
      ++count;
      it->Seek(base + common + kAfterAll);
      continue;
    }
    storage::ObjectRecord record;
    if (!storage::DecodeObject(it->value(), &record)) {
      return DataLoss("malformed object record for \"" + std::string(key) + "\"");
    }
    out.objects.push_back(storage::ToObjectInfo(request.bucket, key, record));
    last = {std::string(key), false};
    ++count;
    it->Next();
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace k3
