// k3/sources.h: SourceService — where a bucket's objects come from (K3's dodil.k3.source.v1).
// Every bucket has one internal source (SOURCE_PROVIDER_INTERNAL_S3), created with the bucket
// and removed with it. Sources of other providers import into the bucket: a sync diffs the
// source against what the last sync recorded and puts new and changed items as objects (which
// fires the bucket's rules) and deletes the objects of items that are gone. Credentials hold
// the secrets sources (and the http embedder) authenticate with, encrypted at rest.
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_SOURCES_H_
#define K3_SOURCES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

enum class SourceProvider : int {
  kUnspecified = 0,
  kInternalS3 = 1,
  kGoogleDrive = 2,
  kSharepoint = 3,
  kConfluence = 4,
  kGithub = 5,
  kLocalDir = 6,
  kHttp = 7,
  kRemoteS3 = 8,
};

enum class SourceStatus : int {
  kUnspecified = 0,
  kActive = 1,
  kSyncing = 2,
  kError = 3,
  kDisabled = 4,
};

// Where a source's objects land and how it behaves. The provider-specific fields:
//  - SOURCE_PROVIDER_LOCAL_DIR: root_path, an absolute path to a directory on this machine,
//    walked recursively; symlinks are followed only to targets inside the root (others are
//    skipped and reported by the sync). No credential.
//  - SOURCE_PROVIDER_HTTP: urls (http/https), or sitemap_url whose <loc> entries are the list
//    (a sitemap index is followed one level deep); optional credential_id (PAT, API key or
//    OAuth credential of provider HTTP) sent as a bearer token, only to the hosts of `urls` or
//    `sitemap_url` (not to other hosts a sitemap lists), and only over https or to a loopback
//    address (create/update refuse a credential with a plain-http URL elsewhere).
// An item of the source is imported as the object "<key_prefix>/<path>", where path is the
// file's path under the root, or "<host>[:port]<url path>" for a URL ("index.html" appended
// to a path ending in '/', "?<query>" kept). The key prefix belongs to the source: objects
// under it are attributed to the source (rules with this source_id fire for them), and no two
// sources of a bucket may have overlapping prefixes.
struct Source {
  std::string source_id;  // "src_..."
  std::string bucket;
  SourceProvider provider = SourceProvider::kUnspecified;
  std::string name;  // unique within the bucket
  std::string description;
  std::string root_path;
  std::string provider_account;
  int64_t sync_interval_seconds = 0;  // 0 = manual only; else synced in the background
  bool enabled = true;                // a disabled source is not synced (status DISABLED)
  SourceStatus status = SourceStatus::kActive;
  uint64_t total_objects = 0;    // items imported and present in the bucket
  uint64_t indexed_objects = 0;  // of those, objects whose rule jobs all completed
  uint64_t total_bytes = 0;      // bytes of the imported items
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  TimestampMs last_sync_at = 0;     // end of the last sync, good or not
  TimestampMs last_success_at = 0;  // end of the last sync without errors
  // Ours (not in K3's reference):
  std::vector<std::string> urls;  // HTTP
  std::string sitemap_url;        // HTTP
  std::string key_prefix;         // default: the source's name
  bool delete_missing = true;     // items gone from the source delete their objects
  std::string credential_id;      // HTTP: "" = anonymous
  std::string last_error;         // why the last sync failed ("" when it succeeded)
};

struct CreateSourceRequest {
  std::string bucket;
  SourceProvider provider = SourceProvider::kUnspecified;  // LOCAL_DIR or HTTP
  std::string name;
  std::string description;
  std::string root_path;
  std::string provider_account;
  int64_t sync_interval_seconds = 0;
  bool enabled = true;
  std::vector<std::string> urls;
  std::string sitemap_url;
  std::string key_prefix;  // "" = name
  bool delete_missing = true;
  std::string credential_id;
};

// PATCH: only the fields that are set change. The provider and key prefix are fixed at
// creation (a new prefix would orphan the imported objects).
struct UpdateSourceRequest {
  std::string bucket;
  std::string source_id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> root_path;
  std::optional<std::string> provider_account;
  std::optional<int64_t> sync_interval_seconds;
  std::optional<bool> enabled;
  std::optional<std::vector<std::string>> urls;
  std::optional<std::string> sitemap_url;
  std::optional<bool> delete_missing;
  std::optional<std::string> credential_id;  // "" removes it
};

struct ListSourcesRequest {
  std::string bucket;
  int page_size = 0;  // 0 = 50
  std::string page_token;
};

struct ListSourcesResponse {
  std::vector<Source> sources;  // by id (creation order)
  Pagination pagination;
};

struct SyncSourceRequest {
  std::string bucket;
  std::string source_id;
  bool full = false;     // re-import every item, changed or not
  bool dry_run = false;  // only diff: report what a sync would do, change nothing
};

