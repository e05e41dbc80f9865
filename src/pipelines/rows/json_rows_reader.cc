// pipelines/rows/json_rows_reader.cc: JSON Lines / JSON array row reading.
#include "pipelines/rows/json_rows_reader.h"

#include <cstring>
#include <exception>
#include <string_view>
#include <utility>

namespace k3::pipelines {
namespace {

constexpr size_t kBlockBytes = size_t{64} << 10;
constexpr size_t kMaxMessageBytes = 200;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The deepest nesting of arrays/objects in `text` (brackets inside strings do not count).
int MaxNestingDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) max_depth = depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 4: what" -> what.
std::string DescribeParseError(const nlohmann::json::parse_error& e) {
  std::string what = e.what();
  const size_t column = what.find("column ");
  const size_t colon = what.find(": ", column == std::string::npos ? 0 : column);
  if (colon != std::string::npos) what = what.substr(colon + 2);
  if (what.size() > kMaxMessageBytes) what = what.substr(0, kMaxMessageBytes) + "...";
  return what;
}

const char* TypeName(const nlohmann::json& v) { return v.type_name(); }

}  // namespace

JsonRowsReader::JsonRowsReader(const ByteReader& reader) : reader_(reader), in_(kBlockBytes) {}

Status JsonRowsReader::Fill() {
  return rows_internal::FillBlock(reader_, "JSON rows reader", &in_);
}

Status JsonRowsReader::Start() {
  // A BOM may arrive split over several reads: gather up to 3 bytes first.
  K3_RETURN_IF_ERROR(rows_internal::FillAtLeast(reader_, "JSON rows reader", 3, &in_));
  if (in_.end >= 3 && std::memcmp(in_.bytes.data(), "\xEF\xBB\xBF", 3) == 0) in_.pos = 3;
  // Skip leading whitespace (blank lines, for JSON Lines), counting lines.
  for (;;) {
    K3_RETURN_IF_ERROR(Fill());
    if (in_.pos == in_.end) {
      mode_ = Mode::kDone;
      return Status();
    }
    const char c = in_.bytes[in_.pos];
    if (!IsJsonSpace(c)) break;
    if (c == '\n') ++next_line_;
    ++in_.pos;
  }
  if (in_.bytes[in_.pos] != '[') {
    mode_ = Mode::kLines;
    return Status();
  }
  mode_ = Mode::kArray;
  return LoadArray(in_.bytes_read - static_cast<int64_t>(in_.end - in_.pos));
}

Status JsonRowsReader::LoadArray(int64_t start_offset) {
  std::string text;
  for (;;) {
    K3_RETURN_IF_ERROR(Fill());
    if (in_.pos == in_.end) break;
    text.append(in_.bytes.data() + in_.pos, in_.end - in_.pos);
    in_.pos = in_.end;
    if (static_cast<size_t>(in_.bytes_read) > kMaxWholeDocumentBytes) {
      return ResourceExhausted("JSON array input is larger than the " +
                               std::to_string(kMaxWholeDocumentBytes >> 20) +
                               " MiB limit for whole-document formats");
    }
  }
  if (MaxNestingDepth(text) > kMaxJsonRowDepth) {
    return InvalidArgument("JSON array: nested deeper than " + std::to_string(kMaxJsonRowDepth) +
                           " levels");
  }
  try {
    array_ = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 at the '['; report the 0-based offset in the whole input.
    const int64_t offset = start_offset + static_cast<int64_t>(e.byte) - 1;
    return InvalidArgument("JSON array: invalid JSON at byte offset " + std::to_string(offset) +
                           ": " + DescribeParseError(e));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("JSON array: ") + e.what());
  }
  if (!array_.is_array()) return Internal("JSON array: parsed a non-array");
  return Status();
}

Result<bool> JsonRowsReader::NextLine(nlohmann::json* row, Status* row_error) {
  for (;;) {
    // Gather one line (without its line end); beyond the limit, stop keeping its bytes.
    line_buffer_.clear();
    bool too_long = false;
    bool saw_any = false;
    bool saw_newline = false;
    for (;;) {
      K3_RETURN_IF_ERROR(Fill());
      if (in_.pos == in_.end) break;
      saw_any = true;
      const char* start = in_.bytes.data() + in_.pos;
      const void* nl = std::memchr(start, '\n', in_.end - in_.pos);
      const size_t take = nl ? static_cast<const char*>(nl) - start : in_.end - in_.pos;
      if (!too_long) {
        if (line_buffer_.size() + take > kMaxJsonLineBytes) {
          too_long = true;
          line_buffer_.clear();
          line_buffer_.shrink_to_fit();
        } else {
          line_buffer_.append(start, take);
        }
      }
      in_.pos += take;
      if (nl) {
        ++in_.pos;
        saw_newline = true;
        break;
      }
    }
    if (!saw_any) return false;
    const int64_t this_line = next_line_;
    if (saw_newline) ++next_line_;
    if (too_long) {
      line_ = this_line;
      *row = nullptr;
      *row_error = InvalidArgument("line " + std::to_string(this_line) + ": longer than " +
                                   std::to_string(kMaxJsonLineBytes >> 20) + " MiB");
      return true;
    }
    std::string_view text = line_buffer_;
    while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
    while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
    if (text.empty()) continue;  // a blank line
    line_ = this_line;
    *row = nullptr;
    const std::string where = "line " + std::to_string(this_line) + ": ";
    if (MaxNestingDepth(text) > kMaxJsonRowDepth) {
      *row_error = InvalidArgument(where + "nested deeper than " +
                                   std::to_string(kMaxJsonRowDepth) + " levels");
      return true;
    }
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      *row_error = InvalidArgument(where + "not valid JSON: " + DescribeParseError(e));
      return true;
    } catch (const std::exception& e) {
      *row_error = InvalidArgument(where + "not valid JSON: " + e.what());
      return true;
    }
    if (!value.is_object()) {
      *row_error = InvalidArgument(where + "not a JSON object (got " + TypeName(value) + ")");
      return true;
    }
    *row = std::move(value);
    *row_error = Status();
    return true;
  }
}

Result<bool> JsonRowsReader::Next(nlohmann::json* row, Status* row_error) {
  if (!error_.ok()) return error_;
  if (mode_ == Mode::kUnknown) {
    Status s = Start();
    if (!s.ok()) {
      array_ = nullptr;
      error_ = s;
      return s;
    }
  }
  switch (mode_) {
    case Mode::kLines: {
      Result<bool> r = NextLine(row, row_error);
      if (!r.ok()) error_ = r.status();
      return r;
    }
    case Mode::kArray: {
      if (next_element_ >= array_.size()) {
        array_ = nullptr;
        mode_ = Mode::kDone;
        return false;
      }
      nlohmann::json& element = array_[next_element_++];
      line_ = static_cast<int64_t>(next_element_);
      if (!element.is_object()) {
        *row = nullptr;
        *row_error = InvalidArgument("element " + std::to_string(next_element_) +
                                     ": not a JSON object (got " + TypeName(element) + ")");
        return true;
      }
      *row = std::move(element);
      element = nullptr;
      *row_error = Status();
      return true;
    }
    default:
      return false;
  }
}

}  // namespace k3::pipelines
