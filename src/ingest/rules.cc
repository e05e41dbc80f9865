// ingest/rules.cc: IngestService::Impl — rule records and the compiled-rules cache.
#include <algorithm>

#include "ingest/ingest_impl.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/page_token.h"
#include "util/utf8.h"

namespace k3 {

using ingest::CompiledCriteria;
using ingest::RuleCriteria;

namespace {

constexpr size_t kMaxRuleNameBytes = 128;
constexpr size_t kMaxRuleDescriptionBytes = 4096;

RuleCriteria CriteriaOf(const IngestRule& r) {
  return RuleCriteria{.include_patterns = r.include_patterns,
                      .exclude_patterns = r.exclude_patterns,
                      .include_mime_types = r.include_mime_types,
                      .exclude_mime_types = r.exclude_mime_types,
                      .min_size_bytes = r.min_size_bytes,
                      .max_size_bytes = r.max_size_bytes};
}

}  // namespace

Status IngestService::Impl::CheckBucket(std::string_view bucket) {
  return storage_->get_bucket(bucket).status();
}

Status IngestService::Impl::ValidateRule(const IngestRule& r) {
  if (r.name.size() > kMaxRuleNameBytes || !util::IsValidUtf8(r.name)) {
    return InvalidArgument("name: a rule name must be UTF-8 of at most " +
                           std::to_string(kMaxRuleNameBytes) + " bytes");
  }
  if (r.description.size() > kMaxRuleDescriptionBytes) {
    return InvalidArgument("description: at most " + std::to_string(kMaxRuleDescriptionBytes) +
                           " bytes");
  }
  if (r.pipeline_id.empty()) return InvalidArgument("pipelineId: a rule must name a pipeline");
  K3_RETURN_IF_ERROR(ingest::ValidateCriteria(CriteriaOf(r)));
  if (auto p = pipelines_->Get(r.bucket, r.pipeline_id); !p.ok()) {
    if (p.status().code() == StatusCode::kNotFound) {
      return NotFound("pipelineId: pipeline " + r.pipeline_id + " does not exist in bucket " +
                      r.bucket);
    }
    return p.status();
  }
  if (!r.source_id.empty()) {
    if (auto s = sources_->get_source(r.bucket, r.source_id); !s.ok()) {
      if (s.status().code() == StatusCode::kNotFound) {
        return NotFound("sourceId: source " + r.source_id + " does not exist in bucket " +
                        r.bucket);
      }
      return s.status();
    }
  }
  return Status();
}

void IngestService::Impl::FillBinding(IngestRule* rule) {
  rule->binding = RuleBinding{};
  auto p = pipelines_->Get(rule->bucket, rule->pipeline_id);
  if (!p.ok()) return;
  rule->binding.pipeline_name = p->name;
  rule->binding.pipeline_kind = p->store_entity_kind;
  rule->binding.destination = p->store_entity_id;
}

Result<std::vector<IngestRule>> IngestService::Impl::LoadRules(std::string_view bucket) {
  const std::string prefix = ingest::BucketPrefix("rule", bucket);
  std::vector<IngestRule> rules;
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(prefix));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    IngestRule r;
    if (!ingest::DecodeRule(it->value(), &r)) return DataLoss("ingest: malformed rule record");
    rules.push_back(std::move(r));
  }
  K3_RETURN_IF_ERROR(it->status());
  return rules;
}

Result<std::shared_ptr<const IngestService::Impl::BucketRules>> IngestService::Impl::RulesOf(
    std::string_view bucket) {
  uint64_t generation = 0;
  {
    std::lock_guard lock(rules_mu_);
    if (auto it = rules_cache_.find(bucket); it != rules_cache_.end()) return it->second;
    generation = rules_generation_;
  }
  K3_ASSIGN_OR_RETURN(Bucket b, storage_->get_bucket(bucket));
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> rules, LoadRules(bucket));
  auto compiled = std::make_shared<BucketRules>();
  compiled->internal_source_id = b.internal_source_id;
  std::vector<ingest::RankedRule> ranked;
  for (const IngestRule& r : rules) {
    ranked.push_back({.rule_id = r.rule_id, .priority = r.priority, .enabled = r.enabled});
  }
  for (size_t i : ingest::MatchOrder(ranked)) {
    auto criteria = CompiledCriteria::Compile(CriteriaOf(rules[i]));
    if (!criteria.ok()) {  // validated on write; a stored bad rule matches nothing
      logger_.Warn("ingest: rule " + rules[i].rule_id +
                   " is invalid and is skipped: " + criteria.status().message());
      continue;
    }
    compiled->ordered.push_back({rules[i], std::move(criteria).value()});
  }
  std::lock_guard lock(rules_mu_);
  // A rule written since our read invalidated the cache: what we read may be stale, so it is
  // used for this call only and not cached.
  if (generation == rules_generation_) rules_cache_[std::string(bucket)] = compiled;
  return std::shared_ptr<const BucketRules>(compiled);
}

void IngestService::Impl::InvalidateRules(std::string_view bucket) {
  std::lock_guard lock(rules_mu_);
  ++rules_generation_;
  if (auto it = rules_cache_.find(bucket); it != rules_cache_.end()) rules_cache_.erase(it);
}

