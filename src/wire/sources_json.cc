// The K3 JSON form of SourceService's types: see sources_json.h.
#include "wire/sources_json.h"

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace k3::wire {

namespace {

// The array field `name` of `f` read element by element with FromJson into *out; *out is
// unchanged when the field is absent or null.
template <typename T>
Status GetList(const Fields& f, std::string_view name, std::vector<T>* out) {
  const Json* array = nullptr;
  std::string array_path;
  K3_RETURN_IF_ERROR(f.GetArray(name, &array, &array_path));
  if (array == nullptr) return Status::Ok();
  std::vector<T> items(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    K3_RETURN_IF_ERROR(FromJson((*array)[i], &items[i], IndexPath(array_path, i)));
  }
  *out = std::move(items);
  return Status::Ok();
}

// The nested object `name` of `f` read with FromJson into *out, which is set (from its
// default) when the field is present and left alone when absent or null.
template <typename T>
Status GetNested(const Fields& f, std::string_view name, std::optional<T>* out) {
  std::optional<Fields> nested;
  K3_RETURN_IF_ERROR(f.GetObject(name, &nested));
  if (!nested) return Status::Ok();
  T value{};
  K3_RETURN_IF_ERROR(FromJson(nested->json(), &value, nested->path()));
  *out = std::move(value);
  return Status::Ok();
}

// As GetNested, into a plain member (left alone when the field is absent or null).
template <typename T>
Status GetNestedInto(const Fields& f, std::string_view name, T* out) {
  std::optional<Fields> nested;
  K3_RETURN_IF_ERROR(f.GetObject(name, &nested));
  if (!nested) return Status::Ok();
  return FromJson(nested->json(), out, nested->path());
}

}  // namespace

// ---- Sources ----

namespace {

// The settings a Source shares with the CreateSourceRequest that configures it.
template <typename T>
void PutSourceSettings(const T& v, Json& j) {
  j["bucket"] = v.bucket;
  j["provider"] = EnumJson(kSourceProviderEnum, v.provider);
  j["name"] = v.name;
  j["description"] = v.description;
  j["rootPath"] = v.root_path;
  j["providerAccount"] = v.provider_account;
  j["syncIntervalSeconds"] = Int64Json(v.sync_interval_seconds);
  j["enabled"] = v.enabled;
  j["urls"] = StringListJson(v.urls);
  j["sitemapUrl"] = v.sitemap_url;
  j["keyPrefix"] = v.key_prefix;
  j["deleteMissing"] = v.delete_missing;
  j["credentialId"] = v.credential_id;
}

template <typename T>
Status GetSourceSettings(const Fields& f, T* out) {
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("rootPath", &out->root_path));
  K3_RETURN_IF_ERROR(f.Get("providerAccount", &out->provider_account));
  K3_RETURN_IF_ERROR(f.Get("syncIntervalSeconds", &out->sync_interval_seconds));
  K3_RETURN_IF_ERROR(f.Get("enabled", &out->enabled));
  K3_RETURN_IF_ERROR(f.Get("urls", &out->urls));
  K3_RETURN_IF_ERROR(f.Get("sitemapUrl", &out->sitemap_url));
  K3_RETURN_IF_ERROR(f.Get("keyPrefix", &out->key_prefix));
  K3_RETURN_IF_ERROR(f.Get("deleteMissing", &out->delete_missing));
  return f.Get("credentialId", &out->credential_id);
}

}  // namespace

Json ToJson(const Source& v) {
  Json j{
      {"sourceId", v.source_id},
      {"status", EnumJson(kSourceStatusEnum, v.status)},
      {"totalObjects", Uint64Json(v.total_objects)},
      {"indexedObjects", Uint64Json(v.indexed_objects)},
      {"totalBytes", Uint64Json(v.total_bytes)},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"lastSyncAt", Int64Json(v.last_sync_at)},
      {"lastSuccessAt", Int64Json(v.last_success_at)},
      {"lastError", v.last_error},
  };
  PutSourceSettings(v, j);
  return j;
}

Status FromJson(const Json& j, Source* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(GetSourceSettings(f, out));
  K3_RETURN_IF_ERROR(f.GetEnum("status", kSourceStatusEnum, &out->status));
  K3_RETURN_IF_ERROR(f.Get("totalObjects", &out->total_objects));
  K3_RETURN_IF_ERROR(f.Get("indexedObjects", &out->indexed_objects));
  K3_RETURN_IF_ERROR(f.Get("totalBytes", &out->total_bytes));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  K3_RETURN_IF_ERROR(f.Get("updatedAt", &out->updated_at));
  K3_RETURN_IF_ERROR(f.Get("lastSyncAt", &out->last_sync_at));
  K3_RETURN_IF_ERROR(f.Get("lastSuccessAt", &out->last_success_at));
  return f.Get("lastError", &out->last_error);
}

