// sources/source_sync.cc: SourceService::Impl::Sync — one sync of a LOCAL_DIR or HTTP source.
// The recorded items ("srcitem/" records) are what the last good imports left; a sync diffs
// the source against them, puts new and changed items as objects (their object.created events
// fire the bucket's rules), deletes the objects of items that are gone (delete_missing) and
// records each outcome item by item, so an interrupted sync loses nothing and the next one
// continues from what was recorded.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "kv/codec.h"
#include "pipelines/parse/parser.h"
#include "sources/http_fetch.h"
#include "sources/local_dir.h"
#include "sources/sitemap.h"
#include "sources/source_impl.h"
#include "util/clock.h"
#include "util/hash.h"

namespace k3 {

using sources::SourceItem;

namespace {

constexpr size_t kMaxProblems = 20;
constexpr uint64_t kMaxHttpItemBytes = 256ull << 20;
constexpr size_t kMaxNestedSitemaps = 100;
constexpr char kSourceMetadataKey[] = "k3-source-id";

// The part of an http(s) URL after the scheme, fragment removed: "host[:port]/path[?query]",
// with "index.html" after a path that ends in '/' (so "host/docs/" and "host/docs" differ).
std::string UrlItemPath(std::string_view url) {
  const size_t scheme_end = url.find("://");
  std::string_view rest = url.substr(scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t path_start = rest.find_first_of("/?");
  std::string host(rest.substr(0, path_start));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view tail =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  const size_t query = tail.find('?');
  std::string path(tail.substr(0, query));
  if (path.empty() || path.back() == '/') path += path.empty() ? "/index.html" : "index.html";
  std::string out = host + path;
  if (query != std::string_view::npos && query + 1 < tail.size()) {
    out += tail.substr(query);
  }
  return out;
}

}  // namespace

std::string sources::UrlOrigin(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string();
  const size_t end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, end));
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return origin;
}

namespace {

// Reads a file as an ObjectReader; closes it when destroyed.
class FileReader {
 public:
  explicit FileReader(int fd) : fd_(fd) {}
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  Result<size_t> Read(char* buffer, size_t capacity) {
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Unavailable(std::string("read failed: ") + std::strerror(errno));
    }
  }

 private:
  int fd_;
};

}  // namespace

struct SourceService::Impl::SyncRun {
  Source source;
  SyncSourceRequest request;
  SourceSyncReport report;
  std::map<std::string, SourceItem> recorded;  // item -> what its last import recorded
  std::map<std::string, int> key_uses;         // object key -> recorded items importing to it
  std::string bearer_token;                    // HTTP with a credential
  std::set<std::string> token_origins;         // where bearer_token may be sent

  // How an item is named in reports, errors and logs: URLs as DescribeUrlForError shows them
  // (a query may carry a secret).
  std::string Shown(std::string_view item) const {
    return source.provider == SourceProvider::kHttp ? sources::DescribeUrlForError(item)
                                                    : std::string(item);
  }
  void Problem(std::string_view item, std::string_view message) {
    if (report.problems.size() < kMaxProblems) {
      report.problems.push_back(Shown(item) + ": " + std::string(message));
    }
  }
  void Failed(std::string_view item, const Status& s) {
    ++report.failed;
    if (first_failure.empty()) first_failure = Shown(item) + ": " + s.message();
    Problem(item, s.message());
  }
  std::string first_failure;
  std::string ObjectKey(std::string_view item_path) const {
    return source.key_prefix + "/" + std::string(item_path);
  }
};

// True when the item's object is still the one its import put (not deleted or replaced since).
bool SourceService::Impl::ObjectIntact(const SyncRun& run, const SourceItem& item) {
  auto head = storage_->head_object(run.source.bucket, item.object_key);
  return head.ok() && head->etag == item.object_etag;
}

Status SourceService::Impl::RecordItem(SyncRun& run, const std::string& item, SourceItem state) {
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, sources::ItemKey(run.source.bucket, run.source.source_id, item),
             sources::EncodeItem(state));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  auto [slot, added] = run.recorded.try_emplace(item);
  if (added) ++run.key_uses[state.object_key];
  slot->second = std::move(state);
  return Status();
}

