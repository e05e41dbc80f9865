// pipelines/embed/text_features.h: the text normalization and the 64-bit hash behind the
// "hash" embedder. Both are pure functions of their input and give the same results on every
// compiler, machine and run (no std::hash, no locale). Thread-safety: stateless.
#ifndef K3_PIPELINES_EMBED_TEXT_FEATURES_H_
#define K3_PIPELINES_EMBED_TEXT_FEATURES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace k3::pipelines::embed_internal {

// Splits UTF-8 `text` into normalized words, in order.
//
// Normalization: ASCII letters are lowercased, as are the upper-case letters of Latin-1,
// Latin Extended-A, Greek and Cyrillic (simple one-to-one mappings). A word is a maximal run
// of word characters: ASCII letters and digits, and every other code point except these
// separators: ASCII punctuation, whitespace and controls; U+0080..U+00BF (Latin-1 controls,
// no-break space, punctuation and symbols; but ª µ º are letters), × and ÷; General
// Punctuation U+2000..U+206F; currency U+20A0..U+20CF; arrows to misc. symbols
// U+2190..U+2BFF; Supplemental Punctuation U+2E00..U+2E7F; CJK punctuation U+3000..U+303F;
// the punctuation of the vertical, small and full-width forms; U+FEFF and U+FFF0..U+FFFF
// (incl. U+FFFD); emoji and pictographs U+1F000..U+1FAFF. Bytes that are not valid UTF-8 are
// separators. Words come back as valid UTF-8.
std::vector<std::string> SplitWords(std::string_view text);

// 64-bit FNV-1a over `bytes` starting from `state`, no finalization: chain calls to hash a
// concatenation. Start from kFnvOffset (or any seed).
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline uint64_t FnvUpdate(uint64_t state, std::string_view bytes) {
  for (unsigned char c : bytes) {
    state ^= c;
    state *= 0x100000001b3ULL;
  }
  return state;
}

// The MurmurHash3 64-bit finalizer: spreads FNV's state over all 64 bits so that both
// `h % dims` and the top bit are well mixed.
inline uint64_t Mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// True for the common English function words ("the", "how", "is", ...) that the hash
// embedder down-weights, since feature hashing has no corpus statistics (IDF) to do it.
// `word` is a normalized word from SplitWords.
bool IsStopWord(std::string_view word);

// A light English suffix stripper, so that "running", "runs" and "run" or "preparation" and
// "prepare" become the same word feature: strips plural -s/-es/-ies, -ing, -ed, -ly,
// -ation/-ations and a final -e (undoubling a final consonant: "running" -> "run"). Words
// with a non-ASCII byte or a digit, and words shorter than 4 letters, come back unchanged.
std::string Stem(std::string_view word);

}  // namespace k3::pipelines::embed_internal

#endif  // K3_PIPELINES_EMBED_TEXT_FEATURES_H_
