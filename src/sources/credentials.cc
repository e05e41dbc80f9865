// sources/credentials.cc: SourceService::Impl — the credential store. Secrets are sealed
// (secret_box) under the master key with the credential id as associated data; CredentialInfo
// carries only what is not secret. Plaintext secrets live in memory only while a request that
// needs them runs, and are wiped afterwards.
#include <openssl/crypto.h>

#include <algorithm>

#include "kv/codec.h"
#include "sources/http_fetch.h"
#include "sources/oauth.h"
#include "sources/source_impl.h"
#include "storage/sigv4.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/page_token.h"
#include "util/utf8.h"

namespace k3 {

using sources::CredentialRecord;
using sources::CredentialSecret;

namespace {

constexpr size_t kMaxSecretBytes = 16 * 1024;
constexpr size_t kMaxDisplayNameBytes = 256;
// What an ACCESS_KEY validation asks for: a presigned GET of this key in the endpoint's bucket
// (any answer but 401/403 means the signature was accepted), signed for this region.
constexpr char kAccessKeyProbeKey[] = ".k3-credential-check";
constexpr char kAccessKeyRegion[] = "us-east-1";
// A validation reads at most this much of the answer's body.
constexpr uint64_t kValidationMaxBytes = 1 << 20;

std::string_view ProviderLabel(SourceProvider p) {
  switch (p) {
    case SourceProvider::kInternalS3:
      return "INTERNAL_S3";
    case SourceProvider::kGoogleDrive:
      return "GOOGLE_DRIVE";
    case SourceProvider::kSharepoint:
      return "SHAREPOINT";
    case SourceProvider::kConfluence:
      return "CONFLUENCE";
    case SourceProvider::kGithub:
      return "GITHUB";
    case SourceProvider::kLocalDir:
      return "LOCAL_DIR";
    case SourceProvider::kHttp:
      return "HTTP";
    case SourceProvider::kRemoteS3:
      return "REMOTE_S3";
    default:
      return "UNSPECIFIED";
  }
}

std::string_view TypeLabel(CredentialType t) {
  switch (t) {
    case CredentialType::kPat:
      return "PAT";
    case CredentialType::kApiKey:
      return "API_KEY";
    case CredentialType::kOAuth:
      return "OAUTH";
    case CredentialType::kAccessKey:
      return "ACCESS_KEY";
    default:
      return "UNSPECIFIED";
  }
}

// The credential types each provider accepts (see StoreCredentialRequest).
std::vector<CredentialType> AcceptedTypes(SourceProvider p) {
  using T = CredentialType;
  switch (p) {
    case SourceProvider::kHttp:
    case SourceProvider::kGithub:
    case SourceProvider::kConfluence:
      return {T::kPat, T::kApiKey, T::kOAuth};
    case SourceProvider::kGoogleDrive:
    case SourceProvider::kSharepoint:
      return {T::kOAuth};
    case SourceProvider::kRemoteS3:
      return {T::kAccessKey};
    default:
      return {};
  }
}

Status CheckAccepted(SourceProvider provider, CredentialType type) {
  const std::vector<CredentialType> accepted = AcceptedTypes(provider);
  if (std::find(accepted.begin(), accepted.end(), type) != accepted.end()) return Status();
  std::string list;
  for (CredentialType t : accepted) list += (list.empty() ? "" : ", ") + std::string(TypeLabel(t));
  return InvalidArgument("credentialType: " + std::string(ProviderLabel(provider)) +
                         (list.empty() ? " takes no credentials"
                                       : " does not accept " + std::string(TypeLabel(type)) +
                                             " credentials (it accepts " + list + ")"));
}

// Values sent in an Authorization header: printable ASCII without spaces.
Status CheckHeaderSafe(std::string_view field, std::string_view value) {
  if (value.empty() || value.size() > kMaxSecretBytes) {
    return InvalidArgument(std::string(field) + ": must be 1.." + std::to_string(kMaxSecretBytes) +
                           " bytes");
  }
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7f) {
      return InvalidArgument(std::string(field) +
                             ": must be printable ASCII without spaces (the value is not shown)");
    }
  }
  return Status();
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

void Wipe(CredentialSecret& s) {
  Wipe(s.token);
  Wipe(s.secret_access_key);
  Wipe(s.refresh_token);
  Wipe(s.config.client_secret);
}

}  // namespace

