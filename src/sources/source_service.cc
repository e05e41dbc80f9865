// sources/source_service.cc: SourceService::Impl — source records, their CRUD and the bucket
// hooks; the public methods forward here.
#include <algorithm>
#include <string>

#include "kv/codec.h"
#include "sources/http_fetch.h"
#include "sources/local_dir.h"
#include "sources/source_impl.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/page_token.h"
#include "util/utf8.h"

namespace k3 {

using sources::DecodeSource;
using sources::EncodeSource;
using sources::SourceKey;
using sources::SourcePrefix;

namespace {

constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxKeyPrefixBytes = 512;
constexpr size_t kMaxDescriptionBytes = 4096;
constexpr size_t kMaxUrls = 10000;
constexpr int64_t kMaxSyncIntervalSeconds = 366LL * 24 * 3600;

bool HasControlBytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A key prefix is a '/'-separated path of non-empty segments, none "." or "..".
Status CheckKeyPrefix(std::string_view field, std::string_view prefix) {
  const std::string f(field);
  if (prefix.empty() || prefix.size() > kMaxKeyPrefixBytes) {
    return InvalidArgument(f + ": must be 1.." + std::to_string(kMaxKeyPrefixBytes) + " bytes");
  }
  if (!util::IsValidUtf8(prefix) || HasControlBytes(prefix)) {
    return InvalidArgument(f + ": must be UTF-8 without control characters");
  }
  size_t start = 0;
  for (;;) {
    const size_t slash = prefix.find('/', start);
    const std::string_view segment = prefix.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidArgument(f + ": \"" + std::string(prefix) +
                             "\" must be '/'-separated non-empty segments, none \".\" or \"..\", "
                             "without a leading or trailing '/'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status();
}

bool IsExternal(const Source& s) {
  return s.provider == SourceProvider::kLocalDir || s.provider == SourceProvider::kHttp;
}

}  // namespace

SourceService::Impl::Impl(kv::Store* store, BucketCheck bucket_check, sources::MasterKey master_key,
                          util::Logger logger)
    : store_(store),
      bucket_check_(std::move(bucket_check)),
      master_key_(std::move(master_key)),
      logger_(std::move(logger)) {}

SourceService::Impl::~Impl() { Stop(); }

std::string SourceService::Impl::AddInternalSource(kv::Batch& batch, std::string_view bucket,
                                                   TimestampMs now) {
  Source s;
  s.source_id = util::NewId("src");
  s.bucket = std::string(bucket);
  s.provider = SourceProvider::kInternalS3;
  s.name = "internal";
  s.description = "The bucket's own objects";
  s.status = SourceStatus::kActive;
  s.delete_missing = false;
  s.created_at = s.updated_at = now;
  batch.Put(kv::Cf::kRecords, SourceKey(bucket, s.source_id), EncodeSource(s));
  ForgetAttribution(bucket);  // a bucket of this name may have had sources before
  return s.source_id;
}

Status SourceService::Impl::RemoveBucketSources(kv::Batch& batch, std::string_view bucket) {
  const std::string sources = SourcePrefix(bucket);
  batch.DeleteRange(kv::Cf::kRecords, sources, kv::PrefixEnd(sources));
  const std::string items = sources::ItemBucketPrefix(bucket);
  batch.DeleteRange(kv::Cf::kRecords, items, kv::PrefixEnd(items));
  ForgetAttribution(bucket);
  return Status();
}

Result<uint64_t> SourceService::Impl::CountSources(std::string_view bucket) const {
  uint64_t n = 0;
  const std::string prefix = SourcePrefix(bucket);
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(prefix));
  for (it->Seek(prefix); it->Valid(); it->Next()) ++n;
  K3_RETURN_IF_ERROR(it->status());
  return n;
}

void SourceService::Impl::ForgetAttribution(std::string_view bucket) {
  std::lock_guard lock(attribution_mu_);
  attribution_.erase(std::string(bucket));
  ++attribution_generation_;
}

Result<std::string> SourceService::Impl::SourceOfKey(std::string_view bucket,
                                                     std::string_view key) {
  std::vector<std::pair<std::string, std::string>> prefixes;
  bool cached = false;
  uint64_t generation;
  {
    std::lock_guard lock(attribution_mu_);
    generation = attribution_generation_;
    auto it = attribution_.find(std::string(bucket));
    if (it != attribution_.end()) {
      prefixes = it->second;
      cached = true;
    }
  }
  if (!cached) {
    const std::string prefix = SourcePrefix(bucket);
    auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(prefix));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      Source s;
      if (!DecodeSource(it->value(), &s)) return DataLoss("malformed source record");
      if (IsExternal(s)) prefixes.emplace_back(s.key_prefix + "/", s.source_id);
    }
    K3_RETURN_IF_ERROR(it->status());
    // A source write since the scan began may have made it stale: cache only when none did.
    std::lock_guard lock(attribution_mu_);
    if (generation == attribution_generation_) attribution_.emplace(std::string(bucket), prefixes);
  }
  for (const auto& [prefix, id] : prefixes) {
    if (key.substr(0, prefix.size()) == prefix) return id;
  }
  return std::string();
}

