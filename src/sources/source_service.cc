#include <string>

#include "kv/codec.h"
#include "sources/source_impl.h"
#include "util/ids.h"
#include "util/page_token.h"

namespace k3 {
namespace {

// records CF: "source/" bucket "\0" source_id -> Source
std::string ScopePrefix(std::string_view bucket) {
  std::string k = "source/";
  k.append(bucket);
  k.push_back('\0');
  return k;
}

std::string ScopeEnd(std::string_view bucket) {
  std::string k = "source/";
  k.append(bucket);
  k.push_back('\1');
  return k;
}

std::string Encode(const Source& s) {
  kv::Encoder e;
  e.PutString(s.source_id);
  e.PutString(s.bucket);
  e.PutVarint(static_cast<uint64_t>(s.provider));
  e.PutString(s.name);
  e.PutString(s.description);
  e.PutString(s.root_path);
  e.PutString(s.provider_account);
  e.PutSigned(s.sync_interval_seconds);
  e.PutBool(s.enabled);
  e.PutVarint(static_cast<uint64_t>(s.status));
  e.PutVarint(s.total_objects);
  e.PutVarint(s.indexed_objects);
  e.PutVarint(s.total_bytes);
  e.PutSigned(s.created_at);
  e.PutSigned(s.updated_at);
  e.PutSigned(s.last_sync_at);
  e.PutSigned(s.last_success_at);
  return e.Take();
}

bool Decode(std::string_view in, Source* s) {
  kv::Decoder d(in);
  uint64_t provider, status;
  bool ok = d.GetString(&s->source_id) && d.GetString(&s->bucket) && d.GetVarint(&provider) &&
            d.GetString(&s->name) && d.GetString(&s->description) && d.GetString(&s->root_path) &&
            d.GetString(&s->provider_account) && d.GetSigned(&s->sync_interval_seconds) &&
            d.GetBool(&s->enabled) && d.GetVarint(&status) && d.GetVarint(&s->total_objects) &&
            d.GetVarint(&s->indexed_objects) && d.GetVarint(&s->total_bytes) &&
            d.GetSigned(&s->created_at) && d.GetSigned(&s->updated_at) &&
            d.GetSigned(&s->last_sync_at) && d.GetSigned(&s->last_success_at);
  s->provider = static_cast<SourceProvider>(provider);
  s->status = static_cast<SourceStatus>(status);
  return ok;
}

}  // namespace

std::string SourceService::Impl::AddInternalSource(kv::Batch& batch, std::string_view bucket,
                                                   TimestampMs now) {
  Source s;
  s.source_id = util::NewId("src");
  s.bucket = std::string(bucket);
  s.provider = SourceProvider::kInternalS3;
  s.name = "internal";
  s.description = "The bucket's own objects";
  s.status = SourceStatus::kActive;
  s.created_at = s.updated_at = now;
  batch.Put(kv::Cf::kRecords, ScopePrefix(bucket) + s.source_id, Encode(s));
  return s.source_id;
}

Status SourceService::Impl::RemoveBucketSources(kv::Batch& batch, std::string_view bucket) {
  batch.DeleteRange(kv::Cf::kRecords, ScopePrefix(bucket), ScopeEnd(bucket));
  return Status();
}

Result<uint64_t> SourceService::Impl::CountSources(std::string_view bucket) const {
  uint64_t n = 0;
  auto it = store_->NewIterator(kv::Cf::kRecords, ScopeEnd(bucket));
  for (it->Seek(ScopePrefix(bucket)); it->Valid(); it->Next()) ++n;
  K3_RETURN_IF_ERROR(it->status());
  return n;
}

Result<Source> SourceService::Impl::Get(std::string_view bucket, std::string_view source_id) const {
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kRecords, ScopePrefix(bucket) + std::string(source_id)));
  if (!value) {
    return NotFound("source \"" + std::string(source_id) + "\" does not exist in bucket \"" +
                    std::string(bucket) + "\"");
  }
  Source s;
  if (!Decode(*value, &s)) return DataLoss("malformed source record " + std::string(source_id));
  return s;
}

Result<ListSourcesResponse> SourceService::Impl::List(const ListSourcesRequest& request) const {
  K3_RETURN_IF_ERROR(bucket_check_(request.bucket));
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(request.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "sources/" + request.bucket;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, request.page_token));
  ListSourcesResponse out;
  const std::string prefix = ScopePrefix(request.bucket);
  auto it = store_->NewIterator(kv::Cf::kRecords, ScopeEnd(request.bucket));
  int64_t total = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    ++total;
    std::string_view id = it->key().substr(prefix.size());
    if (!after.empty() && id <= after) continue;
    if (static_cast<int>(out.sources.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token =
            util::EncodePageToken(listing, out.sources.back().source_id);
      }
      continue;
    }
    Source s;
    if (!Decode(it->value(), &s)) return DataLoss("malformed source record");
    out.sources.push_back(std::move(s));
  }
  K3_RETURN_IF_ERROR(it->status());
  out.pagination.total_count = total;
  return out;
}

Result<Source> SourceService::get_source(std::string_view bucket, std::string_view source_id) {
  return impl_->Get(bucket, source_id);
}

Result<ListSourcesResponse> SourceService::list_sources(const ListSourcesRequest& request) {
  return impl_->List(request);
}

}  // namespace k3
