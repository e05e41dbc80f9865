// ingest/glob.h: the glob language of ingest rules' includePatterns / excludePatterns, matched
// against whole object keys.
//
// Syntax (ASCII case-insensitive; non-ASCII compared byte for byte):
//   *        any run of characters except '/' (possibly empty)
//   **       any run of characters including '/' (possibly empty); "***..." is the same
//   **/      at the start of the pattern or right after '/': zero or more whole directories,
//            so "docs/**/a.md" matches "docs/a.md" and "docs/x/y/a.md", and "**/a.md" matches
//            "a.md". Elsewhere ("a**/b") it is `**` followed by a literal '/'.
//   ?        one character (one UTF-8 code point) except '/'
//   [abc] [a-z] [!a-z] [^a-z]
//            one code point (never '/', even when negated) in / not in the set; ranges compare
//            code points; `\` escapes inside a class too ("[\]\-]"); a leading ']' is NOT a
//            member (write "\]"), so "[]" is an empty class and an error
//   \c       the code point c literally
// A key that is not valid UTF-8 still matches deterministically: each invalid byte counts as
// one character.
//
// Compile refuses (INVALID_ARGUMENT, message without a field name): an empty pattern, one over
// kMaxGlobBytes bytes, one that is not valid UTF-8, an unclosed '[', an empty class ("[]",
// "[!]"), a reversed range ("[z-a]"), a dangling '\' at the end.
//
// Cost: Match is O(pattern tokens x key bytes) time and O(key bytes) memory (a dynamic program
// over the key, no backtracking), so no pattern can take exponential time.
//
// Thread-safety: a compiled Glob is immutable; Match may be called from any number of threads.
#ifndef K3_INGEST_GLOB_H_
#define K3_INGEST_GLOB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k3/status.h"

namespace k3::ingest {

// The longest pattern Compile accepts, in bytes.
inline constexpr size_t kMaxGlobBytes = 1024;

class Glob {
 public:
  // Parses `pattern`; see the file comment for the syntax and what is refused.
  static Result<Glob> Compile(std::string_view pattern);

  // True when the whole of `key` matches the pattern.
  bool Match(std::string_view key) const;

  // The pattern as given to Compile.
  const std::string& pattern() const { return pattern_; }

 private:
  enum class Kind : uint8_t {
    kLiteral,     // text_ (ASCII letters lowercased), byte for byte
    kAnyOne,      // ?
    kClass,       // [...]
    kStar,        // *
    kDoubleStar,  // **
    kDirs,        // **/ at a directory boundary: "" or any run ending in '/'
  };
  struct Token {
    explicit Token(Kind k) : kind(k) {}
    Kind kind;
    std::string text;                                   // kLiteral
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // kClass, inclusive code points
    bool negated = false;                               // kClass
  };

  Glob() = default;
  static bool ClassMatches(const Token& t, uint32_t cp);

  std::string pattern_;
  std::vector<Token> tokens_;
};

}  // namespace k3::ingest

#endif  // K3_INGEST_GLOB_H_