Result<Source> SourceService::Impl::LoadSource(std::string_view bucket,
                                               std::string_view source_id) const {
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, SourceKey(bucket, source_id)));
  if (!value) {
    K3_RETURN_IF_ERROR(bucket_check_(bucket));
    return NotFound("source \"" + std::string(source_id) + "\" does not exist in bucket \"" +
                    std::string(bucket) + "\"");
  }
  Source s;
  if (!DecodeSource(*value, &s))
    return DataLoss("malformed source record " + std::string(source_id));
  return s;
}

Status SourceService::Impl::SaveSource(const Source& source) {
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, SourceKey(source.bucket, source.source_id), EncodeSource(source));
  return store_->Write(*batch);
}

Result<Source> SourceService::Impl::WithCounters(Source source) const {
  if (IsExternal(source) && indexed_counter_) {
    K3_ASSIGN_OR_RETURN(source.indexed_objects, indexed_counter_(source.bucket, source.source_id));
  }
  return source;
}

Result<Source> SourceService::Impl::Get(std::string_view bucket, std::string_view source_id) const {
  K3_ASSIGN_OR_RETURN(Source s, LoadSource(bucket, source_id));
  return WithCounters(std::move(s));
}

Result<ListSourcesResponse> SourceService::Impl::List(const ListSourcesRequest& request) const {
  K3_RETURN_IF_ERROR(bucket_check_(request.bucket));
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(request.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "sources/" + request.bucket;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, request.page_token));
  ListSourcesResponse out;
  const std::string prefix = SourcePrefix(request.bucket);
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(prefix));
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
    if (!DecodeSource(it->value(), &s)) return DataLoss("malformed source record");
    K3_ASSIGN_OR_RETURN(s, WithCounters(std::move(s)));
    out.sources.push_back(std::move(s));
  }
  K3_RETURN_IF_ERROR(it->status());
  out.pagination.total_count = total;
  return out;
}

