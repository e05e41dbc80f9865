// wire/sources_json.h: the K3 JSON form of SourceService's types (k3/sources.h), following the
// conventions of wire/json_util.h (see wire/storage_json.h for the contract of ToJson /
// FromJson): ToJson emits every field, camelCase, 64-bit integers (counters included) as
// decimal strings, enums by wire name; FromJson reads camelCase or snake_case, leaves absent
// (or null) fields as they are in *out (initialise *out with the defaults first), ignores
// unknown fields and answers INVALID_ARGUMENT naming the field, with `path` as its prefix, for
// a wrong-typed one or an unknown enum name.
//
// Secrets only come in: the types that carry one (StoreCredentialRequest and its payloads,
// OAuthConfig with its client secret, GetOAuthUrlRequest, ExchangeOAuthCodeRequest with its
// authorization code) have a FromJson and deliberately no ToJson, so that nothing in k3 can
// serialize a secret. CredentialInfo, what get and list answer, holds none.
// Thread-safety: free functions on values.
#ifndef K3_WIRE_SOURCES_JSON_H_
#define K3_WIRE_SOURCES_JSON_H_

#include <string_view>

#include "k3/sources.h"
#include "wire/json_util.h"

namespace k3::wire {

inline constexpr EnumName kSourceProviderNames[] = {
    {static_cast<int>(SourceProvider::kUnspecified), "SOURCE_PROVIDER_UNSPECIFIED"},
    {static_cast<int>(SourceProvider::kInternalS3), "SOURCE_PROVIDER_INTERNAL_S3"},
    {static_cast<int>(SourceProvider::kGoogleDrive), "SOURCE_PROVIDER_GOOGLE_DRIVE"},
    {static_cast<int>(SourceProvider::kSharepoint), "SOURCE_PROVIDER_SHAREPOINT"},
    {static_cast<int>(SourceProvider::kConfluence), "SOURCE_PROVIDER_CONFLUENCE"},
    {static_cast<int>(SourceProvider::kGithub), "SOURCE_PROVIDER_GITHUB"},
    {static_cast<int>(SourceProvider::kLocalDir), "SOURCE_PROVIDER_LOCAL_DIR"},
    {static_cast<int>(SourceProvider::kHttp), "SOURCE_PROVIDER_HTTP"},
    {static_cast<int>(SourceProvider::kRemoteS3), "SOURCE_PROVIDER_REMOTE_S3"},
};
inline constexpr EnumInfo kSourceProviderEnum{"SOURCE_PROVIDER_", kSourceProviderNames};

inline constexpr EnumName kSourceStatusNames[] = {
    {static_cast<int>(SourceStatus::kUnspecified), "SOURCE_STATUS_UNSPECIFIED"},
    {static_cast<int>(SourceStatus::kActive), "SOURCE_STATUS_ACTIVE"},
    {static_cast<int>(SourceStatus::kSyncing), "SOURCE_STATUS_SYNCING"},
    {static_cast<int>(SourceStatus::kError), "SOURCE_STATUS_ERROR"},
    {static_cast<int>(SourceStatus::kDisabled), "SOURCE_STATUS_DISABLED"},
};
inline constexpr EnumInfo kSourceStatusEnum{"SOURCE_STATUS_", kSourceStatusNames};

// CREDENTIAL_TYPE_*; short forms ("pat", "api_key", "api-key", "oauth", "access_key")
// accepted on input.
inline constexpr EnumName kCredentialTypeNames[] = {
    {static_cast<int>(CredentialType::kUnspecified), "CREDENTIAL_TYPE_UNSPECIFIED"},
    {static_cast<int>(CredentialType::kPat), "CREDENTIAL_TYPE_PAT"},
    {static_cast<int>(CredentialType::kApiKey), "CREDENTIAL_TYPE_API_KEY"},
    {static_cast<int>(CredentialType::kOAuth), "CREDENTIAL_TYPE_OAUTH"},
    {static_cast<int>(CredentialType::kAccessKey), "CREDENTIAL_TYPE_ACCESS_KEY"},
};
inline constexpr EnumInfo kCredentialTypeEnum{"CREDENTIAL_TYPE_", kCredentialTypeNames};

// ---- Sources ----

// {sourceId, bucket, provider, name, description, rootPath, providerAccount,
//  syncIntervalSeconds, enabled, status, totalObjects, indexedObjects, totalBytes, createdAt,
//  updatedAt, lastSyncAt, lastSuccessAt, urls, sitemapUrl, keyPrefix, deleteMissing,
//  credentialId, lastError}
Json ToJson(const Source& v);
Status FromJson(const Json& j, Source* out, std::string_view path = {});
// {bucket, provider, name, description, rootPath, providerAccount, syncIntervalSeconds,
//  enabled, urls, sitemapUrl, keyPrefix, deleteMissing, credentialId}. Absent fields keep
// *out's values (CreateSourceRequest's defaults: enabled and deleteMissing true).
Json ToJson(const CreateSourceRequest& v);
Status FromJson(const Json& j, CreateSourceRequest* out, std::string_view path = {});
// PATCH: {bucket, sourceId, name?, description?, rootPath?, providerAccount?,
//  syncIntervalSeconds?, enabled?, urls?, sitemapUrl?, deleteMissing?, credentialId?}; a field
// present (not null) sets its optional (an empty urls list or credentialId "" included),
// absent fields stay nullopt. `provider` or `keyPrefix` present (not null) is INVALID_ARGUMENT
// naming it: both are fixed at creation. No ToJson: a PATCH document is written by clients.
Status FromJson(const Json& j, UpdateSourceRequest* out, std::string_view path = {});
// {bucket, pageSize, pageToken}
Json ToJson(const ListSourcesRequest& v);
Status FromJson(const Json& j, ListSourcesRequest* out, std::string_view path = {});
// {sources, pagination}
Json ToJson(const ListSourcesResponse& v);
Status FromJson(const Json& j, ListSourcesResponse* out, std::string_view path = {});

// ---- Sync ----

// {bucket, sourceId, full, dryRun}
Json ToJson(const SyncSourceRequest& v);
Status FromJson(const Json& j, SyncSourceRequest* out, std::string_view path = {});
// {sourceId, dryRun, discovered, added, changed, unchanged, deleted, failed, skipped,
//  bytesImported, problems, status, message, startedAt, finishedAt}; counters and times as
// strings.
Json ToJson(const SourceSyncReport& v);
Status FromJson(const Json& j, SourceSyncReport* out, std::string_view path = {});

// ---- Credentials (input only where a secret travels) ----

// {token, username}
Status FromJson(const Json& j, PatPayload* out, std::string_view path = {});
// {key}
Status FromJson(const Json& j, ApiKeyPayload* out, std::string_view path = {});
// {accessKeyId, secretAccessKey}
Status FromJson(const Json& j, AccessKeyPayload* out, std::string_view path = {});
// {clientId, clientSecret, authorizeUrl, tokenUrl, scopes, redirectUri}
Status FromJson(const Json& j, OAuthConfig* out, std::string_view path = {});
// {accessToken, refreshToken, expiresAt, config}
Status FromJson(const Json& j, OAuthPayload* out, std::string_view path = {});
// {provider, credentialType, displayName, isPrimary, bucket, sourceId, endpoint, and at most
//  one payload of pat | apiKey | accessKey | oauth}. A second payload is INVALID_ARGUMENT
// naming both; whether the payload is missing or matches credentialType and the provider is
// the service's to check.
Status FromJson(const Json& j, StoreCredentialRequest* out, std::string_view path = {});
// {credentialId, provider, credentialType, displayName, isPrimary, bucket, sourceId, endpoint,
//  username, accessKeyId, scopes, expiresAt, refreshable, keyFingerprint, createdAt, updatedAt,
//  lastValidatedAt, lastValidationOk, lastError}
Json ToJson(const CredentialInfo& v);
Status FromJson(const Json& j, CredentialInfo* out, std::string_view path = {});
// {provider, pageSize, pageToken}; provider absent, "" or unspecified = every provider.
Json ToJson(const ListCredentialsRequest& v);
Status FromJson(const Json& j, ListCredentialsRequest* out, std::string_view path = {});
// {credentials, pagination}
Json ToJson(const ListCredentialsResponse& v);
Status FromJson(const Json& j, ListCredentialsResponse* out, std::string_view path = {});
// {valid, message, url, validatedAt}
Json ToJson(const ValidateCredentialResponse& v);
Status FromJson(const Json& j, ValidateCredentialResponse* out, std::string_view path = {});

// ---- OAuth ----

// {provider, config, displayName, isPrimary, bucket, sourceId, endpoint}
Status FromJson(const Json& j, GetOAuthUrlRequest* out, std::string_view path = {});
// {authorizationUrl, state, expiresAt}
Json ToJson(const GetOAuthUrlResponse& v);
Status FromJson(const Json& j, GetOAuthUrlResponse* out, std::string_view path = {});
// {state, code}
Status FromJson(const Json& j, ExchangeOAuthCodeRequest* out, std::string_view path = {});

}  // namespace k3::wire

#endif  // K3_WIRE_SOURCES_JSON_H_
