// pipelines/parse/sections.cc: section offsets, cutting, and the streaming accumulator.
#include "pipelines/parse/sections.h"

#include <utility>

namespace k3::pipelines::parse_internal {

int64_t CodePointCount(std::string_view text) {
  int64_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

bool IsBlank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

size_t CutPoint(std::string_view text, size_t max_bytes) {
  std::string_view window = text.substr(0, max_bytes);
  size_t pos = window.find_last_of('\n');
  if (pos != std::string_view::npos) return pos + 1;
  pos = window.find_last_of(" \t");
  if (pos != std::string_view::npos) return pos + 1;
  // No break: cut before the character that starts at or straddles max_bytes.
  size_t cut = max_bytes;
  while (cut > 1 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

Status SectionEmitter::Emit(std::string text, const Metadata& metadata) {
  if (text.size() <= kMaxSectionBytes) return EmitOne(std::move(text), metadata);
  std::string_view rest = text;
  while (rest.size() > kMaxSectionBytes) {
    size_t cut = CutPoint(rest, kMaxSectionBytes);
    K3_RETURN_IF_ERROR(EmitOne(std::string(rest.substr(0, cut)), metadata));
    rest.remove_prefix(cut);
  }
  return EmitOne(std::string(rest), metadata);
}

Status SectionEmitter::EmitOne(std::string text, const Metadata& metadata) {
  if (IsBlank(text)) return Status::Ok();
  Section section;
  section.start = next_start_;
  next_start_ += CodePointCount(text);
  section.text = std::move(text);
  section.metadata = metadata;
  if (stats_ != nullptr) ++stats_->sections;
  return sink_(std::move(section));
}

Status StreamingSectioner::Append(std::string_view text) {
  pending_.append(text);
  if (pending_.size() <= kMaxSectionBytes) return Status::Ok();
  size_t consumed = 0;
  std::string_view rest = pending_;
  while (rest.size() > kMaxSectionBytes) {
    size_t cut = CutPoint(rest, kMaxSectionBytes);
    Status status = emitter_->Emit(std::string(rest.substr(0, cut)), metadata_);
    if (!status.ok()) return status;
    rest.remove_prefix(cut);
    consumed += cut;
  }
  pending_.erase(0, consumed);
  return Status::Ok();
}

Status StreamingSectioner::Flush() {
  std::string text = std::move(pending_);
  pending_.clear();
  return emitter_->Emit(std::move(text), metadata_);
}

}  // namespace k3::pipelines::parse_internal
