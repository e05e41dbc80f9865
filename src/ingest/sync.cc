// ingest/sync.cc: IngestService::Impl — sync of a bucket's source: discovery records, per
// rule, which objects exist at which ETag; ingestion creates jobs for those not yet ingested at
// that ETag; the status counts both.
#include <set>

#include "ingest/ingest_impl.h"
#include "util/clock.h"
#include "util/ids.h"

namespace k3 {

using ingest::JobRecord;
using ingest::SyncEntry;
using ingest::SyncState;

namespace {

constexpr size_t kWritesPerBatch = 1000;

}  // namespace

// The rules a sync of `source_id` works for: enabled, of that source or of any source, and
// `rule_id` alone when it is given. NOT_FOUND for an unknown source or rule.
Result<std::vector<IngestRule>> IngestService::Impl::SyncRules(std::string_view bucket,
                                                               std::string_view source_id,
                                                               std::string_view rule_id) {
  K3_ASSIGN_OR_RETURN(auto rules, RulesOf(bucket));
  if (source_id.empty()) return InvalidArgument("sourceId: must not be empty");
  K3_ASSIGN_OR_RETURN(Source source, sources_->get_source(bucket, source_id));
  std::vector<IngestRule> out;
  if (!rule_id.empty()) {
    K3_ASSIGN_OR_RETURN(IngestRule rule, GetRule(bucket, rule_id));
    if (!rule.source_id.empty() && rule.source_id != source_id) {
      return InvalidArgument("ruleId: rule " + rule.rule_id + " belongs to source " +
                             rule.source_id + ", not " + std::string(source_id));
    }
    if (!rule.enabled) return FailedPrecondition("rule " + rule.rule_id + " is disabled");
    out.push_back(std::move(rule));
    return out;
  }
  for (const CompiledRule& c : rules->ordered) {
    if (c.rule.source_id.empty() || c.rule.source_id == source_id) out.push_back(c.rule);
  }
  return out;
}

Status IngestService::Impl::SaveSyncRun(std::string_view bucket, std::string_view source_id,
                                        bool discovery, const std::string& sync_id) {
  const std::string key = ingest::SyncRunKey(bucket, source_id);
  ingest::SyncRun run;
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, key));
  if (value && !ingest::DecodeSyncRun(*value, &run)) run = {};
  (discovery ? run.last_discovery_at : run.last_ingestion_at) = util::NowMs();
  run.last_sync_id = sync_id;
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, key, ingest::EncodeSyncRun(run));
  return store_->Write(*batch);
}