Result<CredentialRecord> SourceService::Impl::LoadCredential(std::string_view credential_id) const {
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kRecords, sources::CredentialKey(credential_id)));
  if (!value) return NotFound("credential \"" + std::string(credential_id) + "\" does not exist");
  CredentialRecord r;
  if (!sources::DecodeCredential(*value, &r)) {
    return DataLoss("malformed credential record " + std::string(credential_id));
  }
  return r;
}

Result<std::string> SourceService::Impl::OpenSecret(const CredentialRecord& record) const {
  auto plain = sources::Open(master_key_, record.sealed_secret, record.info.credential_id);
  if (!plain.ok()) {
    return Status(plain.status().code(),
                  "credential " + record.info.credential_id + ": " + plain.status().message());
  }
  return plain;
}

Status SourceService::Impl::SaveCredentialRecord(const CredentialRecord& record) {
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, sources::CredentialKey(record.info.credential_id),
             sources::EncodeCredential(record));
  return store_->Write(*batch);
}

Status SourceService::Impl::CheckCredentialForSource(std::string_view credential_id,
                                                     SourceProvider provider) {
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  if (r.info.provider != provider) {
    return InvalidArgument("credential " + r.info.credential_id + " is for " +
                           std::string(ProviderLabel(r.info.provider)) + ", not " +
                           std::string(ProviderLabel(provider)));
  }
  return CheckAccepted(provider, r.info.credential_type);
}

Result<CredentialInfo> SourceService::Impl::SaveNewCredential(const StoreCredentialRequest& r,
                                                              std::string plaintext) {
  CredentialRecord record;
  CredentialInfo& info = record.info;
  info.credential_id = util::NewId("cred");
  info.provider = r.provider;
  info.credential_type = r.credential_type;
  info.display_name = r.display_name;
  info.is_primary = r.is_primary;
  info.bucket = r.bucket;
  info.source_id = r.source_id;
  info.endpoint = r.endpoint;
  if (r.pat) info.username = r.pat->username;
  if (r.access_key) info.access_key_id = r.access_key->access_key_id;
  if (r.oauth) {
    info.scopes = r.oauth->config.scopes;
    info.expires_at = r.oauth->expires_at;
    info.refreshable = !r.oauth->refresh_token.empty();
  }
  info.key_fingerprint = master_key_.fingerprint();
  info.created_at = info.updated_at = util::NowMs();
  auto sealed = sources::Seal(master_key_, plaintext, info.credential_id);
  Wipe(plaintext);
  K3_RETURN_IF_ERROR(sealed.status());
  record.sealed_secret = std::move(sealed).value();
  std::lock_guard lock(writes_mu_);
  if (!info.source_id.empty()) {  // the source may have been deleted since it was checked
    K3_RETURN_IF_ERROR(LoadSource(info.bucket, info.source_id).status());
  }
  auto batch = store_->NewBatch();
  if (info.is_primary) {  // the provider's previous primary is demoted in the same batch
    auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kCredentialPrefix));
    for (it->Seek(sources::kCredentialPrefix); it->Valid(); it->Next()) {
      CredentialRecord other;
      if (!sources::DecodeCredential(it->value(), &other)) {
        return DataLoss("malformed credential record");
      }
      if (other.info.provider != info.provider || !other.info.is_primary) continue;
      other.info.is_primary = false;
      other.info.updated_at = info.created_at;
      batch->Put(kv::Cf::kRecords, it->key(), sources::EncodeCredential(other));
    }
    K3_RETURN_IF_ERROR(it->status());
  }
  batch->Put(kv::Cf::kRecords, sources::CredentialKey(info.credential_id),
             sources::EncodeCredential(record));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return info;
}

