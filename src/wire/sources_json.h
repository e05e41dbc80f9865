// wire/sources_json.h: the K3 JSON form of SourceService's types (k3/sources.h), both ways,
// following the conventions of wire/json_util.h (see wire/storage_json.h for the contract of
// ToJson / FromJson).
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

// {sourceId, bucket, provider, name, description, rootPath, providerAccount,
//  syncIntervalSeconds, enabled, status, totalObjects, indexedObjects, totalBytes, createdAt,
//  updatedAt, lastSyncAt, lastSuccessAt}
Json ToJson(const Source& v);
Status FromJson(const Json& j, Source* out, std::string_view path = {});
// {bucket, pageSize, pageToken}
Json ToJson(const ListSourcesRequest& v);
Status FromJson(const Json& j, ListSourcesRequest* out, std::string_view path = {});
// {sources, pagination}
Json ToJson(const ListSourcesResponse& v);
Status FromJson(const Json& j, ListSourcesResponse* out, std::string_view path = {});

}  // namespace k3::wire

#endif  // K3_WIRE_SOURCES_JSON_H_
