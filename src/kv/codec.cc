#include "kv/codec.h"

namespace k3::kv {

void Encoder::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Encoder::PutSigned(int64_t v) {
  PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void Encoder::PutString(std::string_view s) {
  PutVarint(s.size());
  out_.append(s);
}

void Encoder::PutStringMap(const std::map<std::string, std::string>& m) {
  PutVarint(m.size());
  for (const auto& [k, v] : m) {
    PutString(k);
    PutString(v);
  }
}

void Encoder::PutStringList(const std::vector<std::string>& v) {
  PutVarint(v.size());
  for (const auto& s : v) PutString(s);
}

bool Decoder::GetVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (in_.empty()) return false;
    uint8_t byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  in_ = {};
  return false;
}

bool Decoder::GetSigned(int64_t* v) {
  uint64_t u;
  if (!GetVarint(&u)) return false;
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

bool Decoder::GetBool(bool* v) {
  uint64_t u;
  if (!GetVarint(&u) || u > 1) return false;
  *v = u == 1;
  return true;
}

bool Decoder::GetString(std::string* s) {
  uint64_t len;
  if (!GetVarint(&len) || len > in_.size()) {
    in_ = {};
    return false;
  }
  s->assign(in_.data(), len);
  in_.remove_prefix(len);
  return true;
}

bool Decoder::GetStringMap(std::map<std::string, std::string>* m) {
  uint64_t n;
  if (!GetVarint(&n) || n > in_.size()) return false;
  m->clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!GetString(&k) || !GetString(&v)) return false;
    m->emplace(std::move(k), std::move(v));
  }
  return true;
}

bool Decoder::GetStringList(std::vector<std::string>* v) {
  uint64_t n;
  if (!GetVarint(&n) || n > in_.size()) return false;
  v->clear();
  v->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    if (!GetString(&s)) return false;
    v->push_back(std::move(s));
  }
  return true;
}

bool Decoder::GetU32(uint32_t* v) {
  uint64_t u;
  if (!GetVarint(&u) || u > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(u);
  return true;
}

bool Decoder::GetInt(int* v) {
  int64_t s;
  if (!GetSigned(&s) || s < INT32_MIN || s > INT32_MAX) return false;
  *v = static_cast<int>(s);
  return true;
}

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void AppendBigEndian32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t ReadBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(in[i]);
  return v;
}

uint32_t ReadBigEndian32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(in[i]);
  return v;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace k3::kv