Result<SyncTriggerResponse> IngestService::Impl::TriggerDiscovery(
    const TriggerDiscoveryRequest& r) {
  K3_RETURN_IF_ERROR(CheckBucket(r.bucket));
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> rules, SyncRules(r.bucket, r.source_id, r.rule_id));
  K3_ASSIGN_OR_RETURN(Source source, sources_->get_source(r.bucket, r.source_id));
  if (source.provider != SourceProvider::kInternalS3) {
    // An external source: discovery diffs it against what its last sync recorded.
    K3_ASSIGN_OR_RETURN(SourceSyncReport report,
                        sources_->sync_source({r.bucket, r.source_id, r.full_sync, true}));
    SyncTriggerResponse out;
    out.job_id = util::NewId("sync");
    out.message = report.message;
    K3_RETURN_IF_ERROR(SaveSyncRun(r.bucket, r.source_id, /*discovery=*/true, out.job_id));
    return out;
  }
  std::vector<ingest::CompiledCriteria> criteria;
  for (const IngestRule& rule : rules) {
    K3_ASSIGN_OR_RETURN(
        auto c, ingest::CompiledCriteria::Compile({rule.include_patterns, rule.exclude_patterns,
                                                   rule.include_mime_types, rule.exclude_mime_types,
                                                   rule.min_size_bytes, rule.max_size_bytes}));
    criteria.push_back(std::move(c));
  }
  uint64_t objects = 0, added = 0, changed = 0, unchanged = 0, removed = 0;
  size_t writes = 0;
  std::vector<std::set<std::string>> seen(rules.size());
  auto batch = store_->NewBatch();
  ListObjectsRequest list;
  list.bucket = r.bucket;
  for (;;) {
    K3_ASSIGN_OR_RETURN(ListObjectsResponse page, storage_->list_objects(list));
    for (const ObjectInfo& o : page.objects) {
      ++objects;
      const ingest::ObjectFacts facts{o.key, o.content_type, o.size};
      for (size_t i = 0; i < rules.size(); ++i) {
        if (!criteria[i].Matches(facts)) continue;
        seen[i].insert(o.key);
        const std::string key = ingest::SyncKey(r.bucket, r.source_id, rules[i].rule_id, o.key);
        K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, key));
        SyncEntry entry;
        if (value && !ingest::DecodeSyncEntry(*value, &entry)) entry = {};
        if (!value) {
          ++added;
        } else if (entry.etag != o.etag) {
          ++changed;
        } else {
          ++unchanged;
        }
        entry.etag = o.etag;
        if (r.full_sync) entry.ingested_etag.clear();
        if (entry.state != SyncState::kFailed || entry.ingested_etag == entry.etag) {
          entry.state =
              entry.ingested_etag == entry.etag ? SyncState::kIngested : SyncState::kPending;
        }
        batch->Put(kv::Cf::kRecords, key, ingest::EncodeSyncEntry(entry));
        if (++writes % kWritesPerBatch == 0) {
          K3_RETURN_IF_ERROR(store_->Write(*batch));
          batch->Clear();
        }
      }
    }
    if (!page.is_truncated) break;
    list.continuation_token = page.next_continuation_token;
  }
  // Objects that are gone leave the sync state.
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string prefix = ingest::SyncRulePrefix(r.bucket, r.source_id, rules[i].rule_id);
    auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (seen[i].count(std::string(it->key().substr(prefix.size())))) continue;
      batch->Delete(kv::Cf::kRecords, it->key());
      ++removed;
    }
    K3_RETURN_IF_ERROR(it->status());
  }
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  SyncTriggerResponse out;
  out.job_id = util::NewId("sync");
  K3_RETURN_IF_ERROR(SaveSyncRun(r.bucket, r.source_id, /*discovery=*/true, out.job_id));
  out.message = "discovered " + std::to_string(objects) + " objects for " +
                std::to_string(rules.size()) + " rules: " + std::to_string(added) + " new, " +
                std::to_string(changed) + " changed, " + std::to_string(unchanged) +
                " unchanged, " + std::to_string(removed) + " gone";
  return out;
}

