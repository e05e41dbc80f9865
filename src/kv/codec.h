// kv/codec.h: the binary record codec of the store: varints, fixed-width big-endian integers
// (which sort correctly as key bytes) and length-prefixed strings.
// Decoder never reads past its input; a short or malformed input makes every later read fail.
#ifndef K3_KV_CODEC_H_
#define K3_KV_CODEC_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace k3::kv {

// The smallest key greater than every key starting with `prefix` ("" when the prefix is all
// 0xff bytes: no upper bound).
std::string PrefixEnd(std::string_view prefix);

class Encoder {
 public:
  void PutVarint(uint64_t v);
  void PutSigned(int64_t v);  // zig-zag varint
  void PutBool(bool v) { PutVarint(v ? 1 : 0); }
  void PutString(std::string_view s);
  void PutStringMap(const std::map<std::string, std::string>& m);
  void PutStringList(const std::vector<std::string>& v);
  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool GetVarint(uint64_t* v);
  bool GetSigned(int64_t* v);
  bool GetBool(bool* v);
  bool GetString(std::string* s);
  bool GetStringMap(std::map<std::string, std::string>* m);
  bool GetStringList(std::vector<std::string>* v);
  // Narrowing helpers: fail when the value does not fit.
  bool GetU32(uint32_t* v);
  bool GetInt(int* v);
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

// Fixed-width big-endian encodings, for keys that must sort numerically.
void AppendBigEndian64(std::string* out, uint64_t v);
void AppendBigEndian32(std::string* out, uint32_t v);
uint64_t ReadBigEndian64(std::string_view in);  // requires in.size() >= 8
uint32_t ReadBigEndian32(std::string_view in);  // requires in.size() >= 4

}  // namespace k3::kv

#endif  // K3_KV_CODEC_H_