// What one sync did (or, for a dry run, would do).
struct SourceSyncReport {
  std::string source_id;
  bool dry_run = false;
  uint64_t discovered = 0;  // items the source lists now
  uint64_t added = 0;       // imported as new objects
  uint64_t changed = 0;     // re-imported
  uint64_t unchanged = 0;   // not re-imported (same size+mtime+hash, or HTTP 304 / same ETag)
  uint64_t deleted = 0;     // gone from the source: objects deleted (or, without
                            // delete_missing, forgotten)
  uint64_t failed = 0;      // items that could not be read or imported (retried next sync)
  uint64_t skipped = 0;     // entries left out: symlinks out of the root, unreadable, ...
  uint64_t bytes_imported = 0;
  // A few "path: reason" lines for failed and skipped items (at most 20).
  std::vector<std::string> problems;
  SourceStatus status = SourceStatus::kActive;  // the source's status after the sync
  std::string message;                          // one-line summary
  TimestampMs started_at = 0;
  TimestampMs finished_at = 0;
};

enum class CredentialType : int {
  kUnspecified = 0,
  kPat = 1,
  kApiKey = 2,
  kOAuth = 3,
  kAccessKey = 4,
};

// Secret payloads (exactly one, matching credential_type, in a StoreCredentialRequest).
struct PatPayload {
  std::string token;
  std::string username;  // not secret; shown in CredentialInfo
};
struct ApiKeyPayload {
  std::string key;
};
struct AccessKeyPayload {
  std::string access_key_id;  // not secret; shown in CredentialInfo
  std::string secret_access_key;
};
// An OAuth provider configuration, as the host registered the client with the provider.
struct OAuthConfig {
  std::string client_id;
  std::string client_secret;  // optional (public clients use PKCE alone); secret
  std::string authorize_url;
  std::string token_url;
  std::vector<std::string> scopes;
  std::string redirect_uri;
};
struct OAuthPayload {
  std::string access_token;
  std::string refresh_token;   // "" = cannot be refreshed
  TimestampMs expires_at = 0;  // 0 = unknown (never refreshed automatically)
  OAuthConfig config;          // for refreshes: client_id, client_secret, token_url, scopes
};

// Which credential types a provider accepts:
//   HTTP: PAT, API_KEY, OAUTH (each sent as a bearer token); REMOTE_S3: ACCESS_KEY;
//   GITHUB, CONFLUENCE: PAT, API_KEY, OAUTH; GOOGLE_DRIVE, SHAREPOINT: OAUTH;
//   LOCAL_DIR, INTERNAL_S3: none.
struct StoreCredentialRequest {
  SourceProvider provider = SourceProvider::kUnspecified;
  CredentialType credential_type = CredentialType::kUnspecified;
  std::string display_name;
  bool is_primary = false;  // at most one primary per provider: storing one demotes the other
  std::string bucket;       // with source_id: the source it belongs to (optional)
  std::string source_id;
  // Ours: the URL ValidateCredential sends an authenticated GET to when the credential
  // belongs to no source (e.g. a credential for the http embedder). http/https. For an
  // ACCESS_KEY credential: an S3 endpoint with the bucket as path
  // ("https://s3.example.com/my-bucket"), probed with a SigV4-presigned GET (region us-east-1).
  std::string endpoint;
  std::optional<PatPayload> pat;
  std::optional<ApiKeyPayload> api_key;
  std::optional<AccessKeyPayload> access_key;
  std::optional<OAuthPayload> oauth;
};

// A credential as get and list show it: never a secret (tokens, keys, client secrets).
struct CredentialInfo {
  std::string credential_id;  // "cred_..."
  SourceProvider provider = SourceProvider::kUnspecified;
  CredentialType credential_type = CredentialType::kUnspecified;
  std::string display_name;
  bool is_primary = false;
  std::string bucket;
  std::string source_id;
  std::string endpoint;
  std::string username;             // PAT
  std::string access_key_id;        // ACCESS_KEY
  std::vector<std::string> scopes;  // OAUTH
  TimestampMs expires_at = 0;       // OAUTH access token
  bool refreshable = false;         // OAUTH with a refresh token
  std::string key_fingerprint;      // the master key the secret is sealed with (not secret)
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  TimestampMs last_validated_at = 0;
  bool last_validation_ok = false;
  std::string last_error;  // of the last validation or refresh ("" when it succeeded)
};

struct ListCredentialsRequest {
  SourceProvider provider = SourceProvider::kUnspecified;  // unspecified = every provider
  int page_size = 0;                                       // 0 = 50
  std::string page_token;
};

struct ListCredentialsResponse {
  std::vector<CredentialInfo> credentials;  // by id (creation order)
  Pagination pagination;
};

struct ValidateCredentialResponse {
  bool valid = false;
  std::string message;  // e.g. "GET https://host/x answered 200"
  std::string url;      // what was requested (as error messages show URLs)
  TimestampMs validated_at = 0;
};

