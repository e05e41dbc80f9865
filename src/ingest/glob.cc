#include "ingest/glob.h"

#include <string>

namespace k3::ingest {
namespace {

char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

uint32_t FoldCp(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp; }

// Decodes the code point at s[i] (i < s.size()). On success sets *cp and *len and returns true.
// On an invalid sequence (bad lead, truncated, overlong, surrogate, > U+10FFFF) returns false
// with *len = 1 and *cp = 0x110000 + the byte: a value no class range can contain.
bool DecodeAt(std::string_view s, size_t i, uint32_t* cp, size_t* len) {
  const uint8_t c = static_cast<uint8_t>(s[i]);
  *len = 1;
  *cp = 0x110000u + c;
  if (c < 0x80) {
    *cp = c;
    return true;
  }
  size_t n;
  uint32_t v;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + n > s.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t d = static_cast<uint8_t>(s[i + k]);
    if ((d & 0xC0) != 0x80) return false;
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *len = n;
  return true;
}

Status Bad(std::string what, size_t at) {
  return InvalidArgument(std::move(what) + " at byte " + std::to_string(at));
}

}  // namespace

Result<Glob> Glob::Compile(std::string_view pattern) {
  if (pattern.empty()) return InvalidArgument("empty pattern");
  if (pattern.size() > kMaxGlobBytes) {
    return InvalidArgument("pattern is " + std::to_string(pattern.size()) +
                           " bytes; the limit is " + std::to_string(kMaxGlobBytes));
  }
  for (size_t i = 0; i < pattern.size();) {
    uint32_t cp;
    size_t len;
    if (!DecodeAt(pattern, i, &cp, &len)) return Bad("invalid UTF-8", i);
    i += len;
  }

  Glob g;
  g.pattern_ = std::string(pattern);
  auto& toks = g.tokens_;
  auto append_literal = [&toks](std::string_view bytes) {
    if (toks.empty() || toks.back().kind != Kind::kLiteral) toks.push_back(Token(Kind::kLiteral));
    for (char c : bytes) toks.back().text.push_back(FoldAscii(c));
  };

  const size_t n = pattern.size();
  size_t i = 0;
  while (i < n) {
    const char c = pattern[i];
    uint32_t cp;
    size_t len;
    if (c == '\\') {
      if (i + 1 >= n) return Bad("dangling '\\'", i);
      DecodeAt(pattern, i + 1, &cp, &len);  // valid: checked above
      append_literal(pattern.substr(i + 1, len));
      i += 1 + len;
    } else if (c == '*') {
      size_t run = 0;
      while (i + run < n && pattern[i + run] == '*') ++run;
      const bool at_dir_start = i == 0 || pattern[i - 1] == '/';
      i += run;
      if (run == 1) {
        toks.push_back(Token(Kind::kStar));
      } else if (at_dir_start && i < n && pattern[i] == '/') {
        toks.push_back(Token(Kind::kDirs));
        ++i;  // the '/' belongs to the token
      } else {
        toks.push_back(Token(Kind::kDoubleStar));
      }
    } else if (c == '?') {
      toks.push_back(Token(Kind::kAnyOne));
      ++i;
    } else if (c == '[') {
      const size_t open = i;
      Token t(Kind::kClass);
      ++i;
      if (i < n && (pattern[i] == '!' || pattern[i] == '^')) {
        t.negated = true;
        ++i;
      }
      // Reads one (possibly escaped) member code point at i; false at the end of the pattern.
      auto read_member = [&](uint32_t* out) {
        if (i < n && pattern[i] == '\\') ++i;
        if (i >= n) return false;
        size_t l;
        DecodeAt(pattern, i, out, &l);
        i += l;
        return true;
      };
      bool closed = false;
      while (i < n) {
        if (pattern[i] == ']') {
          closed = true;
          ++i;
          break;
        }
        const size_t member_at = i;
        uint32_t lo;
        if (!read_member(&lo)) break;
        uint32_t hi = lo;
        if (i + 1 < n && pattern[i] == '-' && pattern[i + 1] != ']') {
          ++i;
          if (!read_member(&hi)) break;
          if (hi < lo) {
            return Bad("bad range '" + std::string(pattern.substr(member_at, i - member_at)) +
                           "' (start after end)",
                       member_at);
          }
        }
        t.ranges.emplace_back(lo, hi);
      }
      if (!closed) return Bad("unclosed '['", open);
      if (t.ranges.empty()) {
        return Bad("empty class '" + std::string(pattern.substr(open, i - open)) + "'", open);
      }
      toks.push_back(std::move(t));
    } else {
      DecodeAt(pattern, i, &cp, &len);
      append_literal(pattern.substr(i, len));
      i += len;
    }
  }
  return g;
}

bool Glob::ClassMatches(const Token& t, uint32_t cp) {
  // ASCII case-insensitive: test the code point and, for a letter, its other case.
  uint32_t alt = cp;
  if (cp >= 'a' && cp <= 'z') alt = cp - 'a' + 'A';
  if (cp >= 'A' && cp <= 'Z') alt = FoldCp(cp);
  bool in = false;
  for (const auto& [lo, hi] : t.ranges) {
    if ((cp >= lo && cp <= hi) || (alt >= lo && alt <= hi)) {
      in = true;
      break;
    }
  }
  return in != t.negated;
}

bool Glob::Match(std::string_view key) const {
  const size_t n = key.size();
  // step[j]: bytes of the character starting at j (1 for an invalid byte).
  std::vector<uint8_t> step(n);
  for (size_t j = 0; j < n; ++j) {
    uint32_t cp;
    size_t len;
    DecodeAt(key, j, &cp, &len);
    step[j] = static_cast<uint8_t>(len);
  }
  // next[j]: tokens after the current one match key[j..]. Built from the last token back.
  std::vector<uint8_t> next(n + 1, 0), cur(n + 1, 0);
  next[n] = 1;
  for (size_t ti = tokens_.size(); ti-- > 0;) {
    const Token& t = tokens_[ti];
    switch (t.kind) {
      case Kind::kLiteral: {
        const size_t m = t.text.size();
        for (size_t j = 0; j <= n; ++j) {
          bool ok = j + m <= n && next[j + m];
          for (size_t k = 0; ok && k < m; ++k) ok = FoldAscii(key[j + k]) == t.text[k];
          cur[j] = ok;
        }
        break;
      }
      case Kind::kAnyOne:
      case Kind::kClass: {
        cur[n] = 0;
        for (size_t j = 0; j < n; ++j) {
          bool ok = key[j] != '/' && next[j + step[j]];
          if (ok && t.kind == Kind::kClass) {
            uint32_t cp;
            size_t len;
            DecodeAt(key, j, &cp, &len);
            ok = ClassMatches(t, cp);
          }
          cur[j] = ok;
        }
        break;
      }
      case Kind::kStar:
        cur[n] = next[n];
        for (size_t j = n; j-- > 0;) cur[j] = next[j] || (key[j] != '/' && cur[j + step[j]]);
        break;
      case Kind::kDoubleStar:
        cur[n] = next[n];
        for (size_t j = n; j-- > 0;) cur[j] = next[j] || cur[j + step[j]];
        break;
      case Kind::kDirs: {
        // reach: some k > j with key[k-1] == '/' and next[k]; cur = next || reach.
        cur[n] = next[n];
        std::vector<uint8_t> reach_at(n + 1, 0);
        for (size_t j = n; j-- > 0;) {
          const bool reach = (key[j] == '/' && next[j + 1]) || reach_at[j + step[j]];
          reach_at[j] = reach;
          cur[j] = next[j] || reach;
        }
        break;
      }
    }
    next.swap(cur);
  }
  return next[0] != 0;
}

}  // namespace k3::ingest
