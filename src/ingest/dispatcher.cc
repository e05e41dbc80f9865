// ingest/dispatcher.cc: IngestService::Impl — the dispatcher thread: reads the events log
// from the dispatched offset, creates the jobs of `object.created` events, removes the output
// of `object.deleted` ones, and commits the offset in the batch that creates the jobs.
#include <chrono>

#include "ingest/ingest_impl.h"
#include "kv/codec.h"

namespace k3 {

using ingest::JobRecord;

namespace {

constexpr size_t kEventsPerRound = 500;
// After a failed round (an I/O error), the dispatcher tries again after this long.
constexpr auto kRetryAfterError = std::chrono::seconds(1);

}  // namespace

void IngestService::Impl::DispatcherLoop() {
  for (;;) {
    uint64_t from = 0;
    {
      std::unique_lock lock(mu_);
      events_cv_.wait(lock,
                      [&] { return stopping_ || events_->LastOffset() > dispatched_offset_; });
      if (stopping_) return;
      from = dispatched_offset_ + 1;
    }
    auto events = events_->Read(from, kEventsPerRound);
    Status s = events.ok() ? DispatchEvents(*events) : events.status();
    if (!s.ok()) {
      logger_.Error("ingest: dispatching events from offset " + std::to_string(from) +
                    " failed, will retry: " + s.message());
      std::unique_lock lock(mu_);
      events_cv_.wait_for(lock, kRetryAfterError, [&] { return stopping_; });
    }
  }
}

Status IngestService::Impl::HandleDeletion(const Event& event) {
  auto rules = RulesOf(event.bucket);
  if (!rules.ok()) {
    // The bucket is gone: its pipelines and their output went with it.
    return rules.status().code() == StatusCode::kNotFound ? Status() : rules.status();
  }
  ListPipelinesRequest request;
  request.bucket = event.bucket;
  request.page_size = kMaxPageSize;
  for (;;) {
    auto page = pipelines_->List(request);
    if (!page.ok()) {
      return page.status().code() == StatusCode::kNotFound ? Status() : page.status();
    }
    for (const Pipeline& p : page->pipelines) {
      Status s = pipelines_->RemoveOutput(event.bucket, p.pipeline_id, event.key);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
    if (page->pagination.next_page_token.empty()) break;
    request.page_token = page->pagination.next_page_token;
  }
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> all_rules, LoadRules(event.bucket));
  K3_ASSIGN_OR_RETURN(std::string source,
                      SourceOf(event.bucket, event.key, (*rules)->internal_source_id));
  auto batch = store_->NewBatch();
  for (const IngestRule& rule : all_rules) {
    batch->Delete(kv::Cf::kRecords, ingest::SyncKey(event.bucket, source, rule.rule_id, event.key));
    // Entries made before a source claimed the key's prefix are the internal source's.
    batch->Delete(kv::Cf::kRecords, ingest::SyncKey(event.bucket, (*rules)->internal_source_id,
                                                    rule.rule_id, event.key));
  }
  return store_->Write(*batch);
}

Result<std::string> IngestService::Impl::SourceOf(std::string_view bucket, std::string_view key,
                                                  const std::string& internal_source_id) {
  if (!attribution_) return internal_source_id;
  K3_ASSIGN_OR_RETURN(std::string source, attribution_(bucket, key));
  return source.empty() ? internal_source_id : source;
}

Status IngestService::Impl::DispatchEvents(const std::vector<Event>& events) {
  if (events.empty()) return Status();
  // Deletions first remove output (idempotent, so redoing them after a crash is harmless);
  // creations become jobs in the batch that also moves the offset.
  struct PlannedJob {
    ObjectInfo object;
    std::string rule_id;
    std::string source_id;
    std::string pipeline_id;
  };
  std::vector<PlannedJob> planned;
  for (const Event& e : events) {
    if (e.type == kEventObjectDeleted) {
      K3_RETURN_IF_ERROR(HandleDeletion(e));
      continue;
    }
    if (e.type != kEventObjectCreated) continue;
    auto rules = RulesOf(e.bucket);
    if (!rules.ok()) {
      if (rules.status().code() == StatusCode::kNotFound) continue;  // bucket deleted since
      return rules.status();
    }
    const ingest::ObjectFacts facts{e.key, e.content_type, e.size};
    K3_ASSIGN_OR_RETURN(const std::string source,
                        SourceOf(e.bucket, e.key, (*rules)->internal_source_id));
    for (const CompiledRule& c : (*rules)->ordered) {
      if (!c.rule.source_id.empty() && c.rule.source_id != source) continue;
      if (!c.criteria.Matches(facts)) continue;
      ObjectInfo object;
      object.bucket = e.bucket;
      object.key = e.key;
      object.etag = e.etag;
      object.size = e.size;
      object.content_type = e.content_type;
      planned.push_back({std::move(object), c.rule.rule_id, source, c.rule.pipeline_id});
    }
  }
  // Pipeline names and kinds for the jobs, read once per pipeline. A rule whose pipeline is
  // gone still gets its job, which fails with a message saying so.
  std::map<std::string, Pipeline> pipelines;
  for (const PlannedJob& p : planned) {
    const std::string cache_key = p.object.bucket + '\0' + p.pipeline_id;
    if (pipelines.count(cache_key)) continue;
    auto pipeline = pipelines_->Get(p.object.bucket, p.pipeline_id);
    Pipeline value;
    if (pipeline.ok()) {
      value = std::move(pipeline).value();
    } else if (pipeline.status().code() == StatusCode::kNotFound) {
      value.pipeline_id = p.pipeline_id;
    } else {
      return pipeline.status();
    }
    pipelines.emplace(cache_key, std::move(value));
  }

  std::lock_guard lock(mu_);
  auto batch = store_->NewBatch();
  std::vector<JobRecord> created;
  created.reserve(planned.size());
  for (PlannedJob& p : planned) {
    const Pipeline& pipeline = pipelines.at(p.object.bucket + '\0' + p.pipeline_id);
    K3_ASSIGN_OR_RETURN(JobRecord rec,
                        AddNewJobLocked(*batch, p.object, pipeline, p.rule_id, p.source_id, {}));
    created.push_back(std::move(rec));
  }
  const uint64_t last = events.back().offset;
  std::string offset;
  kv::AppendBigEndian64(&offset, last);
  batch->Put(kv::Cf::kRecords, ingest::kDispatchedKey, offset);
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  dispatched_offset_ = last;
  metrics_.events_dispatched += events.size();
  JobsCreatedLocked(created);
  changed_cv_.notify_all();
  return Status();
}

}  // namespace k3