// Checks one external source's fields (provider-specific), naming the field in each error.
Status SourceService::Impl::CheckSourceFields(const Source& s) {
  if (s.name.empty() || s.name.size() > kMaxNameBytes || !util::IsValidUtf8(s.name) ||
      HasControlBytes(s.name)) {
    return InvalidArgument("name: must be 1.." + std::to_string(kMaxNameBytes) +
                           " bytes of UTF-8 without control characters");
  }
  if (s.description.size() > kMaxDescriptionBytes || !util::IsValidUtf8(s.description)) {
    return InvalidArgument("description: must be UTF-8 of at most " +
                           std::to_string(kMaxDescriptionBytes) + " bytes");
  }
  if (s.provider_account.size() > kMaxNameBytes || !util::IsValidUtf8(s.provider_account)) {
    return InvalidArgument("providerAccount: must be UTF-8 of at most " +
                           std::to_string(kMaxNameBytes) + " bytes");
  }
  K3_RETURN_IF_ERROR(CheckKeyPrefix("keyPrefix", s.key_prefix));
  if (s.sync_interval_seconds < 0 || s.sync_interval_seconds > kMaxSyncIntervalSeconds) {
    return InvalidArgument("syncIntervalSeconds: must be 0 (manual) .. " +
                           std::to_string(kMaxSyncIntervalSeconds));
  }
  if (s.provider == SourceProvider::kLocalDir) {
    if (("/" + s.root_path + "/").find("/../") != std::string::npos) {
      return InvalidArgument("rootPath: \"" + s.root_path +
                             "\" must not contain \"..\" segments; give the directory itself");
    }
    Status root = sources::ValidateRoot(s.root_path);
    if (!root.ok()) {
      return Status(root.code(), root.message().rfind("rootPath", 0) == 0
                                     ? root.message()
                                     : "rootPath: " + root.message());
    }
    if (!s.urls.empty() || !s.sitemap_url.empty()) {
      return InvalidArgument("urls, sitemapUrl: only HTTP sources have URLs");
    }
    if (!s.credential_id.empty()) {
      return InvalidArgument("credentialId: a LOCAL_DIR source takes no credential");
    }
    return Status();
  }
  if (!s.root_path.empty()) return InvalidArgument("rootPath: only LOCAL_DIR sources have one");
  if (s.urls.empty() == s.sitemap_url.empty()) {
    return InvalidArgument("urls, sitemapUrl: an HTTP source needs exactly one of them");
  }
  if (s.urls.size() > kMaxUrls) {
    return InvalidArgument("urls: at most " + std::to_string(kMaxUrls) +
                           " (use a sitemap for more)");
  }
  for (size_t i = 0; i < s.urls.size(); ++i) {
    Status url = sources::ValidateSourceUrl(s.urls[i]);
    if (!url.ok()) return InvalidArgument("urls[" + std::to_string(i) + "]: " + url.message());
  }
  if (!s.sitemap_url.empty()) {
    Status url = sources::ValidateSourceUrl(s.sitemap_url);
    if (!url.ok()) return InvalidArgument("sitemapUrl: " + url.message());
  }
  if (!s.credential_id.empty()) {
    Status cred = CheckCredentialForSource(s.credential_id, s.provider);
    if (!cred.ok()) return Status(cred.code(), "credentialId: " + cred.message());
    // A secret travels only encrypted, or to this machine.
    std::vector<std::string> targets = s.urls;
    if (!s.sitemap_url.empty()) targets.push_back(s.sitemap_url);
    for (const std::string& url : targets) {
      const std::string origin = sources::UrlOrigin(url);
      const bool loopback = origin.rfind("http://127.0.0.1", 0) == 0 ||
                            origin.rfind("http://localhost", 0) == 0 ||
                            origin.rfind("http://[::1]", 0) == 0;
      if (origin.rfind("https://", 0) != 0 && !loopback) {
        return InvalidArgument(
            "credentialId: a credential is sent only over https (or to a "
            "loopback address), and " +
            sources::DescribeUrlForError(url) + " is plain http");
      }
    }
  }
  return Status();
}

// ALREADY_EXISTS when another source of the bucket has the same name or a key prefix that
// contains, or is contained in, this one's.
Status SourceService::Impl::CheckPrefixFree(const Source& s) const {
  const std::string prefix = SourcePrefix(s.bucket);
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(prefix));
  const std::string mine = s.key_prefix + "/";
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    Source other;
    if (!DecodeSource(it->value(), &other)) return DataLoss("malformed source record");
    if (other.source_id == s.source_id) continue;
    if (other.name == s.name) {
      return AlreadyExists("name: source " + other.source_id + " of bucket \"" + s.bucket +
                           "\" is already named \"" + s.name + "\"");
    }
    if (!IsExternal(other)) continue;
    const std::string theirs = other.key_prefix + "/";
    if (mine.rfind(theirs, 0) == 0 || theirs.rfind(mine, 0) == 0) {
      return AlreadyExists("keyPrefix: \"" + s.key_prefix + "\" overlaps the key prefix \"" +
                           other.key_prefix + "\" of source " + other.source_id + " (\"" +
                           other.name + "\"); each source needs a prefix of its own");
    }
  }
  return it->status();
}

