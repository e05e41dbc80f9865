// pipelines/chunk/chunker.cc: chunker names, option checks and dispatch to the strategies.
#include "pipelines/chunk/chunker.h"

#include <string>

#include "pipelines/chunk/text.h"

namespace k3::pipelines {

Result<ChunkerKind> ChunkerFromName(std::string_view name) {
  if (name == "fixed") return ChunkerKind::kFixed;
  if (name == "sentence") return ChunkerKind::kSentence;
  if (name == "markdown") return ChunkerKind::kMarkdown;
  if (name == "code") return ChunkerKind::kCode;
  return InvalidArgument("unknown chunker \"" + std::string(name) +
                         "\"; accepted: \"fixed\", \"sentence\", \"markdown\", \"code\"");
}

std::string_view ChunkerName(ChunkerKind kind) {
  switch (kind) {
    case ChunkerKind::kFixed:
      return "fixed";
    case ChunkerKind::kSentence:
      return "sentence";
    case ChunkerKind::kMarkdown:
      return "markdown";
    case ChunkerKind::kCode:
      return "code";
  }
  return "unknown";
}

Status ValidateChunkOptions(const ChunkOptions& options) {
  if (options.chunk_size < 1 || options.chunk_size > kMaxChunkSize) {
    return InvalidArgument("option \"chunk_size\" is " + std::to_string(options.chunk_size) +
                           "; it must be between 1 and " + std::to_string(kMaxChunkSize));
  }
  if (options.chunk_overlap < 0 || options.chunk_overlap >= options.chunk_size) {
    return InvalidArgument("option \"chunk_overlap\" is " + std::to_string(options.chunk_overlap) +
                           "; it must be at least 0 and less than \"chunk_size\" (" +
                           std::to_string(options.chunk_size) + ")");
  }
  switch (options.kind) {
    case ChunkerKind::kFixed:
    case ChunkerKind::kSentence:
    case ChunkerKind::kMarkdown:
    case ChunkerKind::kCode:
      return Status::Ok();
  }
  return InvalidArgument("option \"chunker\" is not a known chunker kind");
}

std::vector<Chunk> ChunkSection(const Section& section, const ChunkOptions& options) {
  std::vector<Chunk> chunks;
  if (!ValidateChunkOptions(options).ok()) return chunks;  // contract violated: nothing
  const chunk::CodePointText text(section.text);
  chunk::ChunkSink sink(text, section, &chunks);
  const chunk::Span all{0, text.size()};
  switch (options.kind) {
    case ChunkerKind::kFixed:
      chunk::ChunkFixed(all, options.chunk_size, options.chunk_overlap, section.metadata, sink);
      break;
    case ChunkerKind::kSentence:
      chunk::ChunkSentences(all, options.chunk_size, options.chunk_overlap, section.metadata, sink);
      break;
    case ChunkerKind::kMarkdown:
      chunk::ChunkMarkdown(all, options.chunk_size, options.chunk_overlap, sink);
      break;
    case ChunkerKind::kCode:
      chunk::ChunkCode(all, options.chunk_size, sink);
      break;
  }
  return chunks;
}

}  // namespace k3::pipelines
