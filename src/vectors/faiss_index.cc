// FaissIndex: see faiss_index.h.
#include "vectors/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>

#include "util/hash.h"

namespace k3::vectors {

namespace {

constexpr char kMagic[] = "K3VIDX01";
constexpr size_t kMagicLen = 8;
constexpr size_t kDigestLen = 32;
constexpr int kMaxEfSearch = 4096;

faiss::MetricType FaissMetric(VectorMetric m) {
  return m == VectorMetric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

void PutU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }
void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }

// Reads fixed-width values from a byte string; every read fails once one has.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U64(uint64_t* v) { return Raw(v, 8); }
  bool U32(uint32_t* v) { return Raw(v, 4); }
  bool Raw(void* p, size_t n) {
    if (in_.size() < n) return false;
    if (n == 0) return true;  // memcpy's arguments must be non-null even for 0 bytes
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view Take(size_t n) {
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(s.size());
    return s;
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

std::unique_ptr<faiss::Index> NewFaiss(const IndexConfig& c, IndexKind kind) {
  faiss::MetricType metric = FaissMetric(c.metric);
  switch (kind) {
    case IndexKind::kHnsw: {
      auto index = std::make_unique<faiss::IndexHNSWFlat>(c.dims, c.hnsw.m, metric);
      index->hnsw.efConstruction = c.hnsw.ef_construction;
      return index;
    }
    case IndexKind::kIvfFlat: {
      auto* quantizer = new faiss::IndexFlat(c.dims, metric);
      auto index = std::make_unique<faiss::IndexIVFFlat>(quantizer, c.dims, c.ivf.nlist, metric);
      index->own_fields = true;
      index->nprobe = c.ivf.nprobe;
      return index;
    }
    case IndexKind::kFlat:
    default:
      return std::make_unique<faiss::IndexFlat>(c.dims, metric);
  }
}

// Runs FAISS single-threaded on the calling thread for its lifetime. One query gains nothing
// from FAISS's OpenMP parallel regions (IndexHNSW::search opens one per call, with a visited
// table per thread) and loses much when cores are busy. The setting is per thread in OpenMP,
// so concurrent searches and the host's own OpenMP use are not affected.
class SingleThreaded {
 public:
  SingleThreaded() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreaded() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

// Adds of fewer vectors than this run single-threaded.
constexpr size_t kParallelAddMin = 1024;

Status FaissError(std::string_view what, const std::exception& e) {
  return Internal("FAISS failed " + std::string(what) + ": " + e.what());
}

}  // namespace

size_t IvfTrainThreshold(const IvfParams& p) { return static_cast<size_t>(p.nlist) * 39; }

FaissIndex::FaissIndex(const IndexConfig& config, IndexKind kind,
                       std::unique_ptr<faiss::Index> index)
    : config_(config), kind_(kind), index_(std::move(index)) {
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get())) {
    hnsw->hnsw.efSearch = config_.hnsw.ef_search;
  }
}

FaissIndex::~FaissIndex() = default;

void FaissIndex::Track(uint64_t label) {
  int64_t pos = static_cast<int64_t>(labels_.size());
  labels_.push_back(label);
  if (live_.size() * 8 < labels_.size()) live_.push_back(0);
  live_[pos >> 3] |= static_cast<uint8_t>(1u << (pos & 7));
  pos_by_label_[label] = pos;
}

Result<std::unique_ptr<FaissIndex>> FaissIndex::Build(const IndexConfig& config,
                                                      const std::vector<uint64_t>& labels,
                                                      const float* data) {
  IndexKind kind = IndexKind::kFlat;
  if (config.type == VectorIndexType::kHnsw) kind = IndexKind::kHnsw;
  if (config.type == VectorIndexType::kIvfFlat && labels.size() >= IvfTrainThreshold(config.ivf)) {
    kind = IndexKind::kIvfFlat;
  }
  try {
    auto index = std::unique_ptr<FaissIndex>(new FaissIndex(config, kind, NewFaiss(config, kind)));
    if (kind == IndexKind::kIvfFlat) {
      // k-means on at most 256 points per list, FAISS's own sampling ceiling.
      size_t n_train = std::min(labels.size(), static_cast<size_t>(config.ivf.nlist) * 256);
      index->index_->train(static_cast<faiss::Index::idx_t>(n_train), data);
    }
    K3_RETURN_IF_ERROR(index->Add(labels, data));
    return index;
  } catch (const std::exception& e) {
    return FaissError("building an index", e);
  }
}

void NormalizeL2(float* v, size_t dims) {
  const float norm = std::sqrt(faiss::fvec_norm_L2sqr(v, dims));
  if (norm == 0) return;
  for (size_t i = 0; i < dims; ++i) v[i] /= norm;
}

Status FaissIndex::Add(const std::vector<uint64_t>& labels, const float* data) {
  if (labels.empty()) return Status();
  // A write's few vectors: OpenMP's parallel region costs more (threads spinning for work)
  // than it saves. Bulk adds (rebuilds, large batches) keep FAISS's threads.
  std::optional<SingleThreaded> single_threaded;
  if (labels.size() < kParallelAddMin) single_threaded.emplace();
  try {
    index_->add(static_cast<faiss::Index::idx_t>(labels.size()), data);
  } catch (const std::exception& e) {
    return FaissError("adding vectors", e);
  }
  for (uint64_t label : labels) Track(label);
  return Status();
}

bool FaissIndex::Remove(uint64_t label) {
  auto it = pos_by_label_.find(label);
  if (it == pos_by_label_.end()) return false;
  int64_t pos = it->second;
  pos_by_label_.erase(it);
  if (live_at(pos)) {
    live_[pos >> 3] &= static_cast<uint8_t>(~(1u << (pos & 7)));
    ++dead_;
  }
  return true;
}

bool FaissIndex::WantsTraining() const {
  return config_.type == VectorIndexType::kIvfFlat && kind_ == IndexKind::kFlat &&
         size() - dead_ >= IvfTrainThreshold(config_.ivf);
}

Status FaissIndex::Search(const float* query, int k, const faiss::IDSelector* selector,
                          double widen, std::vector<RawHit>* out) const {
  out->clear();
  if (labels_.empty() || k <= 0) return Status();
  std::unique_ptr<faiss::IDSelectorBitmap> live_sel;
  if (selector == nullptr && dead_ > 0) {
    if (dead_ == labels_.size()) return Status();
    live_sel = std::make_unique<faiss::IDSelectorBitmap>(live_.size(), live_.data());
    selector = live_sel.get();
    // Tombstones take room among the candidates: widen by the share of live positions.
    widen = std::max(widen, static_cast<double>(labels_.size()) / (labels_.size() - dead_));
  }
  // A widened HNSW search asks FAISS for more results rather than for a larger efSearch:
  // FAISS 1.7.3 bounds an HNSW search by the index's own hnsw.efSearch as well as by the
  // parameters' (measured: about the smaller of the two), and its candidate queue is sized by
  // max(hnsw.efSearch, k). Changing the index's value would race with concurrent searches;
  // asking for `breadth` results gives the same search, then only the best k are kept.
  size_t want = static_cast<size_t>(k);
  int breadth = std::max(config_.hnsw.ef_search, k);
  if (kind_ == IndexKind::kHnsw && widen > 1.0) {
    breadth = static_cast<int>(std::min<double>(breadth * widen, kMaxEfSearch));
    want = std::max<size_t>(want, static_cast<size_t>(breadth));
  }
  const auto kk = static_cast<faiss::Index::idx_t>(std::min<size_t>(want, labels_.size()));
  std::vector<float> distances(kk);
  std::vector<faiss::Index::idx_t> positions(kk);
  SingleThreaded single_threaded;
  try {
    switch (kind_) {
      case IndexKind::kHnsw: {
        faiss::SearchParametersHNSW params;
        params.efSearch = breadth;
        params.sel = const_cast<faiss::IDSelector*>(selector);
        index_->search(1, query, kk, distances.data(), positions.data(), &params);
        break;
      }
      case IndexKind::kIvfFlat: {
        faiss::SearchParametersIVF params;
        double probes = config_.ivf.nprobe * std::max(1.0, widen);
        params.nprobe = static_cast<size_t>(std::min<double>(probes, config_.ivf.nlist));
        params.sel = const_cast<faiss::IDSelector*>(selector);
        index_->search(1, query, kk, distances.data(), positions.data(), &params);
        break;
      }
      case IndexKind::kFlat:
      default: {
        faiss::SearchParameters params;
        params.sel = const_cast<faiss::IDSelector*>(selector);
        index_->search(1, query, kk, distances.data(), positions.data(),
                       selector ? &params : nullptr);
        break;
      }
    }
  } catch (const std::exception& e) {
    return FaissError("searching", e);
  }
  for (faiss::Index::idx_t i = 0; i < kk && out->size() < static_cast<size_t>(k); ++i) {
    if (positions[i] < 0) continue;
    out->push_back({positions[i], distances[i]});
  }
  return Status();
}

Result<std::string> FaissIndex::Serialize(uint64_t covered_next_label) const {
  faiss::VectorIOWriter writer;
  try {
    faiss::write_index(index_.get(), &writer);
  } catch (const std::exception& e) {
    return FaissError("serializing an index", e);
  }
  std::string out(kMagic, kMagicLen);
  PutU64(&out, covered_next_label);
  PutU32(&out, static_cast<uint32_t>(config_.dims));
  PutU32(&out, static_cast<uint32_t>(config_.metric));
  PutU32(&out, static_cast<uint32_t>(kind_));
  PutU32(&out, 0);
  PutU64(&out, labels_.size());
  out.append(reinterpret_cast<const char*>(labels_.data()), labels_.size() * sizeof(uint64_t));
  PutU64(&out, writer.data.size());
  out.append(reinterpret_cast<const char*>(writer.data.data()), writer.data.size());
  out += util::Sha256Digest(out);
  return out;
}

Result<std::unique_ptr<FaissIndex>> FaissIndex::FromCheckpoint(const IndexConfig& config,
                                                               const std::string& bytes,
                                                               uint64_t* covered_next_label) {
  auto damaged = [](std::string_view why) {
    return DataLoss("index checkpoint " + std::string(why));
  };
  if (bytes.size() < kMagicLen + kDigestLen || bytes.compare(0, kMagicLen, kMagic) != 0) {
    return damaged("is truncated or not a k3 index checkpoint");
  }
  std::string_view body(bytes.data(), bytes.size() - kDigestLen);
  if (util::Sha256Digest(body) != bytes.substr(bytes.size() - kDigestLen)) {
    return damaged("fails its checksum");
  }
  Reader r(body.substr(kMagicLen));
  uint64_t covered = 0, n = 0, faiss_len = 0;
  uint32_t dims = 0, metric = 0, kind = 0, reserved = 0;
  if (!r.U64(&covered) || !r.U32(&dims) || !r.U32(&metric) || !r.U32(&kind) || !r.U32(&reserved) ||
      !r.U64(&n) || n > r.left() / sizeof(uint64_t)) {
    return damaged("has a malformed header");
  }
  if (static_cast<int>(dims) != config.dims || metric != static_cast<uint32_t>(config.metric) ||
      kind < 1 || kind > 3) {
    return damaged("does not match its collection");
  }
  std::vector<uint64_t> labels(n);
  r.Raw(labels.data(), n * sizeof(uint64_t));
  if (!r.U64(&faiss_len) || faiss_len != r.left()) return damaged("has a malformed body");
  faiss::VectorIOReader reader;
  std::string_view payload = r.Take(faiss_len);
  reader.data.assign(payload.begin(), payload.end());
  std::unique_ptr<faiss::Index> raw;
  try {
    raw.reset(faiss::read_index(&reader));
  } catch (const std::exception& e) {
    return damaged(std::string("cannot be read by FAISS: ") + e.what());
  }
  if (raw == nullptr || raw->d != config.dims || static_cast<uint64_t>(raw->ntotal) != n ||
      raw->metric_type != FaissMetric(config.metric)) {
    return damaged("holds an index that does not match its header");
  }
  for (uint64_t label : labels) {
    if (label >= covered) return damaged("names a label beyond what it covers");
  }
  auto index = std::unique_ptr<FaissIndex>(
      new FaissIndex(config, static_cast<IndexKind>(kind), std::move(raw)));
  for (uint64_t label : labels) index->Track(label);
  *covered_next_label = covered;
  return index;
}

}  // namespace k3::vectors