Status SourceService::Impl::CheckStorable(const StoreCredentialRequest& r) const {
  if (r.provider == SourceProvider::kUnspecified) {
    return InvalidArgument("provider: required (the provider the credential is for)");
  }
  if (r.credential_type == CredentialType::kUnspecified) {
    return InvalidArgument("credentialType: required (PAT, API_KEY, OAUTH or ACCESS_KEY)");
  }
  K3_RETURN_IF_ERROR(CheckAccepted(r.provider, r.credential_type));
  if (r.display_name.size() > kMaxDisplayNameBytes || !util::IsValidUtf8(r.display_name)) {
    return InvalidArgument("displayName: must be UTF-8 of at most 256 bytes");
  }
  if (!r.endpoint.empty()) {
    Status url = sources::ValidateSourceUrl(r.endpoint);
    if (!url.ok()) return InvalidArgument("endpoint: " + url.message());
  }
  if (r.source_id.empty() != r.bucket.empty()) {
    return InvalidArgument(
        "bucket, sourceId: give both (the source the credential is for) or neither");
  }
  if (!r.source_id.empty()) {
    K3_ASSIGN_OR_RETURN(Source source, LoadSource(r.bucket, r.source_id));
    if (source.provider != r.provider) {
      return InvalidArgument("sourceId: source " + source.source_id + " is " +
                             std::string(ProviderLabel(source.provider)) +
                             ", the credential is for " + std::string(ProviderLabel(r.provider)));
    }
  }
  return Status();
}

// The secret of `r`'s one payload, checked. The caller wipes it.
static Result<CredentialSecret> SecretOf(const StoreCredentialRequest& r) {
  const int payloads = int{r.pat.has_value()} + int{r.api_key.has_value()} +
                       int{r.access_key.has_value()} + int{r.oauth.has_value()};
  if (payloads != 1) {
    return InvalidArgument(
        "exactly one payload (pat, apiKey, accessKey or oauth) must be given, matching "
        "credentialType; got " +
        std::to_string(payloads));
  }
  CredentialSecret secret;
  secret.type = r.credential_type;
  switch (r.credential_type) {
    case CredentialType::kPat:
      if (!r.pat) return InvalidArgument("pat: required for credentialType PAT");
      K3_RETURN_IF_ERROR(CheckHeaderSafe("pat.token", r.pat->token));
      if (r.pat->username.size() > kMaxDisplayNameBytes || !util::IsValidUtf8(r.pat->username)) {
        return InvalidArgument("pat.username: must be UTF-8 of at most 256 bytes");
      }
      secret.token = r.pat->token;
      return secret;
    case CredentialType::kApiKey:
      if (!r.api_key) return InvalidArgument("apiKey: required for credentialType API_KEY");
      K3_RETURN_IF_ERROR(CheckHeaderSafe("apiKey.key", r.api_key->key));
      secret.token = r.api_key->key;
      return secret;
    case CredentialType::kAccessKey:
      if (!r.access_key) {
        return InvalidArgument("accessKey: required for credentialType ACCESS_KEY");
      }
      K3_RETURN_IF_ERROR(CheckHeaderSafe("accessKey.accessKeyId", r.access_key->access_key_id));
      K3_RETURN_IF_ERROR(
          CheckHeaderSafe("accessKey.secretAccessKey", r.access_key->secret_access_key));
      secret.secret_access_key = r.access_key->secret_access_key;
      return secret;
    case CredentialType::kOAuth: {
      if (!r.oauth) return InvalidArgument("oauth: required for credentialType OAUTH");
      K3_RETURN_IF_ERROR(CheckHeaderSafe("oauth.accessToken", r.oauth->access_token));
      if (!r.oauth->refresh_token.empty()) {  // a refresh needs the client and token URL
        K3_RETURN_IF_ERROR(CheckHeaderSafe("oauth.refreshToken", r.oauth->refresh_token));
        const OAuthConfig& c = r.oauth->config;
        if (c.client_id.empty()) {
          return InvalidArgument("oauth.config.clientId: required with a refresh token");
        }
        Status token_url = sources::ValidateSourceUrl(c.token_url);
        if (!token_url.ok()) {
          return InvalidArgument("oauth.config.tokenUrl (needed to refresh): " +
                                 token_url.message());
        }
      }
      if (r.oauth->expires_at < 0) return InvalidArgument("oauth.expiresAt: must be >= 0");
      secret.token = r.oauth->access_token;
      secret.refresh_token = r.oauth->refresh_token;
      secret.expires_at = r.oauth->expires_at;
      secret.config = r.oauth->config;
      return secret;
    }
    default:
      return InvalidArgument("credentialType: unknown value");
  }
}

Result<CredentialInfo> SourceService::Impl::StoreCredential(const StoreCredentialRequest& r) {
  K3_RETURN_IF_ERROR(CheckStorable(r));
  K3_ASSIGN_OR_RETURN(CredentialSecret secret, SecretOf(r));
  std::string plaintext = sources::EncodeSecret(secret);
  Wipe(secret);
  return SaveNewCredential(r, std::move(plaintext));
}