struct GetOAuthUrlRequest {
  SourceProvider provider = SourceProvider::kUnspecified;
  OAuthConfig config;
  std::string display_name;  // of the credential ExchangeOAuthCode stores
  bool is_primary = false;
  std::string bucket;  // optional: the source the credential will belong to
  std::string source_id;
  std::string endpoint;
};

struct GetOAuthUrlResponse {
  std::string authorization_url;  // send the user's browser here
  std::string state;              // comes back on the redirect; give it to ExchangeOAuthCode
  TimestampMs expires_at = 0;     // the pending authorization is forgotten after this
};

struct ExchangeOAuthCodeRequest {
  std::string state;  // as received on the redirect
  std::string code;
};

class K3_EXPORT SourceService {
 public:
  class Impl;
  explicit SourceService(Impl* impl) : impl_(impl) {}

  // Creates a LOCAL_DIR or HTTP source (other providers: UNIMPLEMENTED; INTERNAL_S3 sources
  // exist only as each bucket's own). INVALID_ARGUMENT naming the field for: a root_path that
  // is not absolute, does not exist or is a file; a URL that is not http/https; neither or
  // both of urls and sitemap_url; a bad name, key prefix or negative interval; a credential
  // of the wrong type or provider. NOT_FOUND for the bucket or credential. ALREADY_EXISTS for
  // a name taken in the bucket or a key prefix overlapping another source's.
  Result<Source> create_source(const CreateSourceRequest& request);
  // NOT_FOUND when the bucket or the source does not exist.
  Result<Source> get_source(std::string_view bucket, std::string_view source_id);
  Result<ListSourcesResponse> list_sources(const ListSourcesRequest& request);
  // Errors as create_source; FAILED_PRECONDITION for the internal source.
  Result<Source> update_source(const UpdateSourceRequest& request);
  // Forgets the source and its sync state; the objects it imported stay in the bucket.
  // FAILED_PRECONDITION for the bucket's internal source or while credentials or rules name
  // it (the message names them).
  Status delete_source(std::string_view bucket, std::string_view source_id);

  // Syncs the source now (see SourceSyncReport): waits for a sync of it already running.
  // The source's status is SYNCING meanwhile, then ACTIVE, or ERROR with last_error when an
  // item failed or the source could not be read (the next good sync clears it). Errors are
  // reserved for requests that cannot start: NOT_FOUND, FAILED_PRECONDITION for a disabled
  // source or the internal source, UNAVAILABLE while the database closes.
  Result<SourceSyncReport> sync_source(const SyncSourceRequest& request);

  // Credentials. The secret is sealed with AES-256-GCM under the master key (Options), bound
  // to the credential id; it never leaves SourceService except as a request header.
  // INVALID_ARGUMENT for a missing or second payload, a payload not matching credential_type,
  // a type the provider does not accept, empty secrets; NOT_FOUND for the source.
  Result<CredentialInfo> store_credential(const StoreCredentialRequest& request);
  Result<CredentialInfo> get_credential(std::string_view credential_id);
  Result<ListCredentialsResponse> list_credentials(const ListCredentialsRequest& request);
  // FAILED_PRECONDITION while a source uses it (the message names the source).
  Status delete_credential(std::string_view credential_id);
  // Sends an authenticated GET to the credential's source (its first URL or its sitemap) or
  // endpoint: valid when it answers 2xx/304 (ACCESS_KEY: also 404 for the probe key), invalid
  // (valid = false, no error) on 401/403.
  // Reads at most 1 MiB of the answer. Records the outcome in the CredentialInfo. Errors:
  // FAILED_PRECONDITION when there is nothing to validate against, the secret cannot be
  // opened (another master key) or the endpoint answers another 4xx (404 included);
  // UNAVAILABLE when the server cannot be reached or fails; DEADLINE_EXCEEDED on a timeout.
  Result<ValidateCredentialResponse> validate_credential(std::string_view credential_id);

  // OAuth authorization-code flow with PKCE (S256). get_oauth_url remembers the verifier and
  // configuration (sealed) for 10 minutes under a random state. exchange_oauth_code checks the
  // state (INVALID_ARGUMENT when no pending authorization has it; each state works once),
  // posts the code to the token endpoint and stores an OAUTH credential. refresh_oauth_token
  // refreshes now; tokens are also refreshed automatically when used within 60 s of expiry.
  // A failed refresh is FAILED_PRECONDITION (re-authorize), UNAUTHENTICATED or UNAVAILABLE as
  // the endpoint answered, recorded in last_error.
  Result<GetOAuthUrlResponse> get_oauth_url(const GetOAuthUrlRequest& request);
  Result<CredentialInfo> exchange_oauth_code(const ExchangeOAuthCodeRequest& request);
  Result<CredentialInfo> refresh_oauth_token(std::string_view credential_id);

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_SOURCES_H_
