// sources/oauth_flow.cc: SourceService::Impl — the OAuth authorization-code flow with PKCE
// (GetOAuthUrl, ExchangeOAuthCode) and the refresh of OAUTH credentials, on demand and before
// an expiring access token is used. The protocol itself is in oauth.{h,cc}.
#include <openssl/crypto.h>

#include "kv/codec.h"
#include "sources/oauth.h"
#include "sources/source_impl.h"
#include "util/clock.h"

namespace k3 {

using sources::CredentialRecord;
using sources::CredentialSecret;

namespace {

constexpr int64_t kOAuthFlowLifetimeMs = 10 * 60 * 1000;

sources::OAuthProvider ToProvider(const OAuthConfig& c) {
  return {c.client_id, c.client_secret, c.authorize_url, c.token_url, c.scopes, c.redirect_uri};
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// The sealed part of a pending flow: the code verifier and the provider configuration.
std::string EncodeFlowSecret(std::string_view verifier, const OAuthConfig& c) {
  CredentialSecret s;
  s.type = CredentialType::kOAuth;
  s.token = std::string(verifier);
  s.config = c;
  std::string out = sources::EncodeSecret(s);
  Wipe(s.token);
  Wipe(s.config.client_secret);
  return out;
}

}  // namespace

Result<GetOAuthUrlResponse> SourceService::Impl::GetOAuthUrl(const GetOAuthUrlRequest& r) {
  // The credential this flow will store must be storable: same checks as StoreCredential.
  StoreCredentialRequest probe;
  probe.provider = r.provider;
  probe.credential_type = CredentialType::kOAuth;
  probe.display_name = r.display_name;
  probe.bucket = r.bucket;
  probe.source_id = r.source_id;
  probe.endpoint = r.endpoint;
  K3_RETURN_IF_ERROR(CheckStorable(probe));
  const sources::OAuthProvider provider = ToProvider(r.config);
  Status config = sources::Validate(provider);
  if (!config.ok()) return InvalidArgument("config: " + config.message());

  std::string verifier = sources::NewCodeVerifier();
  GetOAuthUrlResponse out;
  out.state = sources::NewState();
  out.authorization_url =
      sources::AuthorizeUrl(provider, out.state, sources::CodeChallengeS256(verifier));
  const TimestampMs now = util::NowMs();
  out.expires_at = now + kOAuthFlowLifetimeMs;

  sources::OAuthFlow flow;
  flow.expires_at = out.expires_at;
  flow.provider = r.provider;
  flow.display_name = r.display_name;
  flow.is_primary = r.is_primary;
  flow.bucket = r.bucket;
  flow.source_id = r.source_id;
  flow.endpoint = r.endpoint;
  const std::string key = sources::OAuthFlowKey(out.state);
  std::string plaintext = EncodeFlowSecret(verifier, r.config);
  Wipe(verifier);
  auto sealed = sources::Seal(master_key_, plaintext, key);
  Wipe(plaintext);
  K3_RETURN_IF_ERROR(sealed.status());
  flow.sealed = std::move(sealed).value();

  auto batch = store_->NewBatch();
  // Expired flows are dropped on the way (there are few: one per authorization in progress).
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kOAuthFlowPrefix));
  for (it->Seek(sources::kOAuthFlowPrefix); it->Valid(); it->Next()) {
    sources::OAuthFlow old;
    if (!sources::DecodeOAuthFlow(it->value(), &old) || old.expires_at < now) {
      batch->Delete(kv::Cf::kRecords, it->key());
    }
  }
  K3_RETURN_IF_ERROR(it->status());
  batch->Put(kv::Cf::kRecords, key, sources::EncodeOAuthFlow(flow));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  return out;
}

Result<CredentialInfo> SourceService::Impl::ExchangeOAuthCode(const ExchangeOAuthCodeRequest& r) {
  if (r.code.empty()) return InvalidArgument("code: required");
  if (r.state.empty()) return InvalidArgument("state: required");
  const std::string key = sources::OAuthFlowKey(r.state);
  sources::OAuthFlow flow;
  {
    // Each state is used once: the flow is removed before the code is exchanged.
    std::lock_guard lock(writes_mu_);
    K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, key));
    if (!value || !sources::DecodeOAuthFlow(*value, &flow)) {
      return InvalidArgument(
          "state: OAuth state does not match any pending authorization (unknown, already used "
          "or expired); start again with GetOAuthUrl");
    }
    auto batch = store_->NewBatch();
    batch->Delete(kv::Cf::kRecords, key);
    K3_RETURN_IF_ERROR(store_->Write(*batch));
  }
  if (flow.expires_at < util::NowMs()) {
    return InvalidArgument(
        "state: the OAuth authorization expired (authorizations last 10 "
        "minutes); start again with GetOAuthUrl");
  }
  K3_ASSIGN_OR_RETURN(std::string plaintext, sources::Open(master_key_, flow.sealed, key));
  CredentialSecret pending;
  const bool decoded = sources::DecodeSecret(plaintext, &pending);
  Wipe(plaintext);
  if (!decoded) return DataLoss("malformed pending OAuth authorization");
  const sources::OAuthProvider provider = ToProvider(pending.config);
  auto tokens = sources::ExchangeCode(provider, r.code, pending.token, util::NowMs());
  Wipe(pending.token);
  if (!tokens.ok()) {
    Wipe(pending.config.client_secret);
    return Status(tokens.status().code(),
                  "exchanging the OAuth code failed: " + tokens.status().message());
  }
  StoreCredentialRequest store;
  store.provider = flow.provider;
  store.credential_type = CredentialType::kOAuth;
  store.display_name = flow.display_name;
  store.is_primary = flow.is_primary;
  store.bucket = flow.bucket;
  store.source_id = flow.source_id;
  store.endpoint = flow.endpoint;
  store.oauth = OAuthPayload{tokens->access_token, tokens->refresh_token, tokens->expires_at_ms,
                             pending.config};
  store.oauth->config.scopes = tokens->scopes;
  Wipe(pending.config.client_secret);
  Wipe(tokens->access_token);
  Wipe(tokens->refresh_token);
  auto info = StoreCredential(store);
  Wipe(store.oauth->access_token);
  Wipe(store.oauth->refresh_token);
  Wipe(store.oauth->config.client_secret);
  return info;
}