// Records, before an item's object is put, that an import of `key` is under way (an empty
// object_etag): if the process dies before the item's record is written, the next sync sees
// the item as changed and imports it again, or, when it is gone from the source by then,
// deletes the object the interrupted import may have left.
Status SourceService::Impl::MarkImporting(SyncRun& run, const std::string& item,
                                          const std::string& key) {
  SourceItem pending;
  pending.object_key = key;
  return RecordItem(run, item, std::move(pending));
}

// An item gone from the source: its object is deleted (delete_missing) and its record dropped.
// The object is left alone when it is no longer the one the item's import put: replaced in the
// bucket since, or now the object of another item.
void SourceService::Impl::RemoveItem(SyncRun& run, const std::string& item) {
  ++run.report.deleted;
  if (run.request.dry_run) return;
  const SourceItem& state = run.recorded.at(item);
  const bool shared = run.key_uses[state.object_key] > 1;
  if (run.source.delete_missing && !shared) {
    auto head = storage_->head_object(run.source.bucket, state.object_key);
    const bool ours = head.ok() && (state.object_etag.empty() || head->etag == state.object_etag);
    Status deleted = ours ? storage_->delete_object(run.source.bucket, state.object_key)
                          : (head.ok() ? Status() : head.status());
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) {
      --run.report.deleted;
      run.Failed(item, deleted);
      return;
    }
  }
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kRecords, sources::ItemKey(run.source.bucket, run.source.source_id, item));
  Status written = store_->Write(*batch);
  if (!written.ok()) {
    --run.report.deleted;
    run.Failed(item, written);
    return;
  }
  if (--run.key_uses[state.object_key] == 0) run.key_uses.erase(state.object_key);
  run.recorded.erase(item);
}

Status SourceService::Impl::CheckRunning() const {
  if (stopping_) return Unavailable("sync interrupted: the database is closing");
  return Status();
}

Status SourceService::Impl::SyncLocal(SyncRun& run) {
  const std::string& root = run.source.root_path;
  Status valid = sources::ValidateRoot(root);
  if (!valid.ok()) return Status(valid.code(), "rootPath: " + valid.message());
  K3_ASSIGN_OR_RETURN(sources::ListResult listing, sources::ListFiles(root));
  for (const sources::SkippedEntry& skipped : listing.skipped) {
    ++run.report.skipped;
    run.Problem(skipped.relative_path, skipped.message);
  }
  run.report.discovered = listing.files.size();
  std::map<std::string, sources::FileState> states;
  for (const auto& [path, item] : run.recorded) {
    states.emplace(path, sources::FileState{item.size, item.mtime_ns, item.sha256});
  }
  K3_ASSIGN_OR_RETURN(sources::DiffResult diff,
                      sources::Diff(states, listing.files, sources::RootHasher(root)));
  for (const auto& [path, status] : diff.failed) run.Failed(path, status);
  const std::set<std::string> touched(diff.touched.begin(), diff.touched.end());
  // A recorded file that the walk could not read (it, or a directory above it) is not gone:
  // it fails this time and keeps its object.
  auto unreadable = [&listing](const std::string& path) {
    for (const sources::SkippedEntry& e : listing.skipped) {
      if (e.reason != sources::SkipReason::kUnreadable) continue;
      if (path == e.relative_path || path.rfind(e.relative_path + "/", 0) == 0) return true;
    }
    return false;
  };
  for (const auto& [path, change] : diff.changes) {
    K3_RETURN_IF_ERROR(CheckRunning());
    if (change == sources::Change::kDeleted) {
      if (unreadable(path)) {
        run.Failed(path, Unavailable("unreadable now; its object is kept"));
        continue;
      }
      RemoveItem(run, path);
      continue;
    }
    auto recorded = run.recorded.find(path);
    const bool known = recorded != run.recorded.end();
    const sources::FileState& state = diff.states.at(path);
    if (change == sources::Change::kUnchanged && !run.request.full &&
        ObjectIntact(run, recorded->second)) {
      ++run.report.unchanged;
      if (!run.request.dry_run && touched.count(path)) {  // remember the new mtime
        SourceItem item = recorded->second;
        item.mtime_ns = state.mtime_ns;
        Status s = RecordItem(run, path, std::move(item));
        if (!s.ok()) run.Failed(path, s);
      }
      continue;
    }
    if (run.request.dry_run) {
      ++(known ? run.report.changed : run.report.added);
      continue;
    }
    const std::string key = run.ObjectKey(path);
    Status imported = [&]() -> Status {
      K3_ASSIGN_OR_RETURN(std::string real, sources::ResolveInside(root, path));
      K3_RETURN_IF_ERROR(MarkImporting(run, path, key));
      const int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) return Unavailable(std::string("cannot open: ") + std::strerror(errno));
      FileReader file(fd);
      PutObjectOptions options;
      options.content_type = pipelines::EffectiveContentType("", key);
      options.metadata[kSourceMetadataKey] = run.source.source_id;
      K3_ASSIGN_OR_RETURN(ObjectInfo info, storage_->put_object_stream(
                                               run.source.bucket, key,
                                               [&file](char* buffer, size_t capacity) {
                                                 return file.Read(buffer, capacity);
                                               },
                                               options));
      run.report.bytes_imported += info.size;
      SourceItem item;
      item.object_key = key;
      item.object_etag = info.etag;
      item.size = info.size;
      item.mtime_ns = state.mtime_ns;
      item.sha256 = state.sha256;
      return RecordItem(run, path, std::move(item));
    }();
    if (!imported.ok()) {
      run.Failed(path, imported);
      continue;
    }
    ++(known ? run.report.changed : run.report.added);
  }
  return Status();
}

