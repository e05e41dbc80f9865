// k3/sources.h: SourceService — where a bucket's objects come from (K3's dodil.k3.source.v1).
// Every bucket has one internal source (SOURCE_PROVIDER_INTERNAL_S3), created with the bucket
// and removed with it. External providers, credentials and OAuth come in a later version.
// Thread-safety: every method may be called concurrently from any thread.
#ifndef K3_SOURCES_H_
#define K3_SOURCES_H_

#include <cstdint>
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

struct Source {
  std::string source_id;  // "src_..."
  std::string bucket;
  SourceProvider provider = SourceProvider::kUnspecified;
  std::string name;
  std::string description;
  std::string root_path;
  std::string provider_account;
  int64_t sync_interval_seconds = 0;  // 0 = manual only
  bool enabled = true;
  SourceStatus status = SourceStatus::kActive;
  uint64_t total_objects = 0;
  uint64_t indexed_objects = 0;
  uint64_t total_bytes = 0;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
  TimestampMs last_sync_at = 0;
  TimestampMs last_success_at = 0;
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

class K3_EXPORT SourceService {
 public:
  class Impl;
  explicit SourceService(Impl* impl) : impl_(impl) {}

  // NOT_FOUND when the bucket or the source does not exist.
  Result<Source> get_source(std::string_view bucket, std::string_view source_id);
  Result<ListSourcesResponse> list_sources(const ListSourcesRequest& request);

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_SOURCES_H_