Result<CredentialInfo> SourceService::Impl::GetCredential(std::string_view credential_id) const {
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  return r.info;
}

Result<ListCredentialsResponse> SourceService::Impl::ListCredentials(
    const ListCredentialsRequest& request) const {
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(request.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "credentials/" + std::to_string(static_cast<int>(request.provider));
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, request.page_token));
  ListCredentialsResponse out;
  int64_t total = 0;
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kCredentialPrefix));
  for (it->Seek(sources::kCredentialPrefix); it->Valid(); it->Next()) {
    CredentialRecord r;
    if (!sources::DecodeCredential(it->value(), &r)) return DataLoss("malformed credential record");
    if (request.provider != SourceProvider::kUnspecified && r.info.provider != request.provider) {
      continue;
    }
    ++total;
    if (!after.empty() && r.info.credential_id <= after) continue;
    if (static_cast<int>(out.credentials.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token =
            util::EncodePageToken(listing, out.credentials.back().credential_id);
      }
      continue;
    }
    out.credentials.push_back(std::move(r.info));
  }
  K3_RETURN_IF_ERROR(it->status());
  out.pagination.total_count = total;
  return out;
}

Status SourceService::Impl::DeleteCredential(std::string_view credential_id) {
  std::lock_guard lock(writes_mu_);
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kAllSourcesPrefix));
  for (it->Seek(sources::kAllSourcesPrefix); it->Valid(); it->Next()) {
    Source s;
    if (!sources::DecodeSource(it->value(), &s)) return DataLoss("malformed source record");
    if (s.credential_id == credential_id) {
      return FailedPrecondition("credential " + r.info.credential_id + " is used by source " +
                                s.source_id + " (\"" + s.name + "\") of bucket \"" + s.bucket +
                                "\"; remove it from the source first");
    }
  }
  K3_RETURN_IF_ERROR(it->status());
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kRecords, sources::CredentialKey(credential_id));
  return store_->Write(*batch);
}

void SourceService::Impl::NoteCredentialOutcome(std::string_view credential_id, bool validated,
                                                bool ok, const std::string& error) {
  std::lock_guard lock(writes_mu_);
  auto r = LoadCredential(credential_id);
  if (!r.ok()) return;  // deleted meanwhile: nothing to note
  const TimestampMs now = util::NowMs();
  if (validated) {
    r->info.last_validated_at = now;
    r->info.last_validation_ok = ok;
  }
  r->info.last_error = ok ? std::string() : error;
  r->info.updated_at = now;
  Status saved = SaveCredentialRecord(*r);
  if (!saved.ok()) {
    logger_.Warn("credential " + std::string(credential_id) +
                 ": could not record the outcome: " + saved.message());
  }
}

Result<std::string> SourceService::Impl::BearerToken(std::string_view credential_id) {
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  if (r.info.credential_type == CredentialType::kAccessKey) {
    return FailedPrecondition("credential " + r.info.credential_id +
                              " is an ACCESS_KEY credential; it cannot be sent as a bearer token");
  }
  if (r.info.credential_type == CredentialType::kOAuth) return OAuthAccessToken(r, false);
  K3_ASSIGN_OR_RETURN(std::string plaintext, OpenSecret(r));
  CredentialSecret secret;
  const bool decoded = sources::DecodeSecret(plaintext, &secret);
  Wipe(plaintext);
  if (!decoded) {
    Wipe(secret);
    return DataLoss("credential " + r.info.credential_id + ": malformed secret");
  }
  std::string token = std::move(secret.token);
  Wipe(secret);
  return token;
}

