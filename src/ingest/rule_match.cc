#include "ingest/rule_match.h"

#include <algorithm>
#include <string>
#include <utility>

namespace k3::ingest {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 6838 restricted-name characters.
bool IsMimeNameChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
}

bool IsMimeName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsMimeNameChar);
}

Status ValidateMimePattern(std::string_view p) {
  const size_t slash = p.find('/');
  bool ok = false;
  if (slash != std::string_view::npos) {
    const std::string_view type = p.substr(0, slash);
    const std::string_view sub = p.substr(slash + 1);
    if (type == "*") {
      ok = sub == "*";
    } else {
      ok = IsMimeName(type) && (sub == "*" || IsMimeName(sub));
    }
  }
  if (ok) return Status::Ok();
  return InvalidArgument("\"" + std::string(p) + "\" is not type/subtype, type/* or */*");
}

std::string FieldIndex(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]: ";
}

// `pattern` lowercased and valid; `type` normalized.
bool MimeMatches(std::string_view pattern, std::string_view type) {
  if (pattern == "*/*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*") {
    const size_t slash = type.find('/');
    return slash != std::string_view::npos &&
           type.substr(0, slash) == pattern.substr(0, pattern.size() - 2);
  }
  return pattern == type;
}

bool AnyMime(const std::vector<std::string>& patterns, std::string_view type) {
  for (const auto& p : patterns) {
    if (MimeMatches(p, type)) return true;
  }
  return false;
}

bool AnyGlob(const std::vector<Glob>& globs, std::string_view key) {
  for (const auto& g : globs) {
    if (g.Match(key)) return true;
  }
  return false;
}

}  // namespace

Status ValidateCriteria(const RuleCriteria& c) {
  const std::pair<std::string_view, const std::vector<std::string>*> globs[] = {
      {"includePatterns", &c.include_patterns}, {"excludePatterns", &c.exclude_patterns}};
  for (const auto& [field, list] : globs) {
    for (size_t i = 0; i < list->size(); ++i) {
      Result<Glob> g = Glob::Compile((*list)[i]);
      if (!g.ok()) return InvalidArgument(FieldIndex(field, i) + g.status().message());
    }
  }
  const std::pair<std::string_view, const std::vector<std::string>*> mimes[] = {
      {"includeMimeTypes", &c.include_mime_types}, {"excludeMimeTypes", &c.exclude_mime_types}};
  for (const auto& [field, list] : mimes) {
    for (size_t i = 0; i < list->size(); ++i) {
      Status s = ValidateMimePattern((*list)[i]);
      if (!s.ok()) return InvalidArgument(FieldIndex(field, i) + s.message());
    }
  }
  if (c.max_size_bytes != 0 && c.min_size_bytes > c.max_size_bytes) {
    return InvalidArgument("minSizeBytes: " + std::to_string(c.min_size_bytes) +
                           " is greater than maxSizeBytes " + std::to_string(c.max_size_bytes));
  }
  return Status::Ok();
}

std::string NormalizeContentType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.empty()) return "application/octet-stream";
  return LowerAscii(t);
}

Result<CompiledCriteria> CompiledCriteria::Compile(const RuleCriteria& c) {
  K3_RETURN_IF_ERROR(ValidateCriteria(c));
  CompiledCriteria out;
  for (const auto& p : c.include_patterns) {
    K3_ASSIGN_OR_RETURN(Glob g, Glob::Compile(p));
    out.include_patterns_.push_back(std::move(g));
  }
  for (const auto& p : c.exclude_patterns) {
    K3_ASSIGN_OR_RETURN(Glob g, Glob::Compile(p));
    out.exclude_patterns_.push_back(std::move(g));
  }
  for (const auto& m : c.include_mime_types) out.include_mime_types_.push_back(LowerAscii(m));
  for (const auto& m : c.exclude_mime_types) out.exclude_mime_types_.push_back(LowerAscii(m));
  out.min_size_bytes_ = c.min_size_bytes;
  out.max_size_bytes_ = c.max_size_bytes;
  return out;
}

bool CompiledCriteria::Matches(const ObjectFacts& o) const {
  // Cheapest axis first.
  if (o.size < min_size_bytes_) return false;
  if (max_size_bytes_ != 0 && o.size > max_size_bytes_) return false;

  const std::string type = NormalizeContentType(o.content_type);
  if (AnyMime(exclude_mime_types_, type)) return false;
  if (!include_mime_types_.empty() && !AnyMime(include_mime_types_, type)) return false;

  if (AnyGlob(exclude_patterns_, o.key)) return false;
  if (!include_patterns_.empty() && !AnyGlob(include_patterns_, o.key)) return false;
  return true;
}

bool Matches(const RuleCriteria& c, const ObjectFacts& o) {
  Result<CompiledCriteria> compiled = CompiledCriteria::Compile(c);
  return compiled.ok() && compiled->Matches(o);
}

std::vector<size_t> MatchOrder(const std::vector<RankedRule>& rules) {
  std::vector<size_t> order;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].enabled) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&rules](size_t a, size_t b) {
    const RankedRule& x = rules[a];
    const RankedRule& y = rules[b];
    if (x.priority != y.priority) return x.priority > y.priority;
    return x.rule_id < y.rule_id;
  });
  return order;
}

}  // namespace k3::ingest
