// k3/db.h: Db — one open data directory and the services reached from it.
//
//   auto db = k3::Db::open("./k3-data").value();
//   db.storage().create_bucket({.name = "kb-prod"});
//
// A data directory is opened by at most one Db at a time, in any process (a lock file
// enforces it). Db is movable, not copyable; destroying it closes the directory and releases
// the lock. Thread-safety: every method of Db and of its services may be called from any
// thread, concurrently; the host must not destroy (or move from) a Db while calls on it are
// still running.
#ifndef K3_DB_H_
#define K3_DB_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "k3/events.h"
#include "k3/export.h"
#include "k3/ingest.h"
#include "k3/options.h"
#include "k3/pipelines.h"
#include "k3/sources.h"
#include "k3/status.h"
#include "k3/storage.h"
#include "k3/tables.h"
#include "k3/vectors.h"

namespace k3 {

// The on-disk format version this build writes and reads. A directory of another version
// is refused with FAILED_PRECONDITION.
inline constexpr int kDataFormatVersion = 1;

class K3_EXPORT Db {
 public:
  // Opens (creating when allowed by options.create_if_missing) the data directory at `path`.
  // Errors: FAILED_PRECONDITION when the directory is locked by another Db (in this or another
  // process), is not a k3 data directory, or has an incompatible format version;
  // NOT_FOUND when it is missing and create_if_missing is false; INTERNAL/DATA_LOSS for I/O
  // failures or corruption reported by the store.
  static Result<Db> open(std::string_view path, Options options = {});

  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  StorageService& storage();
  SourceService& sources();
  EventLog& events();
  TableService& tables();
  VectorService& vectors();
  PipelineService& pipelines();
  IngestService& ingest();

  // Makes `embedder` available to pipelines (option "embedder": name) and to text searches
  // of collections whose embed_model is `name`. Registering a name again replaces the earlier
  // embedder for runs that start afterwards. Registrations last until the Db closes; register
  // again after each open — or pass it in Options::embedders, so that ingest jobs pending from
  // the last session, which start as soon as the Db opens, find it. INVALID_ARGUMENT for an empty
  // name, "hash" or "http" (built in), a null embedder, or dimensions outside 1..8192.
  Status register_embedder(std::string name, std::shared_ptr<Embedder> embedder);

  // The control plane: runs the RPC `method` ("StorageService.CreateBucket") on a request in
  // K3's JSON wire form and returns the response in the same form. Unknown methods are
  // UNIMPLEMENTED; malformed JSON or wrong-typed fields are INVALID_ARGUMENT.
  Result<std::string> call(std::string_view method, std::string_view request_json);
  // Every method call() accepts, sorted.
  static std::vector<std::string> methods();

  const std::string& path() const;

  class Impl;

 private:
  explicit Db(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace k3

#endif  // K3_DB_H_