Result<std::pair<uint64_t, uint64_t>> IngestService::Impl::CreateSyncJobs(
    const TriggerIngestionRequest& r, const std::vector<IngestRule>& rules, bool failed_only) {
  // What to run: (rule, object) pairs whose entry wants a job. An entry whose last job is
  // still unfinished is left alone, so triggering twice never doubles work.
  struct Wanted {
    size_t rule_index;
    std::string key;
  };
  std::vector<Wanted> wanted;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string prefix = ingest::SyncRulePrefix(r.bucket, r.source_id, rules[i].rule_id);
    auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
    for (it->Seek(r.source_object_id.empty() ? prefix : prefix + r.source_object_id); it->Valid();
         it->Next()) {
      std::string key(it->key().substr(prefix.size()));
      if (!r.source_object_id.empty() && key != r.source_object_id) break;
      SyncEntry entry;
      if (!ingest::DecodeSyncEntry(it->value(), &entry)) return DataLoss("ingest: bad sync entry");
      const bool want = (!failed_only && (r.full_sync || entry.state == SyncState::kPending)) ||
                        (r.retry_failed && entry.state == SyncState::kFailed);
      if (!want) continue;
      if (!entry.last_job_id.empty()) {
        K3_ASSIGN_OR_RETURN(auto last, LoadJob(r.bucket, entry.last_job_id));
        if (last && (last->job.status == IngestStatus::kPending ||
                     last->job.status == IngestStatus::kProcessing)) {
          continue;
        }
      }
      wanted.push_back({i, std::move(key)});
    }
    K3_RETURN_IF_ERROR(it->status());
  }
  std::map<std::string, Pipeline> pipelines;
  for (const IngestRule& rule : rules) {
    auto p = pipelines_->Get(r.bucket, rule.pipeline_id);
    Pipeline value;
    if (p.ok()) {
      value = std::move(p).value();
    } else if (p.status().code() == StatusCode::kNotFound) {
      value.pipeline_id = rule.pipeline_id;  // its jobs fail saying the pipeline is gone
    } else {
      return p.status();
    }
    pipelines.emplace(rule.rule_id, std::move(value));
  }
  uint64_t created = 0, vanished = 0;
  for (size_t start = 0; start < wanted.size(); start += kWritesPerBatch) {
    const size_t end = std::min(wanted.size(), start + kWritesPerBatch);
    std::vector<ObjectInfo> objects;
    std::vector<size_t> indices;
    for (size_t i = start; i < end; ++i) {
      auto o = storage_->head_object(r.bucket, wanted[i].key);
      if (!o.ok()) {
        if (o.status().code() != StatusCode::kNotFound) return o.status();
        ++vanished;  // deleted since discovery; its deletion event cleans up
        continue;
      }
      objects.push_back(std::move(o).value());
      indices.push_back(i);
    }
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the database is closing");
    auto batch = store_->NewBatch();
    std::vector<JobRecord> jobs;
    for (size_t j = 0; j < objects.size(); ++j) {
      const IngestRule& rule = rules[wanted[indices[j]].rule_index];
      K3_ASSIGN_OR_RETURN(JobRecord rec,
                          AddNewJobLocked(*batch, objects[j], pipelines.at(rule.rule_id),
                                          rule.rule_id, std::string(r.source_id), {}));
      jobs.push_back(std::move(rec));
    }
    K3_RETURN_IF_ERROR(store_->Write(*batch));
    JobsCreatedLocked(jobs);
    created += jobs.size();
  }
  return std::make_pair(created, vanished);
}

Result<SyncTriggerResponse> IngestService::Impl::TriggerIngestion(
    const TriggerIngestionRequest& r) {
  K3_RETURN_IF_ERROR(CheckBucket(r.bucket));
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> rules, SyncRules(r.bucket, r.source_id, r.rule_id));
  K3_ASSIGN_OR_RETURN(Source source, sources_->get_source(r.bucket, r.source_id));
  SyncTriggerResponse out;
  out.job_id = util::NewId("sync");
  if (source.provider != SourceProvider::kInternalS3) {
    // An external source: ingestion imports what changed (the puts fire the rules), and
    // retry_failed also re-runs the jobs that failed.
    if (!r.source_object_id.empty()) {
      return InvalidArgument("sourceObjectId: an external source is synced as a whole");
    }
    K3_ASSIGN_OR_RETURN(SourceSyncReport report,
                        sources_->sync_source({r.bucket, r.source_id, r.full_sync, false}));
    uint64_t retried = 0;
    if (r.retry_failed) {
      K3_ASSIGN_OR_RETURN(auto counts, CreateSyncJobs(r, rules, /*failed_only=*/true));
      retried = counts.first;
    }
    out.jobs_created = retried;
    out.message = report.message +
                  (r.retry_failed ? "; " + std::to_string(retried) + " failed jobs retried" : "");
    K3_RETURN_IF_ERROR(SaveSyncRun(r.bucket, r.source_id, /*discovery=*/false, out.job_id));
    return out;
  }
  K3_ASSIGN_OR_RETURN(auto counts, CreateSyncJobs(r, rules, /*failed_only=*/false));
  const auto [created, vanished] = counts;
  out.jobs_created = created;
  K3_RETURN_IF_ERROR(SaveSyncRun(r.bucket, r.source_id, /*discovery=*/false, out.job_id));
  out.message = "created " + std::to_string(created) + " jobs for " + std::to_string(rules.size()) +
                " rules" +
                (vanished ? "; " + std::to_string(vanished) + " objects were deleted meanwhile"
                          : std::string());
  return out;
}

