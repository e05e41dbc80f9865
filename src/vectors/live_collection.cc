// LiveCollection: see live_collection.h.
#include "vectors/live_collection.h"

#include <fcntl.h>
#include <unistd.h>

#include <faiss/impl/IDSelector.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vectors/filter.h"

namespace k3::vectors {

namespace fs = std::filesystem;

namespace {

// FAISS selector: the live positions whose metadata matches the filter, evaluated lazily on
// the positions FAISS visits.
class FilterSelector : public faiss::IDSelector {
 public:
  FilterSelector(const FaissIndex& index, const std::unordered_map<uint64_t, Slot>& slots,
                 const VectorFilter& filter)
      : index_(index), slots_(slots), filter_(filter) {}
  bool is_member(idx_t pos) const override {
    if (pos < 0 || static_cast<size_t>(pos) >= index_.size() || !index_.live_at(pos)) {
      return false;
    }
    auto it = slots_.find(index_.label_at(pos));
    return it != slots_.end() && MatchFilter(filter_, it->second.metadata);
  }

 private:
  const FaissIndex& index_;
  const std::unordered_map<uint64_t, Slot>& slots_;
  const VectorFilter& filter_;
};

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  fs::path p(path);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) return Internal("cannot create " + p.parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Internal("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Internal("cannot sync " + tmp + ": " + std::strerror(errno));
  }
  fs::rename(tmp, p, ec);
  if (ec) return Internal("cannot rename " + tmp + ": " + ec.message());
  int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status();
}

}  // namespace

float ScoreOf(VectorMetric metric, float distance) {
  if (metric == VectorMetric::kL2) return 1.0f / (1.0f + std::max(0.0f, distance));
  return distance;  // inner product (of normalized vectors for COSINE)
}

IndexConfig ConfigOf(const Collection& c) {
  IndexConfig config;
  config.dims = c.dimensions;
  config.metric = c.metric;
  config.type = c.index;
  config.hnsw = c.hnsw;
  config.ivf = c.ivf;
  return config;
}

LiveCollection::LiveCollection(CollectionRecord record, std::string checkpoint_path,
                               util::Logger logger)
    : config_(ConfigOf(record.info)),
      collection_id_(record.info.collection_id),
      name_(record.info.name),
      bucket_(record.info.bucket),
      checkpoint_path_(std::move(checkpoint_path)),
      logger_(std::move(logger)),
      record_(std::move(record)) {}

LiveCollection::~LiveCollection() = default;

std::optional<uint64_t> LiveCollection::LabelOf(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = labels_by_id_.find(id);
  if (it == labels_by_id_.end()) return std::nullopt;
  return it->second;
}

Status LiveCollection::Load(const kv::Store& store, const kv::Snapshot* snapshot) {
  std::unique_lock lock(mu_);
  const std::string prefix = VectorPrefix(record_.info.collection_id);
  auto it = store.NewIterator(kv::Cf::kVectors, PrefixEnd(prefix), snapshot);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    VectorRow row;
    if (!DecodeRow(it->value(), &row) || row.label >= record_.next_label ||
        row.values.size() != static_cast<size_t>(config_.dims)) {
      return DataLoss("collection " + record_.info.name + ": vector row \"" +
                      std::string(it->key().substr(prefix.size())) + "\" is damaged");
    }
    Slot slot{std::string(it->key().substr(prefix.size())), std::move(row.metadata),
              std::move(row.values)};
    if (config_.metric == VectorMetric::kCosine) {
      vectors::NormalizeL2(slot.values.data(), slot.values.size());
    }
    labels_by_id_[slot.id] = row.label;
    slots_.emplace(row.label, std::move(slot));
  }
  K3_RETURN_IF_ERROR(it->status());
  applied_next_label_ = record_.next_label;

  std::string bytes;
  bool have_file = false;
  {
    std::ifstream in(checkpoint_path_, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      bytes = ss.str();
      have_file = true;
    }
  }
  if (have_file) {
    uint64_t covered = 0;
    auto loaded = FaissIndex::FromCheckpoint(config_, bytes, &covered);
    Status problem = loaded.status();
    if (loaded.ok() && covered > record_.next_label) {
      problem = DataLoss("index checkpoint covers labels the store does not have");
    }
    if (problem.ok()) {
      std::unique_ptr<FaissIndex> index = std::move(loaded).value();
      // Tombstones: indexed labels whose rows are gone.
      size_t live_indexed = 0;
      for (size_t pos = 0; pos < index->size(); ++pos) {
        uint64_t label = index->label_at(static_cast<int64_t>(pos));
        if (slots_.count(label)) {
          ++live_indexed;
        } else {
          index->Remove(label);
        }
      }
      // Catch up: the rows written after the checkpoint.
      std::vector<uint64_t> labels;
      size_t covered_rows = 0;
      for (const auto& [label, slot] : slots_) {
        if (label >= covered) {
          labels.push_back(label);
        } else {
          ++covered_rows;
        }
      }
      if (covered_rows != live_indexed) {
        problem = DataLoss("index checkpoint misses rows it claims to cover");
      } else {
        std::sort(labels.begin(), labels.end());
        std::vector<float> data;
        data.reserve(labels.size() * config_.dims);
        for (uint64_t label : labels) {
          const auto& v = slots_[label].values;
          data.insert(data.end(), v.begin(), v.end());
        }
        K3_RETURN_IF_ERROR(index->Add(labels, data.data()));
        index_ = std::move(index);
        checkpointed_label_ = covered;
        return Status();
      }
    }
    logger_.Warn("collection " + record_.info.name +
                 ": rebuilding its index from the store: " + problem.ToString());
  }
  K3_RETURN_IF_ERROR(RebuildLocked());
  lock.unlock();
  return Checkpoint();
}