Result<std::string> SourceService::Impl::PresignedCheckUrl(const CredentialRecord& r,
                                                           const std::string& endpoint) const {
  // "scheme://host[:port]/bucket[/...]": the S3 endpoint and the bucket to probe.
  const size_t host_start = endpoint.find("://");
  const size_t path_start =
      host_start == std::string::npos ? std::string::npos : endpoint.find('/', host_start + 3);
  const size_t bucket_end = path_start == std::string::npos
                                ? std::string::npos
                                : endpoint.find_first_of("/?#", path_start + 1);
  const std::string bucket =
      path_start == std::string::npos
          ? std::string()
          : endpoint.substr(path_start + 1, bucket_end == std::string::npos
                                                ? std::string::npos
                                                : bucket_end - path_start - 1);
  if (bucket.empty()) {
    return FailedPrecondition("credential " + r.info.credential_id +
                              ": an ACCESS_KEY credential is validated against an S3 bucket; "
                              "store it with endpoint \"<scheme>://<host>[:port]/<bucket>\"");
  }
  K3_ASSIGN_OR_RETURN(std::string plaintext, OpenSecret(r));
  CredentialSecret secret;
  const bool decoded = sources::DecodeSecret(plaintext, &secret);
  Wipe(plaintext);
  if (!decoded) return DataLoss("credential " + r.info.credential_id + ": malformed secret");
  storage::SigV4PresignParams params;
  params.method = "GET";
  params.endpoint = endpoint.substr(0, path_start);
  params.bucket = bucket;
  params.key = kAccessKeyProbeKey;
  params.region = kAccessKeyRegion;
  params.access_key_id = r.info.access_key_id;
  params.secret_access_key = std::move(secret.secret_access_key);
  params.expires_seconds = 300;
  params.now_ms = util::NowMs();
  auto url = storage::PresignSigV4(params);
  Wipe(params.secret_access_key);
  Wipe(secret);
  if (!url.ok()) {
    return Status(url.status().code(),
                  "credential " + r.info.credential_id + ": endpoint: " + url.status().message());
  }
  return url;
}

Result<ValidateCredentialResponse> SourceService::Impl::ValidateCredential(
    std::string_view credential_id) {
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  std::string url = r.info.endpoint;
  if (url.empty() && !r.info.source_id.empty()) {
    K3_ASSIGN_OR_RETURN(Source s, LoadSource(r.info.bucket, r.info.source_id));
    url = s.sitemap_url.empty() ? (s.urls.empty() ? std::string() : s.urls.front()) : s.sitemap_url;
  }
  if (url.empty()) {
    return FailedPrecondition("credential " + r.info.credential_id +
                              " has no endpoint and its source has no URL: nothing to validate "
                              "against (store it with an endpoint)");
  }
  const bool access_key = r.info.credential_type == CredentialType::kAccessKey;
  sources::FetchRequest request;
  Status prepared = [&]() -> Status {
    if (access_key) {
      K3_ASSIGN_OR_RETURN(request.url, PresignedCheckUrl(r, url));
      return Status();
    }
    request.url = url;
    K3_ASSIGN_OR_RETURN(request.bearer_token, BearerToken(credential_id));
    return Status();
  }();
  if (!prepared.ok()) {
    NoteCredentialOutcome(credential_id, true, false, prepared.message());
    return prepared;
  }
  request.max_bytes = kValidationMaxBytes;
  auto fetched = sources::Fetch(request, {});
  Wipe(request.bearer_token);
  // An S3 endpoint that knows the signature answers 404 for the probe key; a body over the
  // cap is refused after the (accepted) answer's headers.
  const StatusCode early = fetched.ok() ? StatusCode::kOk : fetched.status().code();
  if ((access_key && early == StatusCode::kNotFound) || early == StatusCode::kResourceExhausted) {
    sources::FetchResult not_found;
    not_found.http_status = 404;
    fetched = not_found;
  }
  ValidateCredentialResponse out;
  out.url = sources::DescribeUrlForError(url);
  out.validated_at = util::NowMs();
  if (fetched.ok()) {
    out.valid = true;
    out.message = "GET " + out.url + " answered " + std::to_string(fetched->http_status);
    NoteCredentialOutcome(credential_id, true, true, "");
    return out;
  }
  const StatusCode code = fetched.status().code();
  if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
    out.valid = false;
    out.message = fetched.status().message();
    NoteCredentialOutcome(credential_id, true, false, out.message);
    return out;
  }
  NoteCredentialOutcome(credential_id, true, false, fetched.status().message());
  // The credential exists: an endpoint's 404 (or another refusal) is a precondition of it.
  const StatusCode reported =
      code == StatusCode::kNotFound ? StatusCode::kFailedPrecondition : code;
  return Status(reported, "validating credential " + r.info.credential_id + ": " +
                              fetched.status().message());
}

}  // namespace k3