// The URLs an HTTP source lists now: its urls, or its sitemap's pages (a sitemap index is
// followed one level deep). Duplicates are dropped, first occurrence kept.
Result<std::vector<std::string>> SourceService::Impl::HttpItemUrls(SyncRun& run) {
  std::vector<std::string> urls;
  std::set<std::string> seen;
  auto add = [&](const std::string& url) {
    if (seen.insert(url).second) urls.push_back(url);
  };
  if (run.source.sitemap_url.empty()) {
    for (const std::string& url : run.source.urls) add(url);
    return urls;
  }
  auto fetch_sitemap = [&](const std::string& url) -> Result<std::vector<sources::SitemapEntry>> {
    sources::FetchRequest request;
    request.url = url;
    if (run.token_origins.count(sources::UrlOrigin(url))) request.bearer_token = run.bearer_token;
    request.max_bytes = sources::kMaxSitemapBytes;
    std::string xml;
    auto fetched = sources::Fetch(request, [&xml](std::string_view bytes) {
      xml.append(bytes);
      return Status();
    });
    if (!fetched.ok()) return fetched.status();
    sources::SitemapStats stats;
    auto entries = sources::ParseSitemap(xml, &stats);
    if (!entries.ok()) return entries.status();
    run.report.skipped += stats.skipped_invalid;
    if (stats.skipped_invalid > 0) run.Problem(url, stats.first_skip_reason);
    return entries;
  };
  auto top = fetch_sitemap(run.source.sitemap_url);
  if (!top.ok()) {
    return Status(top.status().code(), "sitemapUrl " +
                                           sources::DescribeUrlForError(run.source.sitemap_url) +
                                           ": " + top.status().message());
  }
  size_t nested = 0;
  for (const sources::SitemapEntry& entry : *top) {
    if (!entry.is_sitemap) {
      add(entry.loc);
      continue;
    }
    if (++nested > kMaxNestedSitemaps) {
      ++run.report.skipped;
      run.Problem(entry.loc, "more than 100 nested sitemaps; the rest are left out");
      break;
    }
    auto inner = fetch_sitemap(entry.loc);
    if (!inner.ok()) {
      return Status(inner.status().code(), "nested sitemap " +
                                               sources::DescribeUrlForError(entry.loc) + ": " +
                                               inner.status().message());
    }
    for (const sources::SitemapEntry& page : *inner) {
      if (!page.is_sitemap) add(page.loc);
    }
  }
  return urls;
}