Result<IngestRule> IngestService::Impl::CreateRule(const IngestRule& in) {
  K3_RETURN_IF_ERROR(CheckBucket(in.bucket));
  std::lock_guard write_lock(rule_writes_mu_);
  IngestRule rule = in;
  K3_RETURN_IF_ERROR(ValidateRule(rule));
  rule.rule_id = util::NewId("rule");
  rule.created_at = rule.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, ingest::RuleKey(rule.bucket, rule.rule_id),
             ingest::EncodeRule(rule));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  InvalidateRules(rule.bucket);
  FillBinding(&rule);
  return rule;
}

Result<IngestRule> IngestService::Impl::GetRule(std::string_view bucket, std::string_view rule_id) {
  K3_RETURN_IF_ERROR(CheckBucket(bucket));
  K3_ASSIGN_OR_RETURN(auto value, store_->Get(kv::Cf::kRecords, ingest::RuleKey(bucket, rule_id)));
  if (!value) {
    return NotFound("rule " + std::string(rule_id) + " does not exist in bucket " +
                    std::string(bucket));
  }
  IngestRule rule;
  if (!ingest::DecodeRule(*value, &rule)) return DataLoss("ingest: malformed rule record");
  FillBinding(&rule);
  return rule;
}

Result<ListRulesResponse> IngestService::Impl::ListRules(const ListRulesRequest& r) {
  K3_RETURN_IF_ERROR(CheckBucket(r.bucket));
  K3_ASSIGN_OR_RETURN(int page_size,
                      util::EffectivePageSize(r.page_size, kDefaultPageSize, kMaxPageSize));
  const std::string listing = "rules/" + r.bucket + "/" + r.source_id + "/" + r.pipeline_id;
  K3_ASSIGN_OR_RETURN(std::string after, util::DecodePageToken(listing, r.page_token));
  K3_ASSIGN_OR_RETURN(std::vector<IngestRule> all, LoadRules(r.bucket));
  ListRulesResponse out;
  int64_t total = 0;
  for (IngestRule& rule : all) {
    if (!r.source_id.empty() && rule.source_id != r.source_id) continue;
    if (!r.pipeline_id.empty() && rule.pipeline_id != r.pipeline_id) continue;
    ++total;
    if (!after.empty() && rule.rule_id <= after) continue;
    if (static_cast<int>(out.rules.size()) == page_size) {
      if (out.pagination.next_page_token.empty()) {
        out.pagination.next_page_token = util::EncodePageToken(listing, out.rules.back().rule_id);
      }
      continue;
    }
    FillBinding(&rule);
    out.rules.push_back(std::move(rule));
  }
  out.pagination.total_count = total;
  return out;
}

Result<IngestRule> IngestService::Impl::UpdateRule(const UpdateRuleRequest& r) {
  std::lock_guard write_lock(rule_writes_mu_);
  K3_ASSIGN_OR_RETURN(IngestRule rule, GetRule(r.bucket, r.rule_id));
  if (r.pipeline_id) rule.pipeline_id = *r.pipeline_id;
  if (r.source_id) rule.source_id = *r.source_id;
  if (r.name) rule.name = *r.name;
  if (r.description) rule.description = *r.description;
  if (r.include_patterns) rule.include_patterns = *r.include_patterns;
  if (r.exclude_patterns) rule.exclude_patterns = *r.exclude_patterns;
  if (r.include_mime_types) rule.include_mime_types = *r.include_mime_types;
  if (r.exclude_mime_types) rule.exclude_mime_types = *r.exclude_mime_types;
  if (r.min_size_bytes) rule.min_size_bytes = *r.min_size_bytes;
  if (r.max_size_bytes) rule.max_size_bytes = *r.max_size_bytes;
  if (r.enabled) rule.enabled = *r.enabled;
  if (r.priority) rule.priority = *r.priority;
  K3_RETURN_IF_ERROR(ValidateRule(rule));
  rule.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kRecords, ingest::RuleKey(rule.bucket, rule.rule_id),
             ingest::EncodeRule(rule));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  InvalidateRules(rule.bucket);
  FillBinding(&rule);
  return rule;
}

Status IngestService::Impl::DeleteRule(std::string_view bucket, std::string_view rule_id) {
  std::lock_guard write_lock(rule_writes_mu_);
  K3_ASSIGN_OR_RETURN(IngestRule rule, GetRule(bucket, rule_id));
  auto batch = store_->NewBatch();
  batch->Delete(kv::Cf::kRecords, ingest::RuleKey(bucket, rule_id));
  // The rule's sync state goes with it, for every source.
  const std::string sync_prefix = ingest::BucketPrefix("sync", bucket);
  auto it = store_->NewIterator(kv::Cf::kRecords, ingest::PrefixEnd(sync_prefix));
  std::string marker(1, '\0');
  marker.append(rule_id).push_back('\0');
  for (it->Seek(sync_prefix); it->Valid(); it->Next()) {
    // Keys: sync/<b>\0<source>\0<rule>\0<key>; the rule sits after the source.
    std::string_view rest = it->key().substr(sync_prefix.size());
    const size_t source_end = rest.find('\0');
    if (source_end == std::string_view::npos) continue;
    if (rest.substr(source_end).starts_with(marker)) {
      batch->Delete(kv::Cf::kRecords, it->key());
    }
  }
  K3_RETURN_IF_ERROR(it->status());
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  InvalidateRules(bucket);
  return Status();
}

}  // namespace k3
