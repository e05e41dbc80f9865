// sources/source_impl.h: SourceService's implementation and the hooks other services use to
// keep sources in the same atomic batch as their own writes (a bucket's internal source is
// created and removed with the bucket). Thread-safety: all methods are thread-safe.
#ifndef K3_SOURCES_SOURCE_IMPL_H_
#define K3_SOURCES_SOURCE_IMPL_H_

#include <functional>
#include <string>

#include "k3/sources.h"
#include "kv/store.h"

namespace k3 {

class K3_HIDDEN SourceService::Impl {
 public:
  // Answers OK when the bucket exists, NOT_FOUND (or another error) otherwise.
  using BucketCheck = std::function<Status(std::string_view bucket)>;

  Impl(kv::Store* store, BucketCheck bucket_check)
      : store_(store), bucket_check_(std::move(bucket_check)) {}

  // Adds the bucket's internal source record to `batch`; returns its id.
  std::string AddInternalSource(kv::Batch& batch, std::string_view bucket, TimestampMs now);
  // Adds the removal of every source of `bucket` to `batch`.
  Status RemoveBucketSources(kv::Batch& batch, std::string_view bucket);
  Result<uint64_t> CountSources(std::string_view bucket) const;

  Result<Source> Get(std::string_view bucket, std::string_view source_id) const;
  Result<ListSourcesResponse> List(const ListSourcesRequest& request) const;

 private:
  kv::Store* store_;
  BucketCheck bucket_check_;
};

}  // namespace k3

#endif  // K3_SOURCES_SOURCE_IMPL_H_