Status SourceService::Impl::SyncHttp(SyncRun& run) {
  if (!run.source.credential_id.empty()) {
    auto token = BearerToken(run.source.credential_id);
    if (!token.ok()) {
      return Status(token.status().code(), "credentialId: " + token.status().message());
    }
    run.bearer_token = std::move(token).value();
    // The token goes only to the hosts the source was configured with, never to another host
    // a sitemap happens to list.
    for (const std::string& url : run.source.urls)
      run.token_origins.insert(sources::UrlOrigin(url));
    if (!run.source.sitemap_url.empty()) {
      run.token_origins.insert(sources::UrlOrigin(run.source.sitemap_url));
    }
  }
  K3_ASSIGN_OR_RETURN(std::vector<std::string> urls, HttpItemUrls(run));
  run.report.discovered = urls.size();
  std::map<std::string, std::string> key_owner;  // object key -> the URL importing it
  for (const std::string& url : urls) {
    K3_RETURN_IF_ERROR(CheckRunning());
    auto recorded = run.recorded.find(url);
    const bool known = recorded != run.recorded.end();
    const std::string key = run.ObjectKey(UrlItemPath(url));
    auto [owner, fresh_key] = key_owner.emplace(key, url);
    if (!fresh_key) {
      run.Failed(url, InvalidArgument("maps to the same object as " +
                                      sources::DescribeUrlForError(owner->second)));
      continue;
    }
    if (run.request.dry_run) {  // an HTTP item's change is only seen by fetching it
      ++(known ? run.report.unchanged : run.report.added);
      continue;
    }
    const bool conditional = known && !run.request.full && ObjectIntact(run, recorded->second);
    sources::FetchRequest request;
    request.url = url;
    if (run.token_origins.count(sources::UrlOrigin(url))) request.bearer_token = run.bearer_token;
    request.max_bytes = kMaxHttpItemBytes;
    if (conditional) {
      request.if_none_match = recorded->second.etag;
      request.if_modified_since = recorded->second.last_modified;
    }
    std::string body;
    auto fetched = sources::Fetch(request, [&body](std::string_view bytes) {
      body.append(bytes);
      return Status();
    });
    if (!fetched.ok()) {
      run.Failed(url, fetched.status());
      continue;
    }
    if (conditional) {
      const SourceItem& old = recorded->second;
      const bool same_etag = !fetched->etag.empty() && fetched->etag == old.etag;
      const bool same_date = fetched->etag.empty() && !fetched->last_modified.empty() &&
                             fetched->last_modified == old.last_modified;
      if (fetched->not_modified || same_etag || same_date) {
        ++run.report.unchanged;
        continue;
      }
      // Servers without validators (or with new ones) may still send the same bytes.
      util::Md5 md5;
      md5.Update(body);
      if (util::HexEncode(md5.Finish()) == old.object_etag) {
        ++run.report.unchanged;
        SourceItem item = old;
        item.etag = fetched->etag;
        item.last_modified = fetched->last_modified;
        Status s = RecordItem(run, url, std::move(item));
        if (!s.ok()) run.Failed(url, s);
        continue;
      }
    }
    if (Status s = MarkImporting(run, url, key); !s.ok()) {
      run.Failed(url, s);
      continue;
    }
    PutObjectOptions options;
    options.content_type = fetched->content_type;
    options.metadata[kSourceMetadataKey] = run.source.source_id;
    auto put = storage_->put_object(run.source.bucket, key, body, options);
    if (!put.ok()) {
      run.Failed(url, put.status());
      continue;
    }
    SourceItem item;
    item.object_key = key;
    item.object_etag = put->etag;
    item.size = put->size;
    item.etag = fetched->etag;
    item.last_modified = fetched->last_modified;
    Status recorded_ok = RecordItem(run, url, std::move(item));
    if (!recorded_ok.ok()) {
      run.Failed(url, recorded_ok);
      continue;
    }
    run.report.bytes_imported += put->size;
    ++(known ? run.report.changed : run.report.added);
  }
  const std::set<std::string> listed(urls.begin(), urls.end());
  std::vector<std::string> gone;
  for (const auto& [url, item] : run.recorded) {
    if (!listed.count(url)) gone.push_back(url);
  }
  for (const std::string& url : gone) RemoveItem(run, url);
  return Status();
}

