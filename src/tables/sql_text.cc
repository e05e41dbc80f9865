// tables/sql_text.cc: see sql_text.h.
#include "tables/sql_text.h"

#include <cctype>
#include <string>

namespace k3::tables {
namespace {

constexpr size_t kMaxNameLength = 63;

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
// Characters SQLite accepts inside an unquoted identifier (and keyword).
bool IsWordChar(char c) {
  return IsIdentChar(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

Status CheckIdentifier(std::string_view what, std::string_view name) {
  if (name.empty()) return InvalidArgument(std::string(what) + " name must not be empty");
  if (name.size() > kMaxNameLength) {
    return InvalidArgument(std::string(what) + " name \"" + std::string(name) + "\" is " +
                           std::to_string(name.size()) + " characters; at most 63 are allowed");
  }
  if (!IsIdentStart(name[0])) {
    return InvalidArgument(std::string(what) + " name \"" + std::string(name) +
                           "\" must start with a letter or '_'");
  }
  for (char c : name) {
    if (!IsIdentChar(c)) {
      return InvalidArgument(std::string(what) + " name \"" + std::string(name) +
                             "\" may hold only letters, digits and '_' ([A-Za-z_][A-Za-z0-9_]*)");
    }
  }
  return Status();
}

// Where the token starting at `pos` ends, for tokens that must be skipped whole: string
// literals, quoted identifiers and comments. npos-safe: an unterminated one ends at the end.
// Returns `pos` unchanged when no such token starts there.
size_t SkipOpaque(std::string_view s, size_t pos) {
  const char c = s[pos];
  auto closing = [&](char close) {
    size_t i = pos + 1;
    while (i < s.size()) {
      if (s[i] == close) {
        if (close != ']' && i + 1 < s.size() && s[i + 1] == close) {
          i += 2;  // doubled quote
          continue;
        }
        return i + 1;
      }
      ++i;
    }
    return s.size();
  };
  if (c == '\'' || c == '"' || c == '`') return closing(c);
  if (c == '[') return closing(']');
  if (c == '-' && pos + 1 < s.size() && s[pos + 1] == '-') {
    size_t nl = s.find('\n', pos);
    return nl == std::string_view::npos ? s.size() : nl + 1;
  }
  if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '*') {
    size_t end = s.find("*/", pos + 2);
    return end == std::string_view::npos ? s.size() : end + 2;
  }
  return pos;
}

bool IsComment(std::string_view s, size_t pos) {
  return pos + 1 < s.size() &&
         ((s[pos] == '-' && s[pos + 1] == '-') || (s[pos] == '/' && s[pos + 1] == '*'));
}

}  // namespace

Status ValidateTableName(std::string_view name) {
  K3_RETURN_IF_ERROR(CheckIdentifier("table", name));
  if (IsInternalName(name)) {
    return InvalidArgument("table name \"" + std::string(name) +
                           "\" is reserved (names starting with \"_k3_\" or \"sqlite_\" are "
                           "internal)");
  }
  return Status();
}

Status ValidateColumnName(std::string_view name) {
  K3_RETURN_IF_ERROR(CheckIdentifier("column", name));
  if (StartsWithIgnoreCase(name, "_k3_")) {
    return InvalidArgument("column name \"" + std::string(name) +
                           "\" is reserved (names starting with \"_k3_\" are internal)");
  }
  return Status();
}

bool IsInternalName(std::string_view name) {
  return StartsWithIgnoreCase(name, "_k3_") || StartsWithIgnoreCase(name, "sqlite_");
}

std::string QuoteIdent(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsTrivia(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ';') {
      ++i;
    } else if (IsComment(s, i)) {
      i = SkipOpaque(s, i);
    } else {
      return false;
    }
  }
  return true;
}

std::vector<std::string> LeadingWords(std::string_view sql, size_t n) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < sql.size() && words.size() < n) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (IsComment(sql, i)) {
      i = SkipOpaque(sql, i);
    } else if (IsWordChar(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      std::string word(sql.substr(i, end - i));
      for (char& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      words.push_back(std::move(word));
      i = end;
    } else {
      break;  // punctuation ends the leading words
    }
  }
  return words;
}

Result<std::string> SubstitutePlaceholders(std::string_view sql,
                                           const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(sql.size() + 32);
  size_t i = 0;
  while (i < sql.size()) {
    const size_t skipped = SkipOpaque(sql, i);
    if (skipped != i) {
      out.append(sql.substr(i, skipped - i));
      i = skipped;
      continue;
    }
    const char c = sql[i];
    if (IsWordChar(c)) {  // a whole word: `{` can only follow punctuation or space
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '{') {
      size_t end = i + 1;
      while (end < sql.size() && IsIdentChar(sql[end])) ++end;
      if (end > i + 1 && end < sql.size() && sql[end] == '}' && IsIdentStart(sql[i + 1])) {
        const std::string name(sql.substr(i + 1, end - i - 1));
        auto it = values.find(name);
        if (it == values.end()) {
          return InvalidArgument("unknown placeholder {" + name +
                                 "}: name the table in table_name (for {table}) or in "
                                 "lookup_tables");
        }
        out.append(it->second);
        i = end + 1;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

Result<std::string> RenumberParameters(std::string_view sql, int offset, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int max_position = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const size_t skipped = SkipOpaque(sql, i);
    if (skipped != i) {
      out.append(sql.substr(i, skipped - i));
      i = skipped;
      continue;
    }
    const char c = sql[i];
    if (c == '?' || c == '$' || c == ':' || c == '@') {
      size_t end = i + 1;
      while (end < sql.size() && IsDigit(sql[end])) ++end;
      const bool digits = end > i + 1;
      if (c == '?' || (c == '$' && digits && (end == sql.size() || !IsWordChar(sql[end])))) {
        int position = 0;
        if (digits) {
          if (end - i - 1 > 6) return InvalidArgument("parameter number too large");
          position = std::stoi(std::string(sql.substr(i + 1, end - i - 1)));
          if (position < 1) return InvalidArgument("parameters are numbered from 1 ($1, ?1)");
        } else {
          position = max_position + 1;
        }
        max_position = std::max(max_position, position);
        out.push_back('?');
        out.append(std::to_string(position + offset));
        i = end;
        continue;
      }
      if (i + 1 < sql.size() && IsWordChar(sql[i + 1])) {
        size_t name_end = i + 1;
        while (name_end < sql.size() && IsWordChar(sql[name_end])) ++name_end;
        return InvalidArgument("named parameter " + std::string(sql.substr(i, name_end - i)) +
                               " is not supported; use positional parameters ($1, $2, ... or ?)");
      }
    }
    if (IsWordChar(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  *count = max_position;
  return out;
}

bool IsK3Column(std::string_view name) {
  return name.size() >= 4 && EqualsIgnoreCase(name.substr(0, 4), "_k3_");
}

}  // namespace k3::tables