Result<SyncStatus> IngestService::Impl::GetSyncStatus(std::string_view bucket,
                                                      std::string_view source_id) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  K3_ASSIGN_OR_RETURN(Source source, sources_->get_source(bucket, source_id));
  SyncStatus out;
  out.bucket = std::string(bucket);
  out.source_id = source.source_id;
  const std::string prefix = ingest::SyncSourcePrefix(bucket, source_id);
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    SyncEntry entry;
    if (!ingest::DecodeSyncEntry(it->value(), &entry)) return DataLoss("ingest: bad sync entry");
    ++out.discovered;
    switch (entry.state) {
      case SyncState::kPending:
        ++out.pending;
        break;
      case SyncState::kIngested:
        ++out.ingested;
        break;
      case SyncState::kFailed:
        ++out.failed;
        break;
    }
  }
  K3_RETURN_IF_ERROR(it->status());
  K3_ASSIGN_OR_RETURN(auto value,
                      store_->Get(kv::Cf::kRecords, ingest::SyncRunKey(bucket, source_id)));
  ingest::SyncRun run;
  if (value && ingest::DecodeSyncRun(*value, &run)) {
    out.last_discovery_at = run.last_discovery_at;
    out.last_ingestion_at = run.last_ingestion_at;
    out.last_sync_id = run.last_sync_id;
  }
  return out;
}

Status IngestService::Impl::CheckSourceUnused(std::string_view bucket, std::string_view source_id) {
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> rules, LoadRules(bucket));
  std::string names;
  for (const IngestRule& rule : rules) {
    if (rule.source_id != source_id) continue;
    names += (names.empty() ? "" : ", ") + rule.rule_id + " (\"" + rule.name + "\")";
  }
  if (names.empty()) return Status();
  return FailedPrecondition("source " + std::string(source_id) + " is named by rules " + names +
                            "; delete them or change their sourceId first");
}

Result<uint64_t> IngestService::Impl::CountIndexed(std::string_view bucket,
                                                   std::string_view source_id) {
  // An object is indexed when every rule's entry for it is INGESTED.
  std::map<std::string, bool> all_ingested;
  const std::string prefix = ingest::SyncSourcePrefix(bucket, source_id);
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view rest = it->key().substr(prefix.size());  // "<rule>\0<key>"
    const size_t sep = rest.find('\0');
    if (sep == std::string_view::npos) continue;
    SyncEntry entry;
    if (!ingest::DecodeSyncEntry(it->value(), &entry)) return DataLoss("ingest: bad sync entry");
    auto [slot, fresh] = all_ingested.emplace(std::string(rest.substr(sep + 1)), true);
    slot->second = slot->second && entry.state == SyncState::kIngested;
  }
  K3_RETURN_IF_ERROR(it->status());
  uint64_t n = 0;
  for (const auto& [key, ingested] : all_ingested) n += ingested ? 1 : 0;
  return n;
}

Status IngestService::Impl::DropSourceState(std::string_view bucket, std::string_view source_id) {
  auto batch = store_->NewBatch();
  const std::string prefix = ingest::SyncSourcePrefix(bucket, source_id);
  batch->DeleteRange(kv::Cf::kRecords, prefix, ingest::PrefixEnd(prefix));
  batch->Delete(kv::Cf::kRecords, ingest::SyncRunKey(bucket, source_id));
  return store_->Write(*batch);
}

}  // namespace k3
