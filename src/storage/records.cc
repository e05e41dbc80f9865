#include "storage/records.h"

#include "kv/codec.h"

namespace k3::storage {

std::string EncodeBucket(const BucketRecord& r) {
  kv::Encoder e;
  e.PutString(r.name);
  e.PutString(r.description);
  e.PutString(r.internal_source_id);
  e.PutVarint(r.storage_quota_bytes);
  e.PutVarint(static_cast<uint64_t>(r.access_mode));
  e.PutSigned(r.created_at);
  e.PutSigned(r.updated_at);
  return e.Take();
}

bool DecodeBucket(std::string_view in, BucketRecord* r) {
  kv::Decoder d(in);
  uint64_t mode;
  bool ok = d.GetString(&r->name) && d.GetString(&r->description) &&
            d.GetString(&r->internal_source_id) && d.GetVarint(&r->storage_quota_bytes) &&
            d.GetVarint(&mode) && d.GetSigned(&r->created_at) && d.GetSigned(&r->updated_at);
  r->access_mode = static_cast<BucketAccessMode>(mode);
  return ok;
}

std::string EncodeStats(const BucketStats& s) {
  kv::Encoder e;
  e.PutVarint(s.object_count);
  e.PutVarint(s.used_bytes);
  return e.Take();
}

bool DecodeStats(std::string_view in, BucketStats* s) {
  kv::Decoder d(in);
  return d.GetVarint(&s->object_count) && d.GetVarint(&s->used_bytes);
}

namespace {
void PutSegment(kv::Encoder& e, const Segment& s) {
  e.PutString(s.blob_id);
  e.PutVarint(s.size);
}
bool GetSegment(kv::Decoder& d, Segment* s) {
  return d.GetString(&s->blob_id) && s->blob_id.size() == kBlobIdSize && d.GetVarint(&s->size);
}
}  // namespace

std::string EncodeObject(const ObjectRecord& r) {
  kv::Encoder e;
  e.PutVarint(r.size);
  e.PutString(r.etag);
  e.PutString(r.content_type);
  e.PutStringMap(r.metadata);
  e.PutSigned(r.created_at);
  e.PutSigned(r.updated_at);
  e.PutVarint(r.parts_count);
  e.PutVarint(r.segments.size());
  for (const Segment& s : r.segments) PutSegment(e, s);
  return e.Take();
}

bool DecodeObject(std::string_view in, ObjectRecord* r) {
  kv::Decoder d(in);
  uint64_t n;
  if (!(d.GetVarint(&r->size) && d.GetString(&r->etag) && d.GetString(&r->content_type) &&
        d.GetStringMap(&r->metadata) && d.GetSigned(&r->created_at) &&
        d.GetSigned(&r->updated_at) && d.GetU32(&r->parts_count) && d.GetVarint(&n))) {
    return false;
  }
  if (n > in.size()) return false;
  r->segments.resize(n);
  uint64_t total = 0;
  for (Segment& s : r->segments) {
    if (!GetSegment(d, &s)) return false;
    total += s.size;
  }
  return total == r->size;
}

std::string EncodeUpload(const UploadRecord& r) {
  kv::Encoder e;
  e.PutString(r.bucket);
  e.PutString(r.key);
  e.PutString(r.content_type);
  e.PutStringMap(r.metadata);
  e.PutSigned(r.initiated_at);
  return e.Take();
}

bool DecodeUpload(std::string_view in, UploadRecord* r) {
  kv::Decoder d(in);
  return d.GetString(&r->bucket) && d.GetString(&r->key) && d.GetString(&r->content_type) &&
         d.GetStringMap(&r->metadata) && d.GetSigned(&r->initiated_at);
}

std::string EncodePart(const PartRecord& r) {
  kv::Encoder e;
  PutSegment(e, r.segment);
  e.PutString(r.etag);
  e.PutSigned(r.last_modified);
  return e.Take();
}

bool DecodePart(std::string_view in, PartRecord* r) {
  kv::Decoder d(in);
  return GetSegment(d, &r->segment) && d.GetString(&r->etag) && d.GetSigned(&r->last_modified);
}

std::string EncodeCors(const CorsConfiguration& c) {
  kv::Encoder e;
  e.PutVarint(c.cors_rules.size());
  for (const CorsRule& r : c.cors_rules) {
    e.PutStringList(r.allowed_origins);
    e.PutStringList(r.allowed_methods);
    e.PutStringList(r.allowed_headers);
    e.PutStringList(r.expose_headers);
    e.PutSigned(r.max_age_seconds);
  }
  return e.Take();
}

bool DecodeCors(std::string_view in, CorsConfiguration* c) {
  kv::Decoder d(in);
  uint64_t n;
  if (!d.GetVarint(&n) || n > in.size()) return false;
  c->cors_rules.resize(n);
  for (CorsRule& r : c->cors_rules) {
    int64_t age;
    if (!(d.GetStringList(&r.allowed_origins) && d.GetStringList(&r.allowed_methods) &&
          d.GetStringList(&r.allowed_headers) && d.GetStringList(&r.expose_headers) &&
          d.GetSigned(&age))) {
      return false;
    }
    r.max_age_seconds = static_cast<int32_t>(age);
  }
  return true;
}

namespace {
std::string Join(std::string_view a, std::string_view b) {
  std::string k(a);
  k.append(b);
  return k;
}
}  // namespace

std::string BucketKey(std::string_view name) { return Join("b/", name); }
std::string StatsKey(std::string_view name) { return Join("s/", name); }
std::string PolicyKey(std::string_view name) { return Join("p/", name); }
std::string CorsKey(std::string_view name) { return Join("c/", name); }

std::string ObjectKey(std::string_view bucket, std::string_view key) {
  std::string k(bucket);
  k.push_back('\0');
  k.append(key);
  return k;
}
std::string ObjectPrefix(std::string_view bucket) { return ObjectKey(bucket, ""); }
std::string ObjectEnd(std::string_view bucket) {
  std::string k(bucket);
  k.push_back('\1');
  return k;
}

std::string UploadKey(std::string_view upload_id) { return Join("u/", upload_id); }
std::string PartPrefix(std::string_view upload_id) {
  std::string k = Join("p/", upload_id);
  k.push_back('/');
  return k;
}
std::string PartKey(std::string_view upload_id, uint32_t part_number) {
  std::string k = PartPrefix(upload_id);
  kv::AppendBigEndian32(&k, part_number);
  return k;
}
std::string UploadIndexPrefix(std::string_view bucket) {
  std::string k = Join("i/", bucket);
  k.push_back('\0');
  return k;
}
std::string UploadIndexKey(std::string_view bucket, std::string_view key,
                           std::string_view upload_id) {
  std::string k = UploadIndexPrefix(bucket);
  k.append(key);
  k.push_back('\0');
  k.append(upload_id);
  return k;
}

ObjectInfo ToObjectInfo(std::string_view bucket, std::string_view key, const ObjectRecord& r) {
  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.size = r.size;
  info.etag = r.etag;
  info.content_type = r.content_type;
  info.metadata = r.metadata;
  info.created_at = r.created_at;
  info.updated_at = r.updated_at;
  info.parts_count = r.parts_count;
  return info;
}

}  // namespace k3::storage