Status LiveCollection::RebuildLocked() {
  std::vector<uint64_t> labels;
  labels.reserve(slots_.size());
  for (const auto& [label, slot] : slots_) labels.push_back(label);
  std::sort(labels.begin(), labels.end());
  std::vector<float> data;
  data.reserve(labels.size() * config_.dims);
  for (uint64_t label : labels) {
    const auto& v = slots_[label].values;
    data.insert(data.end(), v.begin(), v.end());
  }
  K3_ASSIGN_OR_RETURN(index_, FaissIndex::Build(config_, labels, data.data()));
  checkpoint_stale_ = true;
  return Status();
}

Status LiveCollection::Apply(Change change) {
  std::unique_lock lock(mu_);
  for (uint64_t label : change.removes) {
    auto it = slots_.find(label);
    if (it != slots_.end()) {
      auto id_it = labels_by_id_.find(it->second.id);
      if (id_it != labels_by_id_.end() && id_it->second == label) labels_by_id_.erase(id_it);
      slots_.erase(it);
    }
    index_->Remove(label);
  }
  std::vector<uint64_t> labels;
  std::vector<float> data;
  labels.reserve(change.adds.size());
  data.reserve(change.adds.size() * config_.dims);
  for (auto& [label, slot] : change.adds) {
    if (config_.metric == VectorMetric::kCosine) {
      vectors::NormalizeL2(slot.values.data(), slot.values.size());
    }
    labels.push_back(label);
    data.insert(data.end(), slot.values.begin(), slot.values.end());
    labels_by_id_[slot.id] = label;
    slots_[label] = std::move(slot);
  }
  Status s = index_->Add(labels, data.data());
  if (!s.ok()) broken_ = true;
  applied_next_label_ = change.next_label;
  return s;
}

Status LiveCollection::BruteForce(const float* query, int k, const VectorFilter& filter,
                                  std::vector<std::pair<float, uint64_t>>* best) const {
  const size_t d = static_cast<size_t>(config_.dims);
  for (const auto& [label, slot] : slots_) {
    if (!MatchFilter(filter, slot.metadata)) continue;
    float dist = config_.metric == VectorMetric::kL2
                     ? faiss::fvec_L2sqr(query, slot.values.data(), d)
                     : faiss::fvec_inner_product(query, slot.values.data(), d);
    best->push_back({ScoreOf(config_.metric, dist), label});
  }
  auto by_score = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  if (best->size() > static_cast<size_t>(k)) {
    std::partial_sort(best->begin(), best->begin() + k, best->end(), by_score);
    best->resize(k);
  } else {
    std::sort(best->begin(), best->end(), by_score);
  }
  return Status();
}

Status LiveCollection::Search(const float* query, int k, const VectorFilter* filter,
                              std::optional<float> min_score, std::vector<Hit>* out) const {
  std::shared_lock lock(mu_);
  out->clear();
  if (slots_.empty() || index_ == nullptr) return Status();
  std::vector<std::pair<float, uint64_t>> best;  // (score, label)
  if (filter == nullptr) {
    std::vector<RawHit> raw;
    K3_RETURN_IF_ERROR(index_->Search(query, k, nullptr, 1.0, &raw));
    for (const auto& h : raw) {
      best.push_back({ScoreOf(config_.metric, h.distance), index_->label_at(h.pos)});
    }
  } else {
    // Estimate the filter's selectivity on a strided sample of the index's positions.
    const size_t n = index_->size();
    const size_t samples = std::min<size_t>(n, 256);
    const size_t stride = std::max<size_t>(1, n / samples);
    size_t seen = 0, matched = 0;
    for (size_t pos = 0; pos < n && seen < samples; pos += stride) {
      if (!index_->live_at(static_cast<int64_t>(pos))) continue;
      auto it = slots_.find(index_->label_at(static_cast<int64_t>(pos)));
      if (it == slots_.end()) continue;
      ++seen;
      if (MatchFilter(*filter, it->second.metadata)) ++matched;
    }
    double selectivity = seen == 0 ? 0.0 : static_cast<double>(matched) / seen;
    if (selectivity < kBruteForceSelectivity || slots_.size() <= 1024 ||
        index_->kind() == IndexKind::kFlat) {
      K3_RETURN_IF_ERROR(BruteForce(query, k, *filter, &best));
    } else {
      FilterSelector selector(*index_, slots_, *filter);
      std::vector<RawHit> raw;
      K3_RETURN_IF_ERROR(index_->Search(query, k, &selector, 1.0 / selectivity, &raw));
      for (const auto& h : raw) {
        best.push_back({ScoreOf(config_.metric, h.distance), index_->label_at(h.pos)});
      }
    }
  }
  for (const auto& [score, label] : best) {
    if (min_score && score < *min_score) continue;
    auto it = slots_.find(label);
    if (it == slots_.end()) continue;  // cannot happen: selectors exclude dead positions
    out->push_back({it->second.id, score, it->second.metadata});
  }
  return Status();
}

