// pipelines/parse/json_parser.cc: JSON, parsed with nlohmann's SAX interface (no DOM, no
// recursion); every non-blank string leaf becomes a section with its "json_path".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/parse/formats.h"
#include "pipelines/parse/read_bytes.h"
#include "pipelines/parse/sections.h"
#include "pipelines/parse/text_decoder.h"
#include "util/utf8.h"

namespace k3::pipelines::parse_internal {
namespace {

// Deeper documents are refused (INVALID_ARGUMENT) rather than given paths of absurd length.
constexpr size_t kMaxJsonDepth = 1000;

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Builds "$.a.b[2]" paths from SAX events and emits string leaves.
class JsonSectionHandler : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonSectionHandler(SectionEmitter* emitter) : emitter_(emitter) {}

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool string(string_t& value) override {
    size_t length = Enter();
    if (!IsBlank(value)) {
      Metadata metadata = {{"json_path", path_}};
      status_ = emitter_->Emit(std::move(value), metadata);
    }
    Leave(length);
    return status_.ok();
  }
  bool start_object(std::size_t) override { return Open(/*is_array=*/false); }
  bool key(string_t& key) override {
    frames_.back().key = key;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(/*is_array=*/true); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    std::string what = error.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..."
    size_t colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    // nlohmann's position counts the bytes read, the offending one included.
    size_t offset = position > 0 ? position - 1 : 0;
    status_ =
        InvalidArgument("invalid JSON at byte offset " + std::to_string(offset) + ": " + what);
    return false;
  }

  const Status& status() const { return status_; }

 private:
  struct Frame {
    bool is_array = false;
    size_t next_index = 0;
    std::string key;
    size_t path_length = 0;  // path_'s length before this container's own component
  };

  // Appends the current value's component to path_; returns the length to restore.
  size_t Enter() {
    size_t length = path_.size();
    if (frames_.empty()) return length;
    Frame& top = frames_.back();
    if (top.is_array) {
      path_ += '[' + std::to_string(top.next_index) + ']';
    } else if (IsIdentifier(top.key)) {
      path_ += '.' + top.key;
    } else {
      path_ +=
          "[" +
          nlohmann::json(top.key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
          "]";
    }
    return length;
  }
  void Leave(size_t length) {
    path_.resize(length);
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().next_index;
  }
  bool Scalar() {
    Leave(Enter());
    return true;
  }
  bool Open(bool is_array) {
    if (frames_.size() >= kMaxJsonDepth) {
      status_ = InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                " levels at path " + path_);
      return false;
    }
    size_t length = Enter();
    frames_.push_back(Frame{is_array, 0, "", length});
    return true;
  }
  bool Close() {
    size_t length = frames_.back().path_length;
    frames_.pop_back();
    Leave(length);
    return true;
  }

  SectionEmitter* emitter_;
  std::string path_ = "$";
  std::vector<Frame> frames_;
  Status status_;
};

}  // namespace

Status ParseJson(const ByteReader& reader, std::string_view content_type, const SectionSink& sink,
                 ParseStats* stats) {
  K3_ASSIGN_OR_RETURN(Charset charset, CharsetForLabel(CharsetParameter(content_type)));
  K3_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(reader, stats, "JSON"));
  if (IsBlank(bytes)) return Status::Ok();
  // Valid UTF-8 is parsed as is, so error offsets are byte offsets in the object. Otherwise
  // the text is decoded first (offsets then count bytes of the decoded text).
  if (charset != Charset::kUtf8 || !util::IsValidUtf8(bytes)) {
    TextDecoder decoder(charset, /*normalize_newlines=*/false);
    std::string decoded;
    decoder.Decode(bytes, &decoded);
    decoder.Finish(&decoded);
    if (stats != nullptr) stats->invalid_bytes_replaced = decoder.invalid_bytes();
    bytes = std::move(decoded);
  }
  SectionEmitter emitter(sink, stats);
  JsonSectionHandler handler(&emitter);
  try {
    nlohmann::json::sax_parse(bytes, &handler, nlohmann::json::input_format_t::json,
                              /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    if (handler.status().ok()) return InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
  return handler.status();
}

}  // namespace k3::pipelines::parse_internal
