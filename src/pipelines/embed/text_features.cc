// pipelines/embed/text_features.cc: UTF-8 word splitting with simple case folding, and the
// stop-word list of the hash embedder.
#include "pipelines/embed/text_features.h"

#include <algorithm>
#include <iterator>

namespace k3::pipelines::embed_internal {
namespace {

// Decodes one code point at s[i]; advances i. Returns -1 for an invalid sequence (i advances
// by one byte): overlongs, surrogates, values above U+10FFFF and truncated sequences.
int32_t DecodeOne(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len;
  int32_t cp;
  int32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + len > s.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += len;
  return cp;
}

void AppendUtf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsWordChar(int32_t cp) {
  if (cp < 0) return false;
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  }
  if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp < 0x2000) return true;
  if (cp <= 0x206F) return false;                  // General Punctuation
  if (cp >= 0x20A0 && cp <= 0x20CF) return false;  // Currency Symbols
  if (cp >= 0x2190 && cp <= 0x2BFF) return false;  // arrows .. misc. symbols and arrows
  if (cp >= 0x2E00 && cp <= 0x2E7F) return false;  // Supplemental Punctuation
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK Symbols and Punctuation
  if (cp >= 0xFE10 && cp <= 0xFE1F) return false;  // Vertical Forms
  if (cp >= 0xFE30 && cp <= 0xFE6F) return false;  // CJK Compatibility + Small Form Variants
  if (cp == 0xFEFF) return false;                  // byte order mark
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation ...
  if (cp >= 0xFF1A && cp <= 0xFF20) return false;
  if (cp >= 0xFF3B && cp <= 0xFF40) return false;
  if (cp >= 0xFF5B && cp <= 0xFF65) return false;
  if (cp >= 0xFFF0 && cp <= 0xFFFF) return false;    // Specials (incl. U+FFFD)
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;  // emoji, pictographs, game symbols
  return true;
}

int32_t ToLower(int32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;  // Latin-1
  if (cp >= 0x100 && cp <= 0x17F) {                              // Latin Extended-A
    if ((cp <= 0x12F || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) &&
        cp % 2 == 0) {
      return cp + 1;
    }
    if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && cp % 2 == 1) {
      return cp + 1;
    }
    if (cp == 0x178) return 0xFF;  // Ÿ
    return cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;  // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                 // Cyrillic А..Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                 // Cyrillic Ѐ..Џ
  return cp;
}

// Sorted, for binary search.
constexpr std::string_view kStopWords[] = {
    "a",      "about",   "above",   "after", "again", "all",    "also",    "am",      "an",
    "and",    "any",     "are",     "as",    "at",    "be",     "because", "been",    "before",
    "being",  "below",   "between", "both",  "but",   "by",     "can",     "could",   "did",
    "do",     "does",    "doing",   "don",   "down",  "during", "each",    "few",     "for",
    "from",   "further", "had",     "has",   "have",  "having", "he",      "her",     "here",
    "hers",   "him",     "his",     "how",   "i",     "if",     "in",      "into",    "is",
    "it",     "its",     "just",    "me",    "more",  "most",   "my",      "myself",  "no",
    "nor",    "not",     "now",     "of",    "off",   "on",     "once",    "only",    "or",
    "other",  "our",     "ours",    "out",   "over",  "own",    "s",       "same",    "she",
    "should", "so",      "some",    "such",  "t",     "than",   "that",    "the",     "their",
    "them",   "then",    "there",   "these", "they",  "this",   "those",   "through", "to",
    "too",    "under",   "until",   "up",    "very",  "was",    "we",      "were",    "what",
    "when",   "where",   "which",   "while", "who",   "whom",   "why",     "will",    "with",
    "would",  "you",     "your",
};

static_assert(std::is_sorted(std::begin(kStopWords), std::end(kStopWords)));

}  // namespace

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    int32_t cp;
    if (b < 0x80) {  // fast path
      ++i;
      cp = b;
    } else {
      cp = DecodeOne(text, i);
    }
    if (IsWordChar(cp)) {
      if (cp < 0x80) {
        current.push_back(static_cast<char>((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp));
      } else {
        AppendUtf8(current, ToLower(cp));
      }
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

namespace {

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

bool HasVowel(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return IsVowel(c); });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string Stem(std::string_view word) {
  if (word.size() < 4) return std::string(word);
  for (char c : word) {
    if (c < 'a' || c > 'z') return std::string(word);
  }
  std::string w(word);
  // Plurals.
  if (EndsWith(w, "sses")) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "ies") && w.size() > 4) {
    w.resize(w.size() - 3);
    w.push_back('y');
  } else if (EndsWith(w, "s") && !EndsWith(w, "ss") && !EndsWith(w, "us") && !EndsWith(w, "is")) {
    w.pop_back();
  }
  // Derivations and inflections; the remaining stem keeps a vowel and 3+ letters.
  bool stripped = false;
  for (std::string_view suffix : {"ation", "ing", "ed", "ly"}) {
    if (EndsWith(w, suffix) && w.size() >= suffix.size() + 3 &&
        HasVowel(std::string_view(w).substr(0, w.size() - suffix.size()))) {
      w.resize(w.size() - suffix.size());
      stripped = true;
      break;
    }
  }
  if (stripped && w.size() >= 4 && w[w.size() - 1] == w[w.size() - 2] && !IsVowel(w.back()) &&
      w.back() != 'l' && w.back() != 's' && w.back() != 'z') {
    w.pop_back();  // "runn" -> "run"
  }
  if (w.size() >= 5 && w.back() == 'e') w.pop_back();  // "prepare" -> "prepar"
  return w;
}

bool IsStopWord(std::string_view word) {
  return std::binary_search(std::begin(kStopWords), std::end(kStopWords), word);
}

}  // namespace k3::pipelines::embed_internal
