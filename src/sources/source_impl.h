// sources/source_impl.h: SourceService's implementation, and the hooks the other services use:
// storage keeps a bucket's internal source in the same batch as the bucket, ingest attributes
// objects to sources by key prefix, pipelines fetch bearer tokens for the http embedder.
//
// Files: source_service.cc (records, CRUD), source_sync.cc (sync of LOCAL_DIR and HTTP
// sources), source_scheduler.cc (background syncs), credentials.cc (the credential store and
// bearer tokens), oauth_flow.cc (GetOAuthUrl, ExchangeOAuthCode, refreshes).
//
// Locking: writes_mu_ serializes read-modify-writes of source records and credential records;
// sync_locks_ serializes syncs (and deletion) of one source; refresh_locks_ serializes token
// refreshes of one credential. No store read or write is made while holding attribution_mu_
// (the prefix cache). Network requests are never made under writes_mu_.
// Thread-safety: all methods are thread-safe.
#ifndef K3_SOURCES_SOURCE_IMPL_H_
#define K3_SOURCES_SOURCE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "k3/sources.h"
#include "k3/storage.h"
#include "kv/store.h"
#include "sources/keyed_mutex.h"
#include "sources/secret_box.h"
#include "sources/source_records.h"
#include "util/log.h"

namespace k3 {

namespace sources {
// "scheme://host[:port]" of an absolute URL, lowercased ("" when it has no scheme).
std::string UrlOrigin(std::string_view url);
}  // namespace sources

class K3_HIDDEN SourceService::Impl {
 public:
  // Answers OK when the bucket exists, NOT_FOUND (or another error) otherwise.
  using BucketCheck = std::function<Status(std::string_view bucket)>;
  // OK when nothing else names the source; FAILED_PRECONDITION naming what does otherwise.
  using SourceUseCheck = std::function<Status(std::string_view bucket, std::string_view id)>;
  // How many of the source's objects have every rule job completed at their current version.
  using IndexedCounter =
      std::function<Result<uint64_t>(std::string_view bucket, std::string_view source_id)>;

  Impl(kv::Store* store, BucketCheck bucket_check, sources::MasterKey master_key,
       util::Logger logger);
  ~Impl();  // Stop()

  // Wiring, before Start().
  void SetStorage(StorageService* storage) { storage_ = storage; }
  void SetSourceUseCheck(SourceUseCheck check) { use_check_ = std::move(check); }
  void SetIndexedCounter(IndexedCounter counter) { indexed_counter_ = std::move(counter); }
  // Called after a source is deleted (ingest forgets its sync state); errors are logged.
  void SetSourceDeletionHook(SourceUseCheck hook) { deletion_hook_ = std::move(hook); }
  // Marks syncs a crash interrupted, and starts the background scheduler.
  Status Start();
  // Stops the scheduler; syncs in progress end early (at the next item) and new ones are
  // UNAVAILABLE. Idempotent.
  void Stop();

  // Bucket hooks: the internal source is created and removed in the bucket's batch.
  std::string AddInternalSource(kv::Batch& batch, std::string_view bucket, TimestampMs now);
  Status RemoveBucketSources(kv::Batch& batch, std::string_view bucket);
  Result<uint64_t> CountSources(std::string_view bucket) const;

  // The id of the external source whose key prefix holds `key`, or "" when none does (the
  // object belongs to the bucket's internal source).
  Result<std::string> SourceOfKey(std::string_view bucket, std::string_view key);

  // Sources.
  Result<Source> Create(const CreateSourceRequest& request);
  Result<Source> Get(std::string_view bucket, std::string_view source_id) const;
  Result<ListSourcesResponse> List(const ListSourcesRequest& request) const;
  Result<Source> Update(const UpdateSourceRequest& request);
  Status Delete(std::string_view bucket, std::string_view source_id);
  Result<SourceSyncReport> Sync(const SyncSourceRequest& request);

