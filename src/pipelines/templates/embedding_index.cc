// pipelines/templates/embedding_index.cc: text_embedding_index and code_embedding_index.
#include <charconv>

#include "pipelines/chunk/chunker.h"
#include "pipelines/parse/parser.h"
#include "pipelines/templates/template.h"

namespace k3::pipelines {
namespace {

// Metadata names the template sets; the object's user metadata never overrides them.
bool Reserved(std::string_view name) {
  for (std::string_view r : {"key", "chunk_index", "start", "end", "content_type", "etag", "page",
                             "heading", "json_path", "language"}) {
    if (name == r) return true;
  }
  return false;
}

// Section metadata that is numeric ("page") travels as a number, so filters can compare it.
MetadataValue SectionValue(const std::string& value) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
  if (ec == std::errc() && ptr == value.data() + value.size() && !value.empty()) return d;
  return value;
}

class Indexer {
 public:
  Indexer(const RunContext& ctx, const std::shared_ptr<Embedder>& embedder, VectorOutput& out,
          std::string language)
      : ctx_(ctx),
        embedder_(embedder),
        out_(out),
        language_(std::move(language)),
        batch_size_(static_cast<size_t>(ctx.options.GetInt("embed_batch_size"))) {}

  Status Add(std::vector<Chunk> chunks) {
    for (Chunk& c : chunks) {
      pending_.push_back(std::move(c));
      if (pending_.size() >= batch_size_) K3_RETURN_IF_ERROR(Flush());
    }
    return Status();
  }

  Status Flush() {
    if (pending_.empty()) return Status();
    std::vector<std::string> texts;
    texts.reserve(pending_.size());
    for (const Chunk& c : pending_) texts.push_back(c.text);
    K3_ASSIGN_OR_RETURN(auto vectors, embedder_->embed(texts));
    if (vectors.size() != pending_.size()) {
      return Internal("embedder \"" + embedder_->name() + "\" returned " +
                      std::to_string(vectors.size()) + " vectors for " +
                      std::to_string(pending_.size()) + " texts");
    }
    ctx_.result->embeddings_created += vectors.size();
    std::vector<VectorRecord> records;
    records.reserve(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      Chunk& c = pending_[i];
      VectorRecord r;
      r.id = VectorOutput::IdFor(ctx_.object.key, written_ + i);
      r.values = std::move(vectors[i]);
      for (const auto& [k, v] : ctx_.object.metadata) {
        if (!Reserved(k)) r.metadata[k] = v;
      }
      for (const auto& [k, v] : c.metadata) r.metadata[k] = SectionValue(v);
      r.metadata["key"] = ctx_.object.key;
      r.metadata["chunk_index"] = static_cast<double>(written_ + i);
      r.metadata["start"] = static_cast<double>(c.start);
      r.metadata["end"] = static_cast<double>(c.end);
      r.metadata["content_type"] = ctx_.content_type;
      r.metadata["etag"] = ctx_.object.etag;
      if (!language_.empty()) r.metadata["language"] = language_;
      ctx_.result->output_size += c.text.size();
      r.text = std::move(c.text);
      records.push_back(std::move(r));
    }
    K3_RETURN_IF_ERROR(out_.Write(std::move(records)));
    written_ += pending_.size();
    ctx_.result->embeddings_written += pending_.size();
    pending_.clear();
    return Status();
  }

  uint64_t written() const { return written_; }

 private:
  const RunContext& ctx_;
  const std::shared_ptr<Embedder>& embedder_;
  VectorOutput& out_;
  std::string language_;
  size_t batch_size_;
  std::vector<Chunk> pending_;
  uint64_t written_ = 0;
};

Status Index(const RunContext& ctx, const std::shared_ptr<Embedder>& embedder, VectorOutput& out,
             bool code, uint64_t* chunks_written) {
  K3_ASSIGN_OR_RETURN(ParserKind parser, ParserFor(ctx.content_type, ctx.object.key));
  ChunkOptions chunking;
  if (code) {
    chunking.kind = ChunkerKind::kCode;
    chunking.chunk_overlap = 0;
  } else {
    K3_ASSIGN_OR_RETURN(chunking.kind, ChunkerFromName(ctx.options.Get("chunker")));
    chunking.chunk_overlap = ctx.options.GetInt("chunk_overlap");
  }
  chunking.chunk_size = ctx.options.GetInt("chunk_size");
  K3_RETURN_IF_ERROR(ValidateChunkOptions(chunking));

  Indexer indexer(ctx, embedder, out, code ? LanguageForKey(ctx.object.key) : std::string());
  ParseStats stats;
  Status parsed = Parse(
      parser, ctx.read, ctx.object.content_type,
      [&](Section&& section) -> Status {
        std::vector<Chunk> chunks = ChunkSection(section, chunking);
        ctx.result->chunks_created += chunks.size();
        return indexer.Add(std::move(chunks));
      },
      &stats);
  ctx.result->invalid_bytes_replaced = static_cast<uint64_t>(stats.invalid_bytes_replaced);
  K3_RETURN_IF_ERROR(parsed);
  K3_RETURN_IF_ERROR(indexer.Flush());
  *chunks_written = indexer.written();
  if (indexer.written() == 0) {
    return FailedPrecondition("object \"" + ctx.object.key + "\" (" +
                              std::to_string(ctx.object.size) + " bytes, " + ctx.content_type +
                              ") has no text to index");
  }
  return Status();
}

}  // namespace

Status RunEmbeddingIndex(const RunContext& ctx, const std::shared_ptr<Embedder>& embedder,
                         VectorOutput& out, bool code) {
  uint64_t written = 0;
  Status s = Index(ctx, embedder, out, code, &written);
  ctx.result->batches_received = out.batches();
  // On success the chunks past the new count are stale; on failure every chunk of the object
  // goes, so that the collection never holds a mix of two versions.
  Status finished = out.Finish(s.ok() ? written : 0);
  if (!s.ok()) return s;
  return finished;
}

}  // namespace k3::pipelines