Json ToJson(const CreateSourceRequest& v) {
  Json j = Json::object();
  PutSourceSettings(v, j);
  return j;
}

Status FromJson(const Json& j, CreateSourceRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  return GetSourceSettings(f, out);
}

Status FromJson(const Json& j, UpdateSourceRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  // Fixed at creation: refused rather than ignored, so that a client cannot believe it
  // changed them.
  for (std::string_view fixed : {std::string_view("provider"), std::string_view("keyPrefix")}) {
    if (f.Has(fixed)) {
      return FieldError(f.PathOf(fixed),
                        "cannot be changed: a source's provider and key prefix are fixed at "
                        "creation");
    }
  }
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("name", &out->name));
  K3_RETURN_IF_ERROR(f.Get("description", &out->description));
  K3_RETURN_IF_ERROR(f.Get("rootPath", &out->root_path));
  K3_RETURN_IF_ERROR(f.Get("providerAccount", &out->provider_account));
  K3_RETURN_IF_ERROR(f.Get("syncIntervalSeconds", &out->sync_interval_seconds));
  K3_RETURN_IF_ERROR(f.Get("enabled", &out->enabled));
  K3_RETURN_IF_ERROR(f.Get("urls", &out->urls));
  K3_RETURN_IF_ERROR(f.Get("sitemapUrl", &out->sitemap_url));
  K3_RETURN_IF_ERROR(f.Get("deleteMissing", &out->delete_missing));
  return f.Get("credentialId", &out->credential_id);
}

Json ToJson(const ListSourcesRequest& v) {
  return Json{{"bucket", v.bucket}, {"pageSize", v.page_size}, {"pageToken", v.page_token}};
}

Status FromJson(const Json& j, ListSourcesRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("pageSize", &out->page_size));
  return f.Get("pageToken", &out->page_token);
}

Json ToJson(const ListSourcesResponse& v) {
  Json sources = Json::array();
  for (const Source& s : v.sources) sources.push_back(ToJson(s));
  return Json{{"sources", std::move(sources)}, {"pagination", PaginationJson(v.pagination)}};
}

Status FromJson(const Json& j, ListSourcesResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "sources", &out->sources));
  if (const Json* p = f.Find("pagination")) {
    K3_RETURN_IF_ERROR(ParsePagination(*p, f.PathOf("pagination"), &out->pagination));
  }
  return Status::Ok();
}

// ---- Sync ----

Json ToJson(const SyncSourceRequest& v) {
  return Json{
      {"bucket", v.bucket},
      {"sourceId", v.source_id},
      {"full", v.full},
      {"dryRun", v.dry_run},
  };
}

Status FromJson(const Json& j, SyncSourceRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("full", &out->full));
  return f.Get("dryRun", &out->dry_run);
}

Json ToJson(const SourceSyncReport& v) {
  return Json{
      {"sourceId", v.source_id},
      {"dryRun", v.dry_run},
      {"discovered", Uint64Json(v.discovered)},
      {"added", Uint64Json(v.added)},
      {"changed", Uint64Json(v.changed)},
      {"unchanged", Uint64Json(v.unchanged)},
      {"deleted", Uint64Json(v.deleted)},
      {"failed", Uint64Json(v.failed)},
      {"skipped", Uint64Json(v.skipped)},
      {"bytesImported", Uint64Json(v.bytes_imported)},
      {"problems", StringListJson(v.problems)},
      {"status", EnumJson(kSourceStatusEnum, v.status)},
      {"message", v.message},
      {"startedAt", Int64Json(v.started_at)},
      {"finishedAt", Int64Json(v.finished_at)},
  };
}