Result<Source> SourceService::Impl::Create(const CreateSourceRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  if (r.provider == SourceProvider::kInternalS3) {
    return InvalidArgument("provider: a bucket's internal source is created with the bucket");
  }
  if (r.provider == SourceProvider::kUnspecified) {
    return InvalidArgument("provider: required (SOURCE_PROVIDER_LOCAL_DIR or _HTTP)");
  }
  if (r.provider != SourceProvider::kLocalDir && r.provider != SourceProvider::kHttp) {
    return Unimplemented("provider: this version syncs LOCAL_DIR and HTTP sources only");
  }
  Source s;
  s.source_id = util::NewId("src");
  s.bucket = r.bucket;
  s.provider = r.provider;
  s.name = r.name;
  s.description = r.description;
  s.root_path = r.root_path;
  s.provider_account = r.provider_account;
  s.sync_interval_seconds = r.sync_interval_seconds;
  s.enabled = r.enabled;
  s.status = r.enabled ? SourceStatus::kActive : SourceStatus::kDisabled;
  s.urls = r.urls;
  s.sitemap_url = r.sitemap_url;
  s.key_prefix = r.key_prefix.empty() ? r.name : r.key_prefix;
  s.delete_missing = r.delete_missing;
  s.credential_id = r.credential_id;
  s.created_at = s.updated_at = util::NowMs();
  if (r.key_prefix.empty() && !r.name.empty()) {
    Status prefix = CheckKeyPrefix("keyPrefix", s.key_prefix);
    if (!prefix.ok()) {
      return InvalidArgument(
          "name: \"" + r.name +
          "\" cannot be the default keyPrefix (give keyPrefix): " + prefix.message());
    }
  }
  {
    // Under writes_mu_, so the credential it names cannot be deleted meanwhile.
    std::lock_guard lock(writes_mu_);
    K3_RETURN_IF_ERROR(CheckSourceFields(s));
    K3_RETURN_IF_ERROR(CheckPrefixFree(s));
    K3_RETURN_IF_ERROR(SaveSource(s));
  }
  ForgetAttribution(s.bucket);
  {
    std::lock_guard lock(scheduler_mu_);
    scheduler_poke_ = true;
  }
  scheduler_cv_.notify_all();
  return s;
}

Result<Source> SourceService::Impl::Update(const UpdateSourceRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  Source s;
  {
    std::lock_guard lock(writes_mu_);
    K3_ASSIGN_OR_RETURN(s, LoadSource(r.bucket, r.source_id));
    if (!IsExternal(s)) {
      return FailedPrecondition("source " + s.source_id +
                                " is the bucket's internal source, which cannot be changed");
    }
    if (r.name) s.name = *r.name;
    if (r.description) s.description = *r.description;
    if (r.root_path) s.root_path = *r.root_path;
    if (r.provider_account) s.provider_account = *r.provider_account;
    if (r.sync_interval_seconds) s.sync_interval_seconds = *r.sync_interval_seconds;
    if (r.urls) s.urls = *r.urls;
    if (r.sitemap_url) s.sitemap_url = *r.sitemap_url;
    if (r.delete_missing) s.delete_missing = *r.delete_missing;
    if (r.credential_id) s.credential_id = *r.credential_id;
    if (r.enabled) {
      s.enabled = *r.enabled;
      if (!s.enabled) {
        s.status = SourceStatus::kDisabled;
      } else if (s.status == SourceStatus::kDisabled) {
        s.status = SourceStatus::kActive;
      }
    }
    K3_RETURN_IF_ERROR(CheckSourceFields(s));
    K3_RETURN_IF_ERROR(CheckPrefixFree(s));
    s.updated_at = util::NowMs();
    K3_RETURN_IF_ERROR(SaveSource(s));
  }
  {
    std::lock_guard lock(scheduler_mu_);
    scheduler_poke_ = true;
  }
  scheduler_cv_.notify_all();
  return WithCounters(std::move(s));
}

