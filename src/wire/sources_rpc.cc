// SourceService's RPCs (K3's dodil.k3.source.v1) in the RPC table: sources, sync (ours:
// SyncSource), credentials and OAuth. Request and response forms are those of
// wire/sources_json.h; methods that answer nothing answer {}.
#include <string>

#include "wire/rpc_table.h"
#include "wire/sources_json.h"

namespace k3::wire {

namespace {

// {bucket, sourceId}
Status BucketAndSource(const Json& req, std::string* bucket, std::string* source_id) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  return f.Get("sourceId", source_id);
}

// {credentialId}
Status CredentialIdOf(const Json& req, std::string* credential_id) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  return f.Get("credentialId", credential_id);
}

// ---- Sources ----

// CreateSourceRequest -> Source
Result<Json> CreateSource(Db& db, const Json& req) {
  CreateSourceRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Source source, db.sources().create_source(r));
  return ToJson(source);
}

// {bucket, sourceId} -> Source
Result<Json> GetSource(Db& db, const Json& req) {
  std::string bucket, source_id;
  K3_RETURN_IF_ERROR(BucketAndSource(req, &bucket, &source_id));
  K3_ASSIGN_OR_RETURN(Source source, db.sources().get_source(bucket, source_id));
  return ToJson(source);
}

// {bucket, pageSize, pageToken} -> {sources, pagination}
Result<Json> ListSources(Db& db, const Json& req) {
  ListSourcesRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListSourcesResponse resp, db.sources().list_sources(r));
  return ToJson(resp);
}

// {bucket, sourceId, <present fields change>} -> Source
Result<Json> UpdateSource(Db& db, const Json& req) {
  UpdateSourceRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Source source, db.sources().update_source(r));
  return ToJson(source);
}

// {bucket, sourceId} -> {}
Result<Json> DeleteSource(Db& db, const Json& req) {
  std::string bucket, source_id;
  K3_RETURN_IF_ERROR(BucketAndSource(req, &bucket, &source_id));
  K3_RETURN_IF_ERROR(db.sources().delete_source(bucket, source_id));
  return EmptyResponse();
}

// Ours. {bucket, sourceId, full, dryRun} -> SourceSyncReport
Result<Json> SyncSource(Db& db, const Json& req) {
  SyncSourceRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(SourceSyncReport report, db.sources().sync_source(r));
  return ToJson(report);
}

// ---- Credentials ----

// StoreCredentialRequest -> CredentialInfo
Result<Json> StoreCredential(Db& db, const Json& req) {
  StoreCredentialRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(CredentialInfo info, db.sources().store_credential(r));
  return ToJson(info);
}

// {credentialId} -> CredentialInfo
Result<Json> GetCredential(Db& db, const Json& req) {
  std::string credential_id;
  K3_RETURN_IF_ERROR(CredentialIdOf(req, &credential_id));
  K3_ASSIGN_OR_RETURN(CredentialInfo info, db.sources().get_credential(credential_id));
  return ToJson(info);
}

// {provider, pageSize, pageToken} -> {credentials, pagination}
Result<Json> ListCredentials(Db& db, const Json& req) {
  ListCredentialsRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(ListCredentialsResponse resp, db.sources().list_credentials(r));
  return ToJson(resp);
}

// {credentialId} -> {}
Result<Json> DeleteCredential(Db& db, const Json& req) {
  std::string credential_id;
  K3_RETURN_IF_ERROR(CredentialIdOf(req, &credential_id));
  K3_RETURN_IF_ERROR(db.sources().delete_credential(credential_id));
  return EmptyResponse();
}

// {credentialId} -> {valid, message, url, validatedAt}
Result<Json> ValidateCredential(Db& db, const Json& req) {
  std::string credential_id;
  K3_RETURN_IF_ERROR(CredentialIdOf(req, &credential_id));
  K3_ASSIGN_OR_RETURN(ValidateCredentialResponse resp,
                      db.sources().validate_credential(credential_id));
  return ToJson(resp);
}

// ---- OAuth ----

// {provider, config, displayName, isPrimary, bucket, sourceId, endpoint}
// -> {authorizationUrl, state, expiresAt}
Result<Json> GetOAuthUrl(Db& db, const Json& req) {
  GetOAuthUrlRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(GetOAuthUrlResponse resp, db.sources().get_oauth_url(r));
  return ToJson(resp);
}

// {state, code} -> CredentialInfo
Result<Json> ExchangeOAuthCode(Db& db, const Json& req) {
  ExchangeOAuthCodeRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(CredentialInfo info, db.sources().exchange_oauth_code(r));
  return ToJson(info);
}

// {credentialId} -> CredentialInfo
Result<Json> RefreshOAuthToken(Db& db, const Json& req) {
  std::string credential_id;
  K3_RETURN_IF_ERROR(CredentialIdOf(req, &credential_id));
  K3_ASSIGN_OR_RETURN(CredentialInfo info, db.sources().refresh_oauth_token(credential_id));
  return ToJson(info);
}

}  // namespace

void RegisterSourceRpcs(RpcTable& table) {
  constexpr std::string_view kService = "SourceService";
  table.Add(kService, "CreateSource", &CreateSource);
  table.Add(kService, "GetSource", &GetSource);
  table.Add(kService, "ListSources", &ListSources);
  table.Add(kService, "UpdateSource", &UpdateSource);
  table.Add(kService, "DeleteSource", &DeleteSource);
  table.Add(kService, "SyncSource", &SyncSource);
  table.Add(kService, "StoreCredential", &StoreCredential);
  table.Add(kService, "GetCredential", &GetCredential);
  table.Add(kService, "ListCredentials", &ListCredentials);
  table.Add(kService, "DeleteCredential", &DeleteCredential);
  table.Add(kService, "ValidateCredential", &ValidateCredential);
  table.Add(kService, "GetOAuthUrl", &GetOAuthUrl);
  table.Add(kService, "ExchangeOAuthCode", &ExchangeOAuthCode);
  table.Add(kService, "RefreshOAuthToken", &RefreshOAuthToken);
}

}  // namespace k3::wire