Status FromJson(const Json& j, SourceSyncReport* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("dryRun", &out->dry_run));
  K3_RETURN_IF_ERROR(f.Get("discovered", &out->discovered));
  K3_RETURN_IF_ERROR(f.Get("added", &out->added));
  K3_RETURN_IF_ERROR(f.Get("changed", &out->changed));
  K3_RETURN_IF_ERROR(f.Get("unchanged", &out->unchanged));
  K3_RETURN_IF_ERROR(f.Get("deleted", &out->deleted));
  K3_RETURN_IF_ERROR(f.Get("failed", &out->failed));
  K3_RETURN_IF_ERROR(f.Get("skipped", &out->skipped));
  K3_RETURN_IF_ERROR(f.Get("bytesImported", &out->bytes_imported));
  K3_RETURN_IF_ERROR(f.Get("problems", &out->problems));
  K3_RETURN_IF_ERROR(f.GetEnum("status", kSourceStatusEnum, &out->status));
  K3_RETURN_IF_ERROR(f.Get("message", &out->message));
  K3_RETURN_IF_ERROR(f.Get("startedAt", &out->started_at));
  return f.Get("finishedAt", &out->finished_at);
}

// ---- Credentials ----

Status FromJson(const Json& j, PatPayload* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("token", &out->token));
  return f.Get("username", &out->username);
}

Status FromJson(const Json& j, ApiKeyPayload* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  return f.Get("key", &out->key);
}

Status FromJson(const Json& j, AccessKeyPayload* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("accessKeyId", &out->access_key_id));
  return f.Get("secretAccessKey", &out->secret_access_key);
}

Status FromJson(const Json& j, OAuthConfig* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("clientId", &out->client_id));
  K3_RETURN_IF_ERROR(f.Get("clientSecret", &out->client_secret));
  K3_RETURN_IF_ERROR(f.Get("authorizeUrl", &out->authorize_url));
  K3_RETURN_IF_ERROR(f.Get("tokenUrl", &out->token_url));
  K3_RETURN_IF_ERROR(f.Get("scopes", &out->scopes));
  return f.Get("redirectUri", &out->redirect_uri);
}

Status FromJson(const Json& j, OAuthPayload* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("accessToken", &out->access_token));
  K3_RETURN_IF_ERROR(f.Get("refreshToken", &out->refresh_token));
  K3_RETURN_IF_ERROR(f.Get("expiresAt", &out->expires_at));
  return GetNestedInto(f, "config", &out->config);
}

Status FromJson(const Json& j, StoreCredentialRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  // At most one payload; two are refused naming both, before anything is parsed.
  constexpr std::array<std::string_view, 4> kPayloads = {"pat", "apiKey", "accessKey", "oauth"};
  std::string first;
  for (std::string_view name : kPayloads) {
    if (!f.Has(name)) continue;
    if (first.empty()) {
      first = f.PathOf(name);
      continue;
    }
    return FieldError(f.PathOf(name), "a credential carries exactly one payload, and \"" + first +
                                          "\" is given too");
  }
  K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  K3_RETURN_IF_ERROR(f.GetEnum("credentialType", kCredentialTypeEnum, &out->credential_type));
  K3_RETURN_IF_ERROR(f.Get("displayName", &out->display_name));
  K3_RETURN_IF_ERROR(f.Get("isPrimary", &out->is_primary));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("endpoint", &out->endpoint));
  K3_RETURN_IF_ERROR(GetNested(f, "pat", &out->pat));
  K3_RETURN_IF_ERROR(GetNested(f, "apiKey", &out->api_key));
  K3_RETURN_IF_ERROR(GetNested(f, "accessKey", &out->access_key));
  return GetNested(f, "oauth", &out->oauth);
}

Json ToJson(const CredentialInfo& v) {
  return Json{
      {"credentialId", v.credential_id},
      {"provider", EnumJson(kSourceProviderEnum, v.provider)},
      {"credentialType", EnumJson(kCredentialTypeEnum, v.credential_type)},
      {"displayName", v.display_name},
      {"isPrimary", v.is_primary},
      {"bucket", v.bucket},
      {"sourceId", v.source_id},
      {"endpoint", v.endpoint},
      {"username", v.username},
      {"accessKeyId", v.access_key_id},
      {"scopes", StringListJson(v.scopes)},
      {"expiresAt", Int64Json(v.expires_at)},
      {"refreshable", v.refreshable},
      {"keyFingerprint", v.key_fingerprint},
      {"createdAt", Int64Json(v.created_at)},
      {"updatedAt", Int64Json(v.updated_at)},
      {"lastValidatedAt", Int64Json(v.last_validated_at)},
      {"lastValidationOk", v.last_validation_ok},
      {"lastError", v.last_error},
  };
}

