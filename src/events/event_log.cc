#include "events/event_log_impl.h"

#include "kv/codec.h"

namespace k3 {
namespace {
constexpr size_t kDefaultMaxEvents = 1000;
std::string OffsetKey(uint64_t offset) {
  std::string k;
  kv::AppendBigEndian64(&k, offset);
  return k;
}
}  // namespace

Result<std::unique_ptr<EventLog::Impl>> EventLog::Impl::Open(kv::Store* store) {
  auto impl = std::unique_ptr<Impl>(new Impl(store));
  auto it = store->NewIterator(kv::Cf::kEvents);
  it->SeekToLast();
  if (it->Valid()) {
    if (it->key().size() != 8) return DataLoss("events log: malformed offset key");
    impl->last_offset_ = kv::ReadBigEndian64(it->key());
  }
  K3_RETURN_IF_ERROR(it->status());
  return impl;
}

std::string EventLog::Impl::EncodeEvent(const Event& e) {
  kv::Encoder enc;
  enc.PutString(e.type);
  enc.PutString(e.bucket);
  enc.PutString(e.key);
  enc.PutString(e.etag);
  enc.PutVarint(e.size);
  enc.PutString(e.content_type);
  enc.PutSigned(e.time);
  return enc.Take();
}

bool EventLog::Impl::DecodeEvent(std::string_view key, std::string_view value, Event* e) {
  if (key.size() != 8) return false;
  e->offset = kv::ReadBigEndian64(key);
  kv::Decoder dec(value);
  return dec.GetString(&e->type) && dec.GetString(&e->bucket) && dec.GetString(&e->key) &&
         dec.GetString(&e->etag) && dec.GetVarint(&e->size) && dec.GetString(&e->content_type) &&
         dec.GetSigned(&e->time);
}

Status EventLog::Impl::Commit(kv::Batch& batch, std::vector<Event> events) {
  {
    std::lock_guard lock(mu_);
    uint64_t next = last_offset_;
    for (Event& e : events) {
      e.offset = ++next;
      batch.Put(kv::Cf::kEvents, OffsetKey(e.offset), EncodeEvent(e));
    }
    K3_RETURN_IF_ERROR(store_->Write(batch));
    last_offset_ = next;
  }
  if (listener_ && !events.empty()) listener_();
  return Status();
}

Result<std::vector<Event>> EventLog::Impl::Read(uint64_t from_offset, size_t max_events) const {
  if (max_events == 0) max_events = kDefaultMaxEvents;
  std::vector<Event> out;
  auto it = store_->NewIterator(kv::Cf::kEvents);
  for (it->Seek(OffsetKey(from_offset)); it->Valid() && out.size() < max_events; it->Next()) {
    Event e;
    if (!DecodeEvent(it->key(), it->value(), &e)) {
      return DataLoss("events log: malformed event record");
    }
    out.push_back(std::move(e));
  }
  K3_RETURN_IF_ERROR(it->status());
  return out;
}

uint64_t EventLog::Impl::LastOffset() const {
  std::lock_guard lock(mu_);
  return last_offset_;
}

Result<std::vector<Event>> EventLog::read(uint64_t from_offset, size_t max_events) {
  return impl_->Read(from_offset, max_events);
}

uint64_t EventLog::last_offset() { return impl_->LastOffset(); }

}  // namespace k3