Status SourceService::Impl::Delete(std::string_view bucket, std::string_view source_id) {
  K3_RETURN_IF_ERROR(bucket_check_(bucket));
  // A running sync of the source finishes first.
  auto sync_lock = sync_locks_.Acquire(std::string(bucket) + '\0' + std::string(source_id));
  std::lock_guard lock(writes_mu_);
  K3_ASSIGN_OR_RETURN(Source s, LoadSource(bucket, source_id));
  if (!IsExternal(s)) {
    return FailedPrecondition("source " + s.source_id +
                              " is the bucket's internal source; it goes with the bucket");
  }
  if (use_check_) K3_RETURN_IF_ERROR(use_check_(bucket, source_id));
  std::vector<std::string> users;
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kCredentialPrefix));
  for (it->Seek(sources::kCredentialPrefix); it->Valid(); it->Next()) {
    sources::CredentialRecord c;
    if (!sources::DecodeCredential(it->value(), &c)) return DataLoss("malformed credential record");
    if (c.info.bucket == bucket && c.info.source_id == source_id) {
      users.push_back(c.info.credential_id);
    }
  }
  K3_RETURN_IF_ERROR(it->status());
  if (!users.empty()) {
    std::string names;
    for (const std::string& id : users) names += (names.empty() ? "" : ", ") + id;
    return FailedPrecondition("source " + s.source_id + " has credentials (" + names +
                              "); delete them first");
  }
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kRecords, SourceKey(bucket, source_id));
  const std::string items = sources::ItemPrefix(bucket, source_id);
  batch->DeleteRange(kv::Cf::kRecords, items, kv::PrefixEnd(items));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  ForgetAttribution(bucket);
  if (deletion_hook_) {
    Status dropped = deletion_hook_(bucket, source_id);
    if (!dropped.ok()) {
      logger_.Warn("source " + std::string(source_id) +
                   " deleted, but its sync state was not: " + dropped.message());
    }
  }
  return Status();
}

// The public API forwards to the implementation.
Result<Source> SourceService::create_source(const CreateSourceRequest& request) {
  return impl_->Create(request);
}
Result<Source> SourceService::get_source(std::string_view bucket, std::string_view source_id) {
  return impl_->Get(bucket, source_id);
}
Result<ListSourcesResponse> SourceService::list_sources(const ListSourcesRequest& request) {
  return impl_->List(request);
}
Result<Source> SourceService::update_source(const UpdateSourceRequest& request) {
  return impl_->Update(request);
}
Status SourceService::delete_source(std::string_view bucket, std::string_view source_id) {
  return impl_->Delete(bucket, source_id);
}
Result<SourceSyncReport> SourceService::sync_source(const SyncSourceRequest& request) {
  return impl_->Sync(request);
}
Result<CredentialInfo> SourceService::store_credential(const StoreCredentialRequest& request) {
  return impl_->StoreCredential(request);
}
Result<CredentialInfo> SourceService::get_credential(std::string_view credential_id) {
  return impl_->GetCredential(credential_id);
}
Result<ListCredentialsResponse> SourceService::list_credentials(
    const ListCredentialsRequest& request) {
  return impl_->ListCredentials(request);
}
Status SourceService::delete_credential(std::string_view credential_id) {
  return impl_->DeleteCredential(credential_id);
}
Result<ValidateCredentialResponse> SourceService::validate_credential(
    std::string_view credential_id) {
  return impl_->ValidateCredential(credential_id);
}
Result<GetOAuthUrlResponse> SourceService::get_oauth_url(const GetOAuthUrlRequest& request) {
  return impl_->GetOAuthUrl(request);
}
Result<CredentialInfo> SourceService::exchange_oauth_code(const ExchangeOAuthCodeRequest& request) {
  return impl_->ExchangeOAuthCode(request);
}
Result<CredentialInfo> SourceService::refresh_oauth_token(std::string_view credential_id) {
  return impl_->RefreshOAuthToken(credential_id);
}

}  // namespace k3
