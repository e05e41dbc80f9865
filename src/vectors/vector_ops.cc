// VectorService::Impl: vector writes, reads and search (see vector_impl.h).
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "util/clock.h"
#include "vectors/filter.h"
#include "vectors/validate.h"
#include "vectors/vector_impl.h"

namespace k3 {

using vectors::Change;
using vectors::CollectionRecord;
using vectors::LiveCollection;
using vectors::VectorRow;

namespace {

Status CheckWritable(const Collection& c, VectorService::Impl::Writer writer) {
  if (c.mode == CollectionMode::kPipeline && writer != VectorService::Impl::Writer::kPipeline) {
    return FailedPrecondition("collection \"" + c.name +
                              "\" is written by its pipeline; external writes are refused");
  }
  return Status();
}

Status DroppedMeanwhile(const Collection& c) {
  return NotFound("collection \"" + c.name + "\" was deleted");
}

}  // namespace

Result<WriteVectorsResponse> VectorService::Impl::Write(const WriteVectorsRequest& r, bool upsert,
                                                        Writer writer) {
  K3_ASSIGN_OR_RETURN(auto live, Acquire(r.bucket, r.collection));
  const vectors::IndexConfig& config = live->config();
  if (r.vectors.size() > vectors::kMaxBatchVectors) {
    return InvalidArgument("at most " + std::to_string(vectors::kMaxBatchVectors) +
                           " vectors per call, got " + std::to_string(r.vectors.size()));
  }
  std::unordered_set<std::string_view> ids;
  for (size_t i = 0; i < r.vectors.size(); ++i) {
    const VectorRecord& v = r.vectors[i];
    const std::string path = "vectors[" + std::to_string(i) + "]";
    K3_RETURN_IF_ERROR(vectors::ValidateVectorId(v.id, path + ".id"));
    K3_RETURN_IF_ERROR(
        vectors::ValidateValues(v.values, config.dims, config.metric, path + ".values"));
    K3_RETURN_IF_ERROR(vectors::ValidateMetadata(v.metadata, path + ".metadata"));
    if (v.text && v.text->size() > vectors::kMaxTextBytes) {
      return InvalidArgument(path + ".text is over " + std::to_string(vectors::kMaxTextBytes) +
                             " bytes");
    }
    if (!ids.insert(v.id).second) {
      return InvalidArgument(path + ".id \"" + v.id + "\" appears twice in the batch");
    }
  }

  std::lock_guard write_lock(live->write_mu());
  CollectionRecord& record = live->record();
  if (live->dropped()) return DroppedMeanwhile(record.info);
  K3_RETURN_IF_ERROR(CheckWritable(record.info, writer));
  Change change;
  uint64_t added = 0;
  for (const VectorRecord& v : r.vectors) {
    if (auto old = live->LabelOf(v.id)) {
      if (!upsert) {
        return AlreadyExists("vector \"" + v.id + "\" already exists in collection \"" +
                             record.info.name + "\"");
      }
      change.removes.push_back(*old);
    } else {
      ++added;
    }
  }
  if (r.vectors.empty()) return WriteVectorsResponse{};

  CollectionRecord next = record;
  auto batch = store_->NewBatch(r.vectors.size() * (config.dims * sizeof(float) + 64));
  for (const VectorRecord& v : r.vectors) {
    VectorRow row;
    row.label = next.next_label++;
    row.values = v.values;
    row.metadata = v.metadata;
    row.text = v.text;
    batch->Put(kv::Cf::kVectors, vectors::VectorKey(next.info.collection_id, v.id),
               vectors::EncodeRow(row));
    change.adds.push_back({row.label, vectors::Slot{v.id, v.metadata, v.values}});
  }
  next.info.vector_count += added;
  next.info.updated_at = util::NowMs();
  change.next_label = next.next_label;
  batch->Put(kv::Cf::kVectors, vectors::CollectionKey(next.info.bucket, next.info.name),
             vectors::EncodeCollection(next));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  record = std::move(next);
  Status applied = live->Apply(std::move(change));
  if (!applied.ok()) {
    // The batch is durable; the index will be rebuilt from the rows on next use.
    Forget(record.info.collection_id);
    store_->logger().Warn("vector index update failed; it will be rebuilt: " + applied.ToString());
  } else {
    Enqueue(live);
  }
  return WriteVectorsResponse{r.vectors.size()};
}

Result<DeleteVectorsResponse> VectorService::Impl::Delete(const DeleteVectorsRequest& r,
                                                          Writer writer) {
  K3_ASSIGN_OR_RETURN(auto live, Acquire(r.bucket, r.collection));
  for (size_t i = 0; i < r.ids.size(); ++i) {
    K3_RETURN_IF_ERROR(vectors::ValidateVectorId(r.ids[i], "ids[" + std::to_string(i) + "]"));
  }
  std::lock_guard write_lock(live->write_mu());
  CollectionRecord& record = live->record();
  if (live->dropped()) return DroppedMeanwhile(record.info);
  K3_RETURN_IF_ERROR(CheckWritable(record.info, writer));
  Change change;
  CollectionRecord next = record;
  auto batch = store_->NewBatch();
  std::unordered_set<std::string_view> seen;
  for (const std::string& id : r.ids) {
    if (!seen.insert(id).second) continue;
    auto label = live->LabelOf(id);
    if (!label) continue;
    change.removes.push_back(*label);
    batch->Delete(kv::Cf::kVectors, vectors::VectorKey(next.info.collection_id, id));
  }
  if (change.removes.empty()) return DeleteVectorsResponse{};
  next.info.vector_count -= change.removes.size();
  next.info.updated_at = util::NowMs();
  change.next_label = next.next_label;
  batch->Put(kv::Cf::kVectors, vectors::CollectionKey(next.info.bucket, next.info.name),
             vectors::EncodeCollection(next));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  record = std::move(next);
  const uint64_t deleted = change.removes.size();
  Status applied = live->Apply(std::move(change));
  if (!applied.ok()) {
    Forget(record.info.collection_id);
  } else {
    Enqueue(live);
  }
  return DeleteVectorsResponse{deleted};
}

Result<GetVectorsResponse> VectorService::Impl::Get(const GetVectorsRequest& r) {
  K3_RETURN_IF_ERROR(CheckEngine(r.bucket));
  auto snapshot = store_->NewSnapshot();
  K3_ASSIGN_OR_RETURN(CollectionRecord record,
                      FindCollection(r.bucket, r.collection, snapshot.get()));
  GetVectorsResponse out;
  for (size_t i = 0; i < r.ids.size(); ++i) {
    const std::string& id = r.ids[i];
    K3_RETURN_IF_ERROR(vectors::ValidateVectorId(id, "ids[" + std::to_string(i) + "]"));
    K3_ASSIGN_OR_RETURN(
        auto raw, store_->Get(kv::Cf::kVectors, vectors::VectorKey(record.info.collection_id, id),
                              snapshot.get()));
    if (!raw) {
      out.missing_ids.push_back(id);
      continue;
    }
    VectorRow row;
    if (!vectors::DecodeRow(*raw, &row)) {
      return DataLoss("vector \"" + id + "\" of collection \"" + record.info.name +
                      "\" is damaged");
    }
    out.vectors.push_back(
        VectorRecord{id, std::move(row.values), std::move(row.metadata), std::move(row.text)});
  }
  return out;
}

Result<Collection> VectorService::Impl::BindPipeline(std::string_view bucket,
                                                     std::string_view collection,
                                                     std::string_view pipeline_id,
                                                     std::string_view pipeline_name) {
  K3_ASSIGN_OR_RETURN(auto live, Acquire(bucket, collection));
  std::lock_guard write_lock(live->write_mu());
  CollectionRecord& record = live->record();
  if (live->dropped()) return DroppedMeanwhile(record.info);
  if (record.info.mode != CollectionMode::kPipeline) {
    return FailedPrecondition("collection \"" + record.info.name +
                              "\" is an external-mode collection; a pipeline cannot write it");
  }
  CollectionRecord next = record;
  next.info.embed_pipeline_id = std::string(pipeline_id);
  next.info.embed_pipeline_name = std::string(pipeline_name);
  next.info.updated_at = util::NowMs();
  auto batch = store_->NewBatch();
  batch->Put(kv::Cf::kVectors, vectors::CollectionKey(next.info.bucket, next.info.name),
             vectors::EncodeCollection(next));
  K3_RETURN_IF_ERROR(store_->Write(*batch));
  record = std::move(next);
  return record.info;
}

Result<std::vector<std::string>> VectorService::Impl::IdsWithPrefix(std::string_view bucket,
                                                                    std::string_view collection,
                                                                    std::string_view prefix) {
  K3_RETURN_IF_ERROR(CheckEngine(bucket));
  K3_ASSIGN_OR_RETURN(CollectionRecord record, FindCollection(bucket, collection));
  const std::string rows = vectors::VectorPrefix(record.info.collection_id);
  const std::string start = rows + std::string(prefix);
  const std::string end = vectors::PrefixEnd(start);
  std::vector<std::string> out;
  auto it = store_->NewIterator(kv::Cf::kVectors, end);
  for (it->Seek(start); it->Valid(); it->Next()) {
    out.emplace_back(it->key().substr(rows.size()));
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

Status VectorService::Impl::SearchOne(const std::vector<std::shared_ptr<LiveCollection>>& targets,
                                      const std::vector<std::string>& names,
                                      const std::vector<float>& query_in, const SearchRequest& r,
                                      std::vector<SearchHit>* out) {
  const VectorFilter* filter = r.filter ? &*r.filter : nullptr;
  std::vector<SearchHit> merged;
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto& config = targets[t]->config();
    std::vector<float> query = query_in;
    if (config.metric == VectorMetric::kCosine) {
      vectors::NormalizeL2(query.data(), query.size());
    }
    std::vector<vectors::Hit> hits;
    K3_RETURN_IF_ERROR(targets[t]->Search(query.data(), r.top_k, filter, r.min_score, &hits));
    for (auto& h : hits) {
      SearchHit hit;
      hit.collection = names[t];
      hit.id = std::move(h.id);
      hit.score = h.score;
      hit.metadata = std::move(h.metadata);
      for (const char* field : {"object_key", "key"}) {  // "key": what pipelines write
        auto it = hit.metadata.find(field);
        if (it == hit.metadata.end()) continue;
        if (const auto* s = std::get_if<std::string>(&it->second)) {
          hit.object_key = *s;
          break;
        }
      }
      merged.push_back(std::move(hit));
    }
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
  if (merged.size() > static_cast<size_t>(r.top_k)) merged.resize(r.top_k);
  if (r.include_content) {
    // Texts live only in the rows.
    for (size_t t = 0; t < targets.size(); ++t) {
      const std::string& collection_id = targets[t]->collection_id();
      for (SearchHit& hit : merged) {
        if (hit.collection != names[t]) continue;
        K3_ASSIGN_OR_RETURN(
            auto raw, store_->Get(kv::Cf::kVectors, vectors::VectorKey(collection_id, hit.id)));
        VectorRow row;
        if (raw && vectors::DecodeRow(*raw, &row)) hit.text = std::move(row.text);
      }
    }
  }
  *out = std::move(merged);
  return Status();
}

Result<SearchResponse> VectorService::Impl::SearchText(
    const std::vector<std::shared_ptr<LiveCollection>>& targets,
    const std::vector<std::string>& names, const SearchRequest& r) {
  if (!embedder_) {
    return Unimplemented("text queries need an embedder; pass query vectors instead");
  }
  // Each collection embeds the text with its own embedder. Searching every collection skips
  // those that cannot embed text (no pipeline, no embed_model); none at all is the first
  // collection's error.
  std::vector<SearchHit> merged;
  Status first_error;
  size_t searched = 0;
  for (size_t t = 0; t < targets.size(); ++t) {
    Collection info;
    {
      std::lock_guard lock(targets[t]->write_mu());
      info = targets[t]->record().info;
    }
    Result<std::vector<float>> query = embedder_(info, r.text);
    if (!query.ok()) {
      if (targets.size() == 1) return query.status();
      if (first_error.ok()) first_error = query.status();
      continue;
    }
    K3_RETURN_IF_ERROR(vectors::ValidateValues(*query, targets[t]->config().dims,
                                               targets[t]->config().metric, "embedded text"));
    std::vector<SearchHit> hits;
    K3_RETURN_IF_ERROR(SearchOne({targets[t]}, {names[t]}, *query, r, &hits));
    for (SearchHit& h : hits) merged.push_back(std::move(h));
    ++searched;
  }
  if (searched == 0) return first_error;
  std::stable_sort(merged.begin(), merged.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
  if (merged.size() > static_cast<size_t>(r.top_k)) merged.resize(r.top_k);
  SearchResponse response;
  response.results.push_back(std::move(merged));
  return response;
}

Result<SearchResponse> VectorService::Impl::Search(const SearchRequest& r) {
  if (r.top_k < 1 || r.top_k > kMaxSearchTopK) {
    return InvalidArgument("topK must be 1.." + std::to_string(kMaxSearchTopK) + ", got " +
                           std::to_string(r.top_k));
  }
  if (r.filter) K3_RETURN_IF_ERROR(vectors::ValidateFilter(*r.filter));
  if (r.min_score && !std::isfinite(*r.min_score)) {
    return InvalidArgument("minScore is not a finite number");
  }
  if (r.vectors.empty() && r.text.empty()) {
    return InvalidArgument("a search needs query vectors or a text");
  }
  // The collections to search.
  std::vector<std::shared_ptr<LiveCollection>> targets;
  std::vector<std::string> names;
  if (!r.collection.empty()) {
    K3_ASSIGN_OR_RETURN(auto live, Acquire(r.bucket, r.collection));
    targets.push_back(live);
    names.push_back(live->name());
  } else {
    K3_RETURN_IF_ERROR(CheckEngine(r.bucket));
    K3_ASSIGN_OR_RETURN(auto records, BucketCollections(r.bucket));
    int dims = r.vectors.empty() ? 0 : static_cast<int>(r.vectors[0].size());
    for (const auto& record : records) {
      if (dims != 0 && record.info.dimensions != dims) continue;
      K3_ASSIGN_OR_RETURN(auto live, Acquire(r.bucket, record.info.collection_id));
      targets.push_back(live);
      names.push_back(record.info.name);
    }
    if (targets.empty()) {
      return NotFound("bucket \"" + r.bucket + "\" has no collection with " + std::to_string(dims) +
                      " dimensions");
    }
  }

  if (r.vectors.empty()) return SearchText(targets, names, r);
  const std::vector<std::vector<float>>& queries = r.vectors;
  for (size_t i = 0; i < queries.size(); ++i) {
    for (const auto& target : targets) {
      K3_RETURN_IF_ERROR(vectors::ValidateValues(queries[i], target->config().dims,
                                                 target->config().metric,
                                                 "vectors[" + std::to_string(i) + "]"));
    }
  }
  SearchResponse response;
  response.results.resize(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    K3_RETURN_IF_ERROR(SearchOne(targets, names, queries[i], r, &response.results[i]));
  }
  return response;
}

}  // namespace k3
