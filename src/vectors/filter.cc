// Metadata filters: see filter.h.
#include "vectors/filter.h"

#include <string>

namespace k3::vectors {

namespace {

using Op = VectorFilter::Op;

bool IsList(const MetadataValue& v) { return std::holds_alternative<std::vector<std::string>>(v); }

Status Check(const VectorFilter& f, const std::string& path, int depth, int* nodes) {
  if (++*nodes > kMaxFilterNodes) {
    return InvalidArgument("filter has more than " + std::to_string(kMaxFilterNodes) + " nodes");
  }
  if (depth > kMaxFilterDepth) {
    return InvalidArgument("filter is nested deeper than " + std::to_string(kMaxFilterDepth));
  }
  auto bad = [&](const std::string& what) { return InvalidArgument(path + ": " + what); };
  switch (f.op) {
    case Op::kAnd:
    case Op::kOr:
    case Op::kNot: {
      const char* name = f.op == Op::kAnd ? "and" : f.op == Op::kOr ? "or" : "not";
      if (f.op == Op::kNot && f.children.size() != 1) {
        return bad("not takes exactly one expression");
      }
      for (size_t i = 0; i < f.children.size(); ++i) {
        K3_RETURN_IF_ERROR(Check(f.children[i], path + "." + name + "[" + std::to_string(i) + "]",
                                 depth + 1, nodes));
      }
      return Status();
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte:
    case Op::kIn:
    case Op::kNin:
    case Op::kPrefix:
    case Op::kExists:
      break;
    default:
      return bad("unknown operator " + std::to_string(static_cast<int>(f.op)));
  }
  if (f.field.empty()) return bad("the field name is empty");
  switch (f.op) {
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte:
      if (!std::holds_alternative<double>(f.value) &&
          !std::holds_alternative<std::string>(f.value)) {
        return bad("range comparisons take a number or a string");
      }
      break;
    case Op::kPrefix:
      if (!std::holds_alternative<std::string>(f.value)) return bad("prefix takes a string");
      break;
    case Op::kEq:
    case Op::kNe:
      if (IsList(f.value)) return bad("eq/ne take a string, number or bool, not a list");
      break;
    case Op::kIn:
    case Op::kNin:
      if (f.values.empty()) return bad("in/nin need at least one value");
      for (const auto& v : f.values) {
        if (IsList(v)) return bad("in/nin values must be strings, numbers or bools");
      }
      break;
    default:
      break;
  }
  return Status();
}

// Scalar equality; a list field contains the value.
bool Equals(const MetadataValue& field, const MetadataValue& value) {
  if (const auto* list = std::get_if<std::vector<std::string>>(&field)) {
    const auto* s = std::get_if<std::string>(&value);
    if (s == nullptr) return false;
    for (const auto& e : *list) {
      if (e == *s) return true;
    }
    return false;
  }
  return field == value;
}

// -1, 0, 1; nullopt when the types differ or are not ordered.
std::optional<int> Order(const MetadataValue& a, const MetadataValue& b) {
  if (const auto* x = std::get_if<double>(&a)) {
    const auto* y = std::get_if<double>(&b);
    if (y == nullptr) return std::nullopt;
    return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  if (const auto* x = std::get_if<std::string>(&a)) {
    const auto* y = std::get_if<std::string>(&b);
    if (y == nullptr) return std::nullopt;
    int c = x->compare(*y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

Status ValidateFilter(const VectorFilter& filter) {
  int nodes = 0;
  return Check(filter, "filter", 0, &nodes);
}

bool MatchFilter(const VectorFilter& f, const Metadata& m) {
  switch (f.op) {
    case Op::kAnd:
      for (const auto& c : f.children) {
        if (!MatchFilter(c, m)) return false;
      }
      return true;
    case Op::kOr:
      for (const auto& c : f.children) {
        if (MatchFilter(c, m)) return true;
      }
      return false;
    case Op::kNot:
      return !f.children.empty() && !MatchFilter(f.children[0], m);
    default:
      break;
  }
  auto it = m.find(f.field);
  const MetadataValue* v = it == m.end() ? nullptr : &it->second;
  switch (f.op) {
    case Op::kExists:
      return v != nullptr;
    case Op::kEq:
      return v != nullptr && Equals(*v, f.value);
    case Op::kNe:
      return v == nullptr || !Equals(*v, f.value);
    case Op::kIn:
    case Op::kNin: {
      bool any = false;
      if (v != nullptr) {
        for (const auto& x : f.values) {
          if (Equals(*v, x)) {
            any = true;
            break;
          }
        }
      }
      return f.op == Op::kIn ? any : !any;
    }
    case Op::kPrefix: {
      if (v == nullptr) return false;
      const auto& p = std::get<std::string>(f.value);
      if (const auto* s = std::get_if<std::string>(v)) return StartsWith(*s, p);
      if (const auto* list = std::get_if<std::vector<std::string>>(v)) {
        for (const auto& e : *list) {
          if (StartsWith(e, p)) return true;
        }
      }
      return false;
    }
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte: {
      if (v == nullptr) return false;
      auto o = Order(*v, f.value);
      if (!o) return false;
      switch (f.op) {
        case Op::kLt:
          return *o < 0;
        case Op::kLte:
          return *o <= 0;
        case Op::kGt:
          return *o > 0;
        default:
          return *o >= 0;
      }
    }
    default:
      return false;
  }
}

}  // namespace k3::vectors