Result<std::string> SourceService::Impl::OAuthAccessToken(const CredentialRecord& loaded,
                                                          bool force_refresh) {
  const std::string& id = loaded.info.credential_id;
  auto refresh_lock = refresh_locks_.Acquire(id);
  // Another thread may have refreshed while this one waited: read the record again.
  K3_ASSIGN_OR_RETURN(CredentialRecord record, LoadCredential(id));
  K3_ASSIGN_OR_RETURN(std::string plaintext, OpenSecret(record));
  CredentialSecret secret;
  const bool decoded = sources::DecodeSecret(plaintext, &secret);
  Wipe(plaintext);
  if (!decoded) return DataLoss("credential " + id + ": malformed secret");
  const TimestampMs now = util::NowMs();
  sources::OAuthTokens current;
  current.access_token = secret.token;
  current.expires_at_ms = secret.expires_at;
  const bool needed = force_refresh || sources::NeedsRefresh(current, now);
  Wipe(current.access_token);
  if (!needed) {
    std::string token = std::move(secret.token);
    Wipe(secret.refresh_token);
    Wipe(secret.config.client_secret);
    return token;
  }
  auto fail = [&](Status s) -> Status {
    Wipe(secret.token);
    Wipe(secret.refresh_token);
    Wipe(secret.config.client_secret);
    Status out(s.code(),
               "credential " + id + ": refreshing the OAuth token failed: " + s.message());
    NoteCredentialOutcome(id, false, false, out.message());
    return out;
  };
  if (secret.refresh_token.empty()) {
    return fail(FailedPrecondition(
        force_refresh ? "it has no refresh token; re-authorize with GetOAuthUrl"
                      : "the access token expired and there is no refresh token; re-authorize "
                        "with GetOAuthUrl"));
  }
  auto tokens = sources::Refresh(ToProvider(secret.config), secret.refresh_token, now);
  if (!tokens.ok()) return fail(tokens.status());
  Wipe(secret.token);
  Wipe(secret.refresh_token);
  secret.token = tokens->access_token;
  secret.refresh_token = tokens->refresh_token;
  secret.expires_at = tokens->expires_at_ms;
  Wipe(tokens->refresh_token);
  std::string fresh = sources::EncodeSecret(secret);
  std::string token = std::move(secret.token);
  Wipe(secret.refresh_token);
  Wipe(secret.config.client_secret);
  auto sealed = sources::Seal(master_key_, fresh, id);
  Wipe(fresh);
  if (!sealed.ok()) {
    Wipe(token);
    return sealed.status();
  }
  {
    std::lock_guard lock(writes_mu_);
    K3_ASSIGN_OR_RETURN(CredentialRecord latest, LoadCredential(id));
    latest.sealed_secret = std::move(sealed).value();
    latest.info.expires_at = tokens->expires_at_ms;
    latest.info.scopes = tokens->scopes;
    latest.info.refreshable = !tokens->refresh_token.empty() || latest.info.refreshable;
    latest.info.key_fingerprint = master_key_.fingerprint();
    latest.info.last_error.clear();
    latest.info.updated_at = util::NowMs();
    Status saved = SaveCredentialRecord(latest);
    if (!saved.ok()) {
      Wipe(token);
      return saved;
    }
  }
  Wipe(tokens->access_token);
  return token;
}

Result<CredentialInfo> SourceService::Impl::RefreshOAuthToken(std::string_view credential_id) {
  K3_ASSIGN_OR_RETURN(CredentialRecord r, LoadCredential(credential_id));
  if (r.info.credential_type != CredentialType::kOAuth) {
    return FailedPrecondition("credential " + r.info.credential_id + " is not an OAUTH credential");
  }
  K3_ASSIGN_OR_RETURN(std::string token, OAuthAccessToken(r, /*force_refresh=*/true));
  Wipe(token);
  return GetCredential(credential_id);
}

}  // namespace k3