Status FromJson(const Json& j, CredentialInfo* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("credentialId", &out->credential_id));
  K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  K3_RETURN_IF_ERROR(f.GetEnum("credentialType", kCredentialTypeEnum, &out->credential_type));
  K3_RETURN_IF_ERROR(f.Get("displayName", &out->display_name));
  K3_RETURN_IF_ERROR(f.Get("isPrimary", &out->is_primary));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  K3_RETURN_IF_ERROR(f.Get("endpoint", &out->endpoint));
  K3_RETURN_IF_ERROR(f.Get("username", &out->username));
  K3_RETURN_IF_ERROR(f.Get("accessKeyId", &out->access_key_id));
  K3_RETURN_IF_ERROR(f.Get("scopes", &out->scopes));
  K3_RETURN_IF_ERROR(f.Get("expiresAt", &out->expires_at));
  K3_RETURN_IF_ERROR(f.Get("refreshable", &out->refreshable));
  K3_RETURN_IF_ERROR(f.Get("keyFingerprint", &out->key_fingerprint));
  K3_RETURN_IF_ERROR(f.Get("createdAt", &out->created_at));
  K3_RETURN_IF_ERROR(f.Get("updatedAt", &out->updated_at));
  K3_RETURN_IF_ERROR(f.Get("lastValidatedAt", &out->last_validated_at));
  K3_RETURN_IF_ERROR(f.Get("lastValidationOk", &out->last_validation_ok));
  return f.Get("lastError", &out->last_error);
}

Json ToJson(const ListCredentialsRequest& v) {
  return Json{
      {"provider", EnumJson(kSourceProviderEnum, v.provider)},
      {"pageSize", v.page_size},
      {"pageToken", v.page_token},
  };
}

Status FromJson(const Json& j, ListCredentialsRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  // "" (an empty query parameter) is no filter, like UNSPECIFIED.
  const Json* provider = f.Find("provider");
  if (provider != nullptr && provider->is_string() &&
      provider->get_ref<const std::string&>().empty()) {
    out->provider = SourceProvider::kUnspecified;
  } else {
    K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  }
  K3_RETURN_IF_ERROR(f.Get("pageSize", &out->page_size));
  return f.Get("pageToken", &out->page_token);
}

Json ToJson(const ListCredentialsResponse& v) {
  Json credentials = Json::array();
  for (const CredentialInfo& c : v.credentials) credentials.push_back(ToJson(c));
  return Json{{"credentials", std::move(credentials)},
              {"pagination", PaginationJson(v.pagination)}};
}

Status FromJson(const Json& j, ListCredentialsResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(GetList(f, "credentials", &out->credentials));
  if (const Json* p = f.Find("pagination")) {
    K3_RETURN_IF_ERROR(ParsePagination(*p, f.PathOf("pagination"), &out->pagination));
  }
  return Status::Ok();
}

Json ToJson(const ValidateCredentialResponse& v) {
  return Json{
      {"valid", v.valid},
      {"message", v.message},
      {"url", v.url},
      {"validatedAt", Int64Json(v.validated_at)},
  };
}

Status FromJson(const Json& j, ValidateCredentialResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("valid", &out->valid));
  K3_RETURN_IF_ERROR(f.Get("message", &out->message));
  K3_RETURN_IF_ERROR(f.Get("url", &out->url));
  return f.Get("validatedAt", &out->validated_at);
}

// ---- OAuth ----

Status FromJson(const Json& j, GetOAuthUrlRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.GetEnum("provider", kSourceProviderEnum, &out->provider));
  K3_RETURN_IF_ERROR(GetNestedInto(f, "config", &out->config));
  K3_RETURN_IF_ERROR(f.Get("displayName", &out->display_name));
  K3_RETURN_IF_ERROR(f.Get("isPrimary", &out->is_primary));
  K3_RETURN_IF_ERROR(f.Get("bucket", &out->bucket));
  K3_RETURN_IF_ERROR(f.Get("sourceId", &out->source_id));
  return f.Get("endpoint", &out->endpoint);
}

Json ToJson(const GetOAuthUrlResponse& v) {
  return Json{
      {"authorizationUrl", v.authorization_url},
      {"state", v.state},
      {"expiresAt", Int64Json(v.expires_at)},
  };
}

Status FromJson(const Json& j, GetOAuthUrlResponse* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("authorizationUrl", &out->authorization_url));
  K3_RETURN_IF_ERROR(f.Get("state", &out->state));
  return f.Get("expiresAt", &out->expires_at);
}

Status FromJson(const Json& j, ExchangeOAuthCodeRequest* out, std::string_view path) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(j, std::string(path)));
  K3_RETURN_IF_ERROR(f.Get("state", &out->state));
  return f.Get("code", &out->code);
}

}  // namespace k3::wire