  // Credentials.
  Result<CredentialInfo> StoreCredential(const StoreCredentialRequest& request);
  Result<CredentialInfo> GetCredential(std::string_view credential_id) const;
  Result<ListCredentialsResponse> ListCredentials(const ListCredentialsRequest& request) const;
  Status DeleteCredential(std::string_view credential_id);
  Result<ValidateCredentialResponse> ValidateCredential(std::string_view credential_id);
  // The token to send as "Authorization: Bearer" for the credential (PAT token, API key, or
  // OAuth access token, refreshed first when it expires within 60 s). Errors name the
  // credential, never the secret: NOT_FOUND, FAILED_PRECONDITION (ACCESS_KEY credentials,
  // another master key, a refresh the provider refused), UNAVAILABLE (refresh unreachable).
  Result<std::string> BearerToken(std::string_view credential_id);

  // OAuth.
  Result<GetOAuthUrlResponse> GetOAuthUrl(const GetOAuthUrlRequest& request);
  Result<CredentialInfo> ExchangeOAuthCode(const ExchangeOAuthCodeRequest& request);
  Result<CredentialInfo> RefreshOAuthToken(std::string_view credential_id);

 private:
  struct SyncRun;  // source_sync.cc

  // source_service.cc
  Result<Source> LoadSource(std::string_view bucket, std::string_view source_id) const;
  Status SaveSource(const Source& source);
  // The source with indexed_objects filled in (external sources).
  Result<Source> WithCounters(Source source) const;
  Status CheckSourceFields(const Source& s);
  Status CheckPrefixFree(const Source& s) const;
  void ForgetAttribution(std::string_view bucket);

  // source_sync.cc
  Status SyncLocal(SyncRun& run);
  Status SyncHttp(SyncRun& run);
  Result<std::vector<std::string>> HttpItemUrls(SyncRun& run);
  bool ObjectIntact(const SyncRun& run, const sources::SourceItem& item);
  Status RecordItem(SyncRun& run, const std::string& item, sources::SourceItem state);
  Status MarkImporting(SyncRun& run, const std::string& item, const std::string& key);
  void RemoveItem(SyncRun& run, const std::string& item);
  Status SetSyncState(SyncRun& run, SourceStatus status, const Status* outcome);
  Status CheckRunning() const;  // UNAVAILABLE once Stop() began

  // credentials.cc
  Result<sources::CredentialRecord> LoadCredential(std::string_view credential_id) const;
  Result<std::string> OpenSecret(const sources::CredentialRecord& record) const;
  Status SaveCredentialRecord(const sources::CredentialRecord& record);
  Status CheckCredentialForSource(std::string_view credential_id, SourceProvider provider);
  // ValidateCredential's request for an ACCESS_KEY credential: a SigV4-presigned GET of a
  // probe key in the bucket named by the endpoint's first path segment.
  Result<std::string> PresignedCheckUrl(const sources::CredentialRecord& record,
                                        const std::string& endpoint) const;
  // StoreCredential's checks of everything but the payload.
  Status CheckStorable(const StoreCredentialRequest& request) const;
  Result<CredentialInfo> SaveNewCredential(const StoreCredentialRequest& request,
                                           std::string secret_plaintext);
  // Records a validation or refresh outcome in the credential's info.
  void NoteCredentialOutcome(std::string_view credential_id, bool validated, bool ok,
                             const std::string& error);

  // oauth_flow.cc: the record's access token, refreshed first when it expires within 60 s (or
  // always, with force_refresh). Refreshes of one credential take turns.
  Result<std::string> OAuthAccessToken(const sources::CredentialRecord& record, bool force_refresh);

  // source_scheduler.cc
  void SchedulerLoop();

  kv::Store* store_;
  BucketCheck bucket_check_;
  sources::MasterKey master_key_;
  util::Logger logger_;
  StorageService* storage_ = nullptr;
  SourceUseCheck use_check_;
  IndexedCounter indexed_counter_;
  SourceUseCheck deletion_hook_;

  std::mutex writes_mu_;
  sources::KeyedMutex sync_locks_;
  sources::KeyedMutex refresh_locks_;

  std::mutex attribution_mu_;
  // bucket -> (key prefix + "/", source id) of its external sources
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> attribution_;
  uint64_t attribution_generation_ = 0;  // bumped by every ForgetAttribution

  std::mutex scheduler_mu_;
  std::condition_variable scheduler_cv_;
  bool scheduler_poke_ = false;
  std::atomic<bool> stopping_{false};
  std::thread scheduler_;
};

}  // namespace k3

#endif  // K3_SOURCES_SOURCE_IMPL_H_