bool LiveCollection::NeedsMaintenance() const {
  std::shared_lock lock(mu_);
  if (index_ == nullptr) return false;
  if (index_->dead() >= kMinDead &&
      static_cast<double>(index_->dead()) > kRebuildDeadRatio * index_->size()) {
    return true;
  }
  if (index_->WantsTraining()) return true;
  return applied_next_label_ - checkpointed_label_ >= kCheckpointEvery;
}

Status LiveCollection::Maintain() {
  bool rebuild = false;
  {
    std::shared_lock lock(mu_);
    if (index_ == nullptr) return Status();
    rebuild = (index_->dead() >= kMinDead &&
               static_cast<double>(index_->dead()) > kRebuildDeadRatio * index_->size()) ||
              index_->WantsTraining();
  }
  if (rebuild) K3_RETURN_IF_ERROR(Rebuild());
  return Checkpoint();
}

Status LiveCollection::Rebuild() {
  building_ = true;
  std::vector<uint64_t> labels;
  std::vector<float> data;
  uint64_t snapshot_next = 0;
  {
    std::shared_lock lock(mu_);
    labels.reserve(slots_.size());
    for (const auto& [label, slot] : slots_) labels.push_back(label);
    std::sort(labels.begin(), labels.end());
    data.reserve(labels.size() * config_.dims);
    for (uint64_t label : labels) {
      const auto& v = slots_.at(label).values;
      data.insert(data.end(), v.begin(), v.end());
    }
    snapshot_next = applied_next_label_;
  }
  auto built = FaissIndex::Build(config_, labels, data.data());
  if (!built.ok()) {
    building_ = false;
    return built.status();
  }
  std::unique_ptr<FaissIndex> index = std::move(built).value();
  std::unique_lock lock(mu_);
  // What was written while the index was being built: removals, then additions.
  for (uint64_t label : labels) {
    if (!slots_.count(label)) index->Remove(label);
  }
  std::vector<uint64_t> fresh;
  for (const auto& [label, slot] : slots_) {
    if (label >= snapshot_next) fresh.push_back(label);
  }
  std::sort(fresh.begin(), fresh.end());
  std::vector<float> fresh_data;
  fresh_data.reserve(fresh.size() * config_.dims);
  for (uint64_t label : fresh) {
    const auto& v = slots_.at(label).values;
    fresh_data.insert(fresh_data.end(), v.begin(), v.end());
  }
  Status s = index->Add(fresh, fresh_data.data());
  if (s.ok()) {
    index_ = std::move(index);
    checkpoint_stale_ = true;
  }
  building_ = false;
  return s;
}

Status LiveCollection::Checkpoint() {
  std::lock_guard checkpoint_lock(checkpoint_mu_);
  if (checkpoint_removed_) return Status();
  std::string bytes;
  uint64_t covered = 0;
  {
    std::shared_lock lock(mu_);
    if (index_ == nullptr || broken_) return Status();
    if (!checkpoint_stale_ && checkpointed_label_ == applied_next_label_) return Status();
    covered = applied_next_label_;
    K3_ASSIGN_OR_RETURN(bytes, index_->Serialize(covered));
  }
  K3_RETURN_IF_ERROR(WriteFileAtomically(checkpoint_path_, bytes));
  std::unique_lock lock(mu_);
  checkpointed_label_ = covered;
  checkpoint_stale_ = false;
  return Status();
}

void LiveCollection::RemoveCheckpoint() {
  std::lock_guard checkpoint_lock(checkpoint_mu_);
  checkpoint_removed_ = true;
  std::error_code ec;
  fs::remove(checkpoint_path_, ec);
  fs::remove(checkpoint_path_ + ".tmp", ec);
}

}  // namespace k3::vectors
