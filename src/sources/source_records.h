// sources/source_records.h: how SourceService keeps its state in the store (kv::Cf::kRecords).
//
//   "source/<bucket>\0<source id>"            -> Source
//   "srcitem/<bucket>\0<source id>\0<item>"   -> SourceItem (item = relative path, or URL)
//   "cred/<credential id>"                    -> CredentialRecord
//   "oauthflow/<hex SHA-256 of the state>"    -> OAuthFlow (a pending authorization)
//
// Bucket-scoped keys start with "<kind>/<bucket>\0", so a bucket's records of one kind are one
// key range. Records grow by appending fields; decoders accept records without the newer ones.
// Thread-safety: pure functions.
#ifndef K3_SOURCES_SOURCE_RECORDS_H_
#define K3_SOURCES_SOURCE_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "k3/sources.h"

namespace k3::sources {

// What the last good import of one item recorded.
struct SourceItem {
  std::string object_key;
  std::string object_etag;  // the ETag of the object the import put
  uint64_t size = 0;
  int64_t mtime_ns = 0;       // LOCAL_DIR
  std::string sha256;         // LOCAL_DIR: lowercase hex of the content
  std::string etag;           // HTTP: the server's validators
  std::string last_modified;  // HTTP
};

// A credential as stored: what CredentialInfo shows, plus the sealed secret.
struct CredentialRecord {
  CredentialInfo info;
  std::string sealed_secret;  // secret_box blob, associated data = the credential id
};

// The plaintext of a credential's sealed secret (only ever in memory). The fields of the
// credential's type are set; the others stay empty.
struct CredentialSecret {
  CredentialType type = CredentialType::kUnspecified;
  std::string token;              // PAT token, API key, or OAuth access token
  std::string secret_access_key;  // ACCESS_KEY
  std::string refresh_token;      // OAUTH
  TimestampMs expires_at = 0;     // OAUTH
  OAuthConfig config;             // OAUTH
};
std::string EncodeSecret(const CredentialSecret& s);
bool DecodeSecret(std::string_view in, CredentialSecret* s);

// A pending OAuth authorization (GetOAuthUrl until ExchangeOAuthCode or expiry).
struct OAuthFlow {
  TimestampMs expires_at = 0;
  SourceProvider provider = SourceProvider::kUnspecified;
  std::string display_name;
  bool is_primary = false;
  std::string bucket;
  std::string source_id;
  std::string endpoint;
  std::string sealed;  // the code verifier and OAuthConfig, sealed; associated data = the key
};

std::string SourcePrefix(std::string_view bucket);  // "source/<b>\0"
std::string SourceKey(std::string_view bucket, std::string_view source_id);
inline constexpr std::string_view kAllSourcesPrefix = "source/";
std::string EncodeSource(const Source& s);
bool DecodeSource(std::string_view in, Source* s);

std::string ItemBucketPrefix(std::string_view bucket);  // "srcitem/<b>\0"
std::string ItemPrefix(std::string_view bucket, std::string_view source_id);
std::string ItemKey(std::string_view bucket, std::string_view source_id, std::string_view item);
std::string EncodeItem(const SourceItem& item);
bool DecodeItem(std::string_view in, SourceItem* item);

inline constexpr std::string_view kCredentialPrefix = "cred/";
std::string CredentialKey(std::string_view credential_id);
std::string EncodeCredential(const CredentialRecord& r);
bool DecodeCredential(std::string_view in, CredentialRecord* r);

inline constexpr std::string_view kOAuthFlowPrefix = "oauthflow/";
std::string OAuthFlowKey(std::string_view state);
std::string EncodeOAuthFlow(const OAuthFlow& f);
bool DecodeOAuthFlow(std::string_view in, OAuthFlow* f);

}  // namespace k3::sources

#endif  // K3_SOURCES_SOURCE_RECORDS_H_
