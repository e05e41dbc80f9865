// sources/source_scheduler.cc: SourceService::Impl's background syncs. One thread syncs, one
// at a time, each enabled external source whose sync_interval_seconds has passed since its last
// sync (or since the scheduler's last attempt, when the sync could not start), then sleeps until
// the next one is due or a source is created or changed.
#include <algorithm>
#include <chrono>

#include "kv/codec.h"
#include "sources/source_impl.h"
#include "util/clock.h"

namespace k3 {

namespace {

constexpr int64_t kIdleWaitMs = 60 * 60 * 1000;  // nothing due: look again in an hour anyway

}  // namespace

Status SourceService::Impl::Start() {
  // A sync the process did not finish left its source SYNCING: say so; the next sync resumes
  // from the items it recorded.
  std::vector<Source> interrupted;
  auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kAllSourcesPrefix));
  for (it->Seek(sources::kAllSourcesPrefix); it->Valid(); it->Next()) {
    Source s;
    if (!sources::DecodeSource(it->value(), &s)) return DataLoss("malformed source record");
    if (s.status == SourceStatus::kSyncing) interrupted.push_back(std::move(s));
  }
  K3_RETURN_IF_ERROR(it->status());
  for (Source& s : interrupted) {
    s.status = SourceStatus::kError;
    s.last_error =
        "the last sync was interrupted (the process stopped); the next sync continues from the "
        "items it recorded";
    K3_RETURN_IF_ERROR(SaveSource(s));
  }
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  return Status();
}

void SourceService::Impl::Stop() {
  {
    std::lock_guard lock(scheduler_mu_);
    stopping_ = true;
  }
  scheduler_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

void SourceService::Impl::SchedulerLoop() {
  std::map<std::string, TimestampMs> attempted;  // bucket \0 id -> when a sync was last tried
  while (!stopping_) {
    const TimestampMs now = util::NowMs();
    TimestampMs next_due = now + kIdleWaitMs;
    std::vector<std::pair<TimestampMs, Source>> due;
    auto it = store_->NewIterator(kv::Cf::kRecords, kv::PrefixEnd(sources::kAllSourcesPrefix));
    for (it->Seek(sources::kAllSourcesPrefix); it->Valid(); it->Next()) {
      Source s;
      if (!sources::DecodeSource(it->value(), &s)) continue;
      if (s.provider != SourceProvider::kLocalDir && s.provider != SourceProvider::kHttp) continue;
      if (!s.enabled || s.sync_interval_seconds <= 0) continue;
      const std::string id = s.bucket + '\0' + s.source_id;
      const TimestampMs last = std::max(s.last_sync_at, attempted[id]);
      const TimestampMs due_at = last == 0 ? now : last + s.sync_interval_seconds * 1000;
      if (due_at <= now) {
        due.emplace_back(due_at, std::move(s));
      } else {
        next_due = std::min(next_due, due_at);
      }
    }
    if (!it->status().ok()) {
      logger_.Warn("source scheduler: cannot read the sources: " + it->status().message());
    }
    it.reset();
    std::sort(due.begin(), due.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [due_at, s] : due) {
      if (stopping_) return;
      attempted[s.bucket + '\0' + s.source_id] = util::NowMs();
      auto report = Sync({s.bucket, s.source_id, false, false});
      if (!report.ok() && report.status().code() != StatusCode::kNotFound && !stopping_) {
        logger_.Warn("source scheduler: source " + s.source_id + " of bucket \"" + s.bucket +
                     "\" could not sync: " + report.status().message());
      }
    }
    if (!due.empty()) continue;  // syncs took time: look again before sleeping
    std::unique_lock lock(scheduler_mu_);
    const auto wait = std::chrono::milliseconds(std::max<TimestampMs>(next_due - now, 1));
    scheduler_cv_.wait_for(lock, wait, [this] { return stopping_ || scheduler_poke_; });
    scheduler_poke_ = false;
  }
}

}  // namespace k3