Result<SourceSyncReport> SourceService::Impl::Sync(const SyncSourceRequest& r) {
  K3_RETURN_IF_ERROR(bucket_check_(r.bucket));
  K3_RETURN_IF_ERROR(CheckRunning());
  auto sync_lock = sync_locks_.Acquire(r.bucket + '\0' + r.source_id);
  SyncRun run;
  K3_ASSIGN_OR_RETURN(run.source, LoadSource(r.bucket, r.source_id));
  if (run.source.provider != SourceProvider::kLocalDir &&
      run.source.provider != SourceProvider::kHttp) {
    return FailedPrecondition("source " + run.source.source_id +
                              " is the bucket's internal source: its objects are already in the "
                              "bucket (IngestService.TriggerIngestion runs its rules)");
  }
  if (!run.source.enabled) {
    return FailedPrecondition("source " + run.source.source_id + " (\"" + run.source.name +
                              "\") is disabled; enable it to sync");
  }
  run.request = r;
  run.report.source_id = run.source.source_id;
  run.report.dry_run = r.dry_run;
  run.report.started_at = util::NowMs();
  {
    const std::string prefix = sources::ItemPrefix(r.bucket, r.source_id);
    auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(prefix));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      SourceItem item;
      if (!sources::DecodeItem(it->value(), &item)) return DataLoss("malformed source item record");
      ++run.key_uses[item.object_key];
      run.recorded.emplace(std::string(it->key().substr(prefix.size())), std::move(item));
    }
    K3_RETURN_IF_ERROR(it->status());
  }
  if (!r.dry_run) K3_RETURN_IF_ERROR(SetSyncState(run, SourceStatus::kSyncing, nullptr));
  Status outcome =
      run.source.provider == SourceProvider::kLocalDir ? SyncLocal(run) : SyncHttp(run);
  if (!run.bearer_token.empty()) {
    std::fill(run.bearer_token.begin(), run.bearer_token.end(), '\0');
  }
  run.report.finished_at = util::NowMs();
  if (r.dry_run) {
    K3_RETURN_IF_ERROR(outcome);
    run.report.status = run.source.status;
  } else {
    K3_RETURN_IF_ERROR(SetSyncState(run, SourceStatus::kActive, &outcome));
  }
  const SourceSyncReport& rep = run.report;
  run.report.message =
      std::string(r.dry_run ? "would import " : "imported ") + std::to_string(rep.added) +
      " new and " + std::to_string(rep.changed) + " changed of " + std::to_string(rep.discovered) +
      " items (" + std::to_string(rep.unchanged) + " unchanged), " +
      (r.dry_run ? "would remove " : "removed ") + std::to_string(rep.deleted) + ", " +
      std::to_string(rep.failed) + " failed, " + std::to_string(rep.skipped) + " skipped" +
      (outcome.ok() ? std::string() : "; " + outcome.message());
  if (rep.failed > 0 || !outcome.ok()) {
    logger_.Warn("source " + run.source.source_id + " of bucket \"" + r.bucket +
                 "\": " + run.report.message +
                 (rep.problems.empty() ? std::string() : "; first problem: " + rep.problems[0]));
  }
  return std::move(run.report);
}

// Writes the source's sync state: SYNCING at the start (outcome null); at the end, ACTIVE or
// ERROR from the outcome and the failed items, the counters and the times. The record is read
// again under writes_mu_, so a concurrent update of other fields is kept.
Status SourceService::Impl::SetSyncState(SyncRun& run, SourceStatus status, const Status* outcome) {
  std::lock_guard lock(writes_mu_);
  auto current = LoadSource(run.source.bucket, run.source.source_id);
  if (!current.ok()) {
    // Deleted meanwhile (a deletion waits for the sync, so only a deleted bucket does this).
    return current.status().code() == StatusCode::kNotFound ? Status() : current.status();
  }
  Source s = std::move(current).value();
  const TimestampMs now = util::NowMs();
  if (outcome == nullptr) {
    s.status = status;
  } else {
    s.last_sync_at = now;
    if (outcome->ok() && run.report.failed == 0) {
      s.status = s.enabled ? SourceStatus::kActive : SourceStatus::kDisabled;
      s.last_error.clear();
      s.last_success_at = now;
    } else {
      s.status = SourceStatus::kError;
      s.last_error = !outcome->ok() ? outcome->message()
                                    : std::to_string(run.report.failed) + " of " +
                                          std::to_string(run.report.discovered) +
                                          " items failed; first: " + run.first_failure;
    }
    s.total_objects = run.recorded.size();
    s.total_bytes = 0;
    for (const auto& [item, state] : run.recorded) s.total_bytes += state.size;
  }
  K3_RETURN_IF_ERROR(SaveSource(s));
  run.source = s;
  run.report.status = s.status;
  return Status();
}

}  // namespace k3
