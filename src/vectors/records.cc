// The kVectors codecs: see records.h.
#include "vectors/records.h"

#include <cstring>

#include "kv/codec.h"

namespace k3::vectors {

namespace {

constexpr uint64_t kEngineVersion = 1;
constexpr uint64_t kCollectionVersion = 1;
constexpr uint64_t kRowVersion = 1;

enum ValueTag : uint64_t { kString = 0, kNumber = 1, kBool = 2, kList = 3 };

std::string RawBytes(const void* p, size_t n) {
  return std::string(static_cast<const char*>(p), n);
}

void PutMetadata(kv::Encoder& e, const Metadata& m) {
  e.PutVarint(m.size());
  for (const auto& [key, value] : m) {
    e.PutString(key);
    if (const auto* s = std::get_if<std::string>(&value)) {
      e.PutVarint(kString);
      e.PutString(*s);
    } else if (const auto* d = std::get_if<double>(&value)) {
      e.PutVarint(kNumber);
      e.PutString(RawBytes(d, sizeof(double)));
    } else if (const auto* b = std::get_if<bool>(&value)) {
      e.PutVarint(kBool);
      e.PutBool(*b);
    } else {
      e.PutVarint(kList);
      e.PutStringList(std::get<std::vector<std::string>>(value));
    }
  }
}

bool GetMetadata(kv::Decoder& d, Metadata* m) {
  uint64_t n = 0;
  if (!d.GetVarint(&n)) return false;
  m->clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    uint64_t tag = 0;
    if (!d.GetString(&key) || !d.GetVarint(&tag)) return false;
    switch (tag) {
      case kString: {
        std::string s;
        if (!d.GetString(&s)) return false;
        (*m)[key] = std::move(s);
        break;
      }
      case kNumber: {
        std::string raw;
        if (!d.GetString(&raw) || raw.size() != sizeof(double)) return false;
        double v;
        std::memcpy(&v, raw.data(), sizeof v);
        (*m)[key] = v;
        break;
      }
      case kBool: {
        bool b;
        if (!d.GetBool(&b)) return false;
        (*m)[key] = b;
        break;
      }
      case kList: {
        std::vector<std::string> list;
        if (!d.GetStringList(&list)) return false;
        (*m)[key] = std::move(list);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::string EngineKey(std::string_view bucket) { return "e/" + std::string(bucket); }

std::string CollectionPrefix(std::string_view bucket) {
  std::string k = "c/" + std::string(bucket);
  k.push_back('\0');
  return k;
}

std::string CollectionKey(std::string_view bucket, std::string_view name) {
  return CollectionPrefix(bucket) + std::string(name);
}

std::string VectorPrefix(std::string_view collection_id) {
  std::string k = "v/" + std::string(collection_id);
  k.push_back('\0');
  return k;
}

std::string VectorKey(std::string_view collection_id, std::string_view id) {
  return VectorPrefix(collection_id) + std::string(id);
}

std::string PrefixEnd(std::string prefix) { return kv::PrefixEnd(prefix); }

std::string EncodeEngine(const EngineRecord& r) {
  kv::Encoder e;
  e.PutVarint(kEngineVersion);
  e.PutString(r.engine_id);
  e.PutSigned(r.created_at);
  e.PutSigned(r.updated_at);
  return e.Take();
}

bool DecodeEngine(std::string_view in, EngineRecord* r) {
  kv::Decoder d(in);
  uint64_t version = 0;
  return d.GetVarint(&version) && version == kEngineVersion && d.GetString(&r->engine_id) &&
         d.GetSigned(&r->created_at) && d.GetSigned(&r->updated_at);
}

std::string EncodeCollection(const CollectionRecord& r) {
  const Collection& c = r.info;
  kv::Encoder e;
  e.PutVarint(kCollectionVersion);
  e.PutString(c.collection_id);
  e.PutString(c.bucket);
  e.PutString(c.name);
  e.PutSigned(c.dimensions);
  e.PutVarint(static_cast<uint64_t>(c.metric));
  e.PutVarint(static_cast<uint64_t>(c.index));
  e.PutSigned(c.hnsw.m);
  e.PutSigned(c.hnsw.ef_construction);
  e.PutSigned(c.hnsw.ef_search);
  e.PutSigned(c.ivf.nlist);
  e.PutSigned(c.ivf.nprobe);
  e.PutString(c.embed_model);
  e.PutString(c.description);
  e.PutVarint(static_cast<uint64_t>(c.mode));
  e.PutVarint(c.vector_count);
  e.PutSigned(c.created_at);
  e.PutSigned(c.updated_at);
  e.PutVarint(r.next_label);
  e.PutString(c.embed_pipeline_id);  // added after format 1's first release: optional on read
  e.PutString(c.embed_pipeline_name);
  return e.Take();
}

bool DecodeCollection(std::string_view in, CollectionRecord* r) {
  Collection& c = r->info;
  kv::Decoder d(in);
  uint64_t version = 0, metric = 0, index = 0, mode = 0;
  bool ok = d.GetVarint(&version) && version == kCollectionVersion &&
            d.GetString(&c.collection_id) && d.GetString(&c.bucket) && d.GetString(&c.name) &&
            d.GetInt(&c.dimensions) && d.GetVarint(&metric) && d.GetVarint(&index) &&
            d.GetInt(&c.hnsw.m) && d.GetInt(&c.hnsw.ef_construction) &&
            d.GetInt(&c.hnsw.ef_search) && d.GetInt(&c.ivf.nlist) && d.GetInt(&c.ivf.nprobe) &&
            d.GetString(&c.embed_model) && d.GetString(&c.description) && d.GetVarint(&mode) &&
            d.GetVarint(&c.vector_count) && d.GetSigned(&c.created_at) &&
            d.GetSigned(&c.updated_at) && d.GetVarint(&r->next_label);
  if (ok && !d.done()) {
    ok = d.GetString(&c.embed_pipeline_id) && d.GetString(&c.embed_pipeline_name);
  }
  if (!ok) return false;
  c.metric = static_cast<VectorMetric>(metric);
  c.index = static_cast<VectorIndexType>(index);
  c.mode = static_cast<CollectionMode>(mode);
  c.status = CollectionStatus::kReady;
  return true;
}

std::string EncodeRow(const VectorRow& r) {
  kv::Encoder e;
  e.PutVarint(kRowVersion);
  e.PutVarint(r.label);
  e.PutString(RawBytes(r.values.data(), r.values.size() * sizeof(float)));
  PutMetadata(e, r.metadata);
  e.PutBool(r.text.has_value());
  if (r.text) e.PutString(*r.text);
  return e.Take();
}

bool DecodeRowLabel(std::string_view in, uint64_t* label) {
  kv::Decoder d(in);
  uint64_t version = 0;
  return d.GetVarint(&version) && version == kRowVersion && d.GetVarint(label);
}

bool DecodeRow(std::string_view in, VectorRow* r) {
  kv::Decoder d(in);
  uint64_t version = 0;
  std::string raw;
  bool has_text = false;
  if (!d.GetVarint(&version) || version != kRowVersion || !d.GetVarint(&r->label) ||
      !d.GetString(&raw) || raw.size() % sizeof(float) != 0 || !GetMetadata(d, &r->metadata) ||
      !d.GetBool(&has_text)) {
    return false;
  }
  r->values.resize(raw.size() / sizeof(float));
  if (!raw.empty()) std::memcpy(r->values.data(), raw.data(), raw.size());
  r->text.reset();
  if (has_text) {
    std::string text;
    if (!d.GetString(&text)) return false;
    r->text = std::move(text);
  }
  return d.done();
}

}  // namespace k3::vectors
