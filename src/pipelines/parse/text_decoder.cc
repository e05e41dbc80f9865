// pipelines/parse/text_decoder.cc: charset labels and the streaming UTF-8 / windows-1252
// decoder.
#include "pipelines/parse/text_decoder.h"

#include <algorithm>
#include <cctype>

#include "util/utf8.h"

namespace k3::pipelines::parse_internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// windows-1252 bytes 0x80..0x9F; the five undefined ones map to the C1 control of the same
// value, as the WHATWG Encoding Standard does.
constexpr char16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendCodePoint(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string CharsetParameter(std::string_view content_type) {
  size_t pos = 0;
  while ((pos = content_type.find(';', pos)) != std::string_view::npos) {
    ++pos;
    size_t end = content_type.find(';', pos);
    std::string_view param = Trim(content_type.substr(pos, end - pos));
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && Lower(Trim(param.substr(0, eq))) == "charset") {
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return Lower(Trim(value));
    }
  }
  return "";
}

Result<Charset> CharsetForLabel(std::string_view label) {
  std::string l = Lower(Trim(label));
  if (l.empty() || l == "utf-8" || l == "utf8" || l == "unicode-1-1-utf-8" || l == "us-ascii" ||
      l == "ascii") {
    return Charset::kUtf8;
  }
  static constexpr std::string_view kLatin1[] = {
      "iso-8859-1", "iso8859-1", "iso_8859-1",   "iso-ir-100", "latin1",   "latin-1", "l1",
      "cp819",      "ibm819",    "windows-1252", "cp1252",     "x-cp1252", "iso88591"};
  if (std::find(std::begin(kLatin1), std::end(kLatin1), l) != std::end(kLatin1)) {
    return Charset::kWindows1252;
  }
  return InvalidArgument("unsupported charset '" + l +
                         "' (supported: utf-8, us-ascii, iso-8859-1, windows-1252)");
}

void TextDecoder::Decode(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + bytes.size() + bytes.size() / 8);
  if (charset_ == Charset::kWindows1252) {
    DecodeWindows1252(bytes, out);
    return;
  }
  if (carry_.empty()) {
    DecodeUtf8(bytes, out);
    return;
  }
  // Complete the held sequence (a valid prefix of 1-3 bytes) with the block's first bytes.
  // `joined` then holds 4 bytes unless the block is shorter, so the held sequence is resolved
  // (decoded or replaced) within it, and whatever DecodeUtf8 holds again afterwards is a
  // suffix of the block's bytes.
  size_t take = std::min<size_t>(bytes.size(), 4 - carry_.size());
  std::string joined = std::move(carry_);
  carry_.clear();
  joined.append(bytes.substr(0, take));
  DecodeUtf8(joined, out);
  if (take == bytes.size()) return;  // the block is used up; carry_ is right as it is
  size_t held = carry_.size();
  carry_.clear();
  DecodeUtf8(bytes.substr(take - held), out);
}

void TextDecoder::DecodeUtf8(std::string_view bytes, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    unsigned char b = p[i];
    if (b < 0x80) {
      PutAscii(static_cast<char>(b), out);
      ++i;
      continue;
    }
    size_t valid = 0;
    const size_t len = util::DecodeUtf8(bytes, i, nullptr, &valid);
    if (len != 0) {
      bool is_bom = at_start_ && len == 3 && b == 0xEF && p[i + 1] == 0xBB && p[i + 2] == 0xBF;
      if (!is_bom) out->append(bytes.data() + i, len);
      at_start_ = false;
      previous_cr_ = false;
      i += len;
    } else if (valid == 0) {
      PutReplacement(1, out);
      ++i;
    } else if (i + valid == n) {
      carry_.assign(bytes.data() + i, valid);  // incomplete at the block's end: wait for more
      return;
    } else {
      PutReplacement(valid, out);
      i += valid;
    }
  }
}

void TextDecoder::DecodeWindows1252(std::string_view bytes, std::string* out) {
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      PutAscii(ch, out);
    } else {
      char32_t cp = b < 0xA0 ? kWindows1252High[b - 0x80] : b;
      AppendCodePoint(cp, out);
      at_start_ = false;
      previous_cr_ = false;
    }
  }
}

void TextDecoder::PutAscii(char c, std::string* out) {
  at_start_ = false;
  if (normalize_newlines_) {
    if (c == '\r') {
      out->push_back('\n');
      previous_cr_ = true;
      return;
    }
    if (c == '\n' && previous_cr_) {
      previous_cr_ = false;
      return;
    }
    previous_cr_ = false;
  }
  out->push_back(c);
}

void TextDecoder::PutReplacement(size_t bad_bytes, std::string* out) {
  out->append("\xEF\xBF\xBD");
  invalid_bytes_ += static_cast<int64_t>(bad_bytes);
  at_start_ = false;
  previous_cr_ = false;
}

void TextDecoder::Finish(std::string* out) {
  if (!carry_.empty()) {
    PutReplacement(carry_.size(), out);
    carry_.clear();
  }
}

}  // namespace k3::pipelines::parse_internal
