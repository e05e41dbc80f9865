// The encodings of SourceService's records: see source_records.h.
#include "sources/source_records.h"

#include "kv/codec.h"
#include "util/hash.h"

namespace k3::sources {
namespace {

std::string Scoped(std::string_view kind, std::string_view bucket) {
  std::string k(kind);
  k.append(bucket);
  k.push_back('\0');
  return k;
}

}  // namespace

std::string SourcePrefix(std::string_view bucket) { return Scoped("source/", bucket); }

std::string SourceKey(std::string_view bucket, std::string_view source_id) {
  return SourcePrefix(bucket).append(source_id);
}

std::string EncodeSource(const Source& s) {
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
  // Appended with external sources.
  e.PutStringList(s.urls);
  e.PutString(s.sitemap_url);
  e.PutString(s.key_prefix);
  e.PutBool(s.delete_missing);
  e.PutString(s.credential_id);
  e.PutString(s.last_error);
  return e.Take();
}

bool DecodeSource(std::string_view in, Source* s) {
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
  if (!ok) return false;
  if (d.done()) return true;  // an internal source written before external sources existed
  return d.GetStringList(&s->urls) && d.GetString(&s->sitemap_url) && d.GetString(&s->key_prefix) &&
         d.GetBool(&s->delete_missing) && d.GetString(&s->credential_id) &&
         d.GetString(&s->last_error);
}

std::string ItemBucketPrefix(std::string_view bucket) { return Scoped("srcitem/", bucket); }

std::string ItemPrefix(std::string_view bucket, std::string_view source_id) {
  std::string k = ItemBucketPrefix(bucket);
  k.append(source_id);
  k.push_back('\0');
  return k;
}

std::string ItemKey(std::string_view bucket, std::string_view source_id, std::string_view item) {
  return ItemPrefix(bucket, source_id).append(item);
}

std::string EncodeItem(const SourceItem& item) {
  kv::Encoder e;
  e.PutString(item.object_key);
  e.PutString(item.object_etag);
  e.PutVarint(item.size);
  e.PutSigned(item.mtime_ns);
  e.PutString(item.sha256);
  e.PutString(item.etag);
  e.PutString(item.last_modified);
  return e.Take();
}

bool DecodeItem(std::string_view in, SourceItem* item) {
  kv::Decoder d(in);
  return d.GetString(&item->object_key) && d.GetString(&item->object_etag) &&
         d.GetVarint(&item->size) && d.GetSigned(&item->mtime_ns) && d.GetString(&item->sha256) &&
         d.GetString(&item->etag) && d.GetString(&item->last_modified);
}

std::string CredentialKey(std::string_view credential_id) {
  return std::string(kCredentialPrefix).append(credential_id);
}

std::string EncodeCredential(const CredentialRecord& r) {
  const CredentialInfo& i = r.info;
  kv::Encoder e;
  e.PutString(i.credential_id);
  e.PutVarint(static_cast<uint64_t>(i.provider));
  e.PutVarint(static_cast<uint64_t>(i.credential_type));
  e.PutString(i.display_name);
  e.PutBool(i.is_primary);
  e.PutString(i.bucket);
  e.PutString(i.source_id);
  e.PutString(i.endpoint);
  e.PutString(i.username);
  e.PutString(i.access_key_id);
  e.PutStringList(i.scopes);
  e.PutSigned(i.expires_at);
  e.PutBool(i.refreshable);
  e.PutString(i.key_fingerprint);
  e.PutSigned(i.created_at);
  e.PutSigned(i.updated_at);
  e.PutSigned(i.last_validated_at);
  e.PutBool(i.last_validation_ok);
  e.PutString(i.last_error);
  e.PutString(r.sealed_secret);
  return e.Take();
}

bool DecodeCredential(std::string_view in, CredentialRecord* r) {
  CredentialInfo& i = r->info;
  kv::Decoder d(in);
  uint64_t provider, type;
  const bool ok = d.GetString(&i.credential_id) && d.GetVarint(&provider) && d.GetVarint(&type) &&
                  d.GetString(&i.display_name) && d.GetBool(&i.is_primary) &&
                  d.GetString(&i.bucket) && d.GetString(&i.source_id) && d.GetString(&i.endpoint) &&
                  d.GetString(&i.username) && d.GetString(&i.access_key_id) &&
                  d.GetStringList(&i.scopes) && d.GetSigned(&i.expires_at) &&
                  d.GetBool(&i.refreshable) && d.GetString(&i.key_fingerprint) &&
                  d.GetSigned(&i.created_at) && d.GetSigned(&i.updated_at) &&
                  d.GetSigned(&i.last_validated_at) && d.GetBool(&i.last_validation_ok) &&
                  d.GetString(&i.last_error) && d.GetString(&r->sealed_secret);
  i.provider = static_cast<SourceProvider>(provider);
  i.credential_type = static_cast<CredentialType>(type);
  return ok;
}

std::string EncodeSecret(const CredentialSecret& s) {
  kv::Encoder e;
  e.PutVarint(static_cast<uint64_t>(s.type));
  e.PutString(s.token);
  e.PutString(s.secret_access_key);
  e.PutString(s.refresh_token);
  e.PutSigned(s.expires_at);
  e.PutString(s.config.client_id);
  e.PutString(s.config.client_secret);
  e.PutString(s.config.authorize_url);
  e.PutString(s.config.token_url);
  e.PutStringList(s.config.scopes);
  e.PutString(s.config.redirect_uri);
  return e.Take();
}

bool DecodeSecret(std::string_view in, CredentialSecret* s) {
  kv::Decoder d(in);
  uint64_t type;
  const bool ok = d.GetVarint(&type) && d.GetString(&s->token) &&
                  d.GetString(&s->secret_access_key) && d.GetString(&s->refresh_token) &&
                  d.GetSigned(&s->expires_at) && d.GetString(&s->config.client_id) &&
                  d.GetString(&s->config.client_secret) && d.GetString(&s->config.authorize_url) &&
                  d.GetString(&s->config.token_url) && d.GetStringList(&s->config.scopes) &&
                  d.GetString(&s->config.redirect_uri);
  s->type = static_cast<CredentialType>(type);
  return ok;
}

std::string OAuthFlowKey(std::string_view state) {
  return std::string(kOAuthFlowPrefix).append(util::HexEncode(util::Sha256Digest(state)));
}

std::string EncodeOAuthFlow(const OAuthFlow& f) {
  kv::Encoder e;
  e.PutSigned(f.expires_at);
  e.PutVarint(static_cast<uint64_t>(f.provider));
  e.PutString(f.display_name);
  e.PutBool(f.is_primary);
  e.PutString(f.bucket);
  e.PutString(f.source_id);
  e.PutString(f.endpoint);
  e.PutString(f.sealed);
  return e.Take();
}

bool DecodeOAuthFlow(std::string_view in, OAuthFlow* f) {
  kv::Decoder d(in);
  uint64_t provider;
  const bool ok = d.GetSigned(&f->expires_at) && d.GetVarint(&provider) &&
                  d.GetString(&f->display_name) && d.GetBool(&f->is_primary) &&
                  d.GetString(&f->bucket) && d.GetString(&f->source_id) &&
                  d.GetString(&f->endpoint) && d.GetString(&f->sealed);
  f->provider = static_cast<SourceProvider>(provider);
  return ok;
}

}  // namespace k3::sources
