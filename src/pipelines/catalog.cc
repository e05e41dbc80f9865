// pipelines/catalog.cc: the templates k3 ships and option validation.
#include "pipelines/catalog.h"

#include <charconv>

namespace k3::pipelines {
namespace {

TemplateOption Str(std::string name, std::string def, std::string doc) {
  return {.name = std::move(name),
          .type = OptionType::kString,
          .default_value = std::move(def),
          .doc = std::move(doc)};
}
TemplateOption Int(std::string name, int64_t def, int64_t min, int64_t max, std::string doc) {
  return {.name = std::move(name),
          .type = OptionType::kInt,
          .default_value = std::to_string(def),
          .doc = std::move(doc),
          .min = min,
          .max = max};
}
TemplateOption Enum(std::string name, std::string def, std::vector<std::string> allowed,
                    std::string doc) {
  return {.name = std::move(name),
          .type = OptionType::kEnum,
          .default_value = std::move(def),
          .doc = std::move(doc),
          .allowed = std::move(allowed)};
}

// The options every vector template shares: the embedder, its endpoint, the collection.
std::vector<TemplateOption> EmbeddingOptions() {
  return {
      Str("embedder", "hash",
          "Embedder by name: hash (built in), http (OpenAI-compatible endpoint) or one the host "
          "registered"),
      Int("dimensions", 0, 0, 8192,
          "Vector length; 0 = the embedder's own (hash: 384, http: learned from the endpoint)"),
      Int("embed_batch_size", 64, 1, 2048, "Chunks embedded per embedder call"),
      Str("http_url", "", "http embedder: the /v1/embeddings URL (or a base URL ending in /v1)"),
      Str("http_model", "", "http embedder: the model name sent with each request"),
      Str("http_api_key_env", "",
          "http embedder: the environment variable holding the API key (never stored)"),
      Str("http_credential_id", "",
          "http embedder: a stored credential (PAT, API key or OAuth) sent as the bearer token"),
      Int("http_timeout_ms", 30000, 100, 600000, "http embedder: timeout of one request"),
      Int("http_max_retries", 3, 0, 10, "http embedder: retries on 429, 5xx and connection errors"),
      Enum("metric", "cosine", {"cosine", "l2", "ip"},
           "Similarity of the collection created for the pipeline"),
      Enum("index", "hnsw", {"hnsw", "flat", "ivf_flat"},
           "Index of the collection created for the pipeline"),
  };
}

std::vector<Template> BuildCatalog() {
  std::vector<Template> out;
  {
    Template t{.template_id = std::string(kTextEmbeddingIndex),
               .name = "Text embedding index",
               .description =
                   "Parses documents (text, Markdown, HTML, JSON, PDF), chunks them, "
                   "embeds the chunks and writes them to a vector collection",
               .kind = PipelineKind::kVector,
               .content_types = {"text/*", "application/json", "application/pdf",
                                 "application/xhtml+xml"}};
    t.options = {
        Enum("chunker", "fixed", {"fixed", "sentence", "markdown"},
             "How text is cut: fixed windows, whole sentences, or Markdown sections"),
        Int("chunk_size", 1000, 1, 100000, "Largest chunk, in characters"),
        Int("chunk_overlap", 100, 0, 99999,
            "Characters shared by consecutive chunks (less than chunk_size)"),
    };
    for (auto& o : EmbeddingOptions()) t.options.push_back(std::move(o));
    out.push_back(std::move(t));
  }
  {
    Template t{.template_id = std::string(kCodeEmbeddingIndex),
               .name = "Code embedding index",
               .description =
                   "Chunks source files on top-level block boundaries, embeds the "
                   "chunks and writes them with their language to a collection",
               .kind = PipelineKind::kVector,
               .content_types = {"text/*"}};
    t.options = {Int("chunk_size", 1500, 1, 100000, "Largest chunk, in characters")};
    for (auto& o : EmbeddingOptions()) t.options.push_back(std::move(o));
    out.push_back(std::move(t));
  }
  const TemplateOption on_error =
      Enum("on_error", "fail", {"fail", "skip"},
           "A row that cannot be read or converted fails the run, or is skipped and counted");
  const TemplateOption sample_rows =
      Int("sample_rows", 1000, 1, 100000, "Rows read to infer the schema of a new table");
  out.push_back(Template{
      .template_id = std::string(kCsvTable),
      .name = "CSV to table",
      .description = "Reads CSV (RFC 4180, header row) into rows of a table, created on first "
                     "use with a schema inferred from the data",
      .kind = PipelineKind::kWarehouse,
      .content_types = {"text/csv", "text/tab-separated-values", "application/csv", "text/plain"},
      .options = {Str("delimiter", "",
                      "Field separator, one character; empty = ',' (tab for .tsv / "
                      "text/tab-separated-values); \\t is a tab"),
                  on_error, sample_rows}});
  out.push_back(Template{
      .template_id = std::string(kJsonlTable),
      .name = "JSON Lines to table",
      .description = "Reads JSON Lines, or one JSON array of objects, into rows of a table; "
                     "nested values become JSON columns",
      .kind = PipelineKind::kWarehouse,
      .content_types = {"application/x-ndjson", "application/jsonl", "application/json",
                        "text/plain"},
      .options = {on_error, sample_rows}});
  out.push_back(Template{
      .template_id = std::string(kObjectCatalog),
      .name = "Object catalog",
      .description = "One row per object: key, size, content type, ETag, user metadata (JSON), "
                     "created and updated times — SQL over the bucket's inventory",
      .kind = PipelineKind::kWarehouse,
      .content_types = {"*/*"},
      .options = {}});
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status CheckValue(const Template& t, const TemplateOption& o, std::string_view value) {
  const std::string where = "option " + Quoted(o.name) + " of template " + t.template_id;
  switch (o.type) {
    case OptionType::kString:
      return Status();
    case OptionType::kInt: {
      int64_t v = 0;
      if (!ParseInt(value, &v)) {
        return InvalidArgument(where + " must be an integer, got " + Quoted(value));
      }
      if (v < o.min || v > o.max) {
        return InvalidArgument(where + " must be " + std::to_string(o.min) + ".." +
                               std::to_string(o.max) + ", got " + std::string(value));
      }
      return Status();
    }
    case OptionType::kBool:
      if (value == "true" || value == "false") return Status();
      return InvalidArgument(where + " must be true or false, got " + Quoted(value));
    case OptionType::kEnum:
      for (const std::string& a : o.allowed) {
        if (a == value) return Status();
      }
      {
        std::string list;
        for (const std::string& a : o.allowed) list += (list.empty() ? "" : ", ") + a;
        return InvalidArgument(where + " must be one of " + list + ", got " + Quoted(value));
      }
  }
  return Status();
}

const TemplateOption* FindOption(const Template& t, std::string_view name) {
  for (const TemplateOption& o : t.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace

const std::vector<Template>& Catalog() {
  static const std::vector<Template> catalog = BuildCatalog();
  return catalog;
}

Result<const Template*> FindTemplate(std::string_view template_id) {
  std::string known;
  for (const Template& t : Catalog()) {
    if (t.template_id == template_id) return &t;
    known += (known.empty() ? "" : ", ") + t.template_id;
  }
  if (template_id.empty())
    return InvalidArgument("a template id is required (one of " + known + ")");
  return InvalidArgument("unknown template " + Quoted(template_id) + " (known: " + known + ")");
}

const std::string& ResolvedOptions::Get(std::string_view name) const {
  static const std::string empty;
  auto it = values_.find(name);
  return it == values_.end() ? empty : it->second;
}

int64_t ResolvedOptions::GetInt(std::string_view name) const {
  int64_t v = 0;
  ParseInt(Get(name), &v);
  return v;
}

bool ResolvedOptions::GetBool(std::string_view name) const { return Get(name) == "true"; }

bool ResolvedOptions::Has(std::string_view name) const { return !Get(name).empty(); }

Result<ResolvedOptions> ResolveOptions(const Template& t,
                                       const std::map<std::string, std::string>& options,
                                       const std::map<std::string, std::string>& overlay) {
  ResolvedOptions out;
  for (const TemplateOption& o : t.options) out.values_[o.name] = o.default_value;
  for (const auto* layer : {&options, &overlay}) {
    for (const auto& [name, value] : *layer) {
      const TemplateOption* o = FindOption(t, name);
      if (o == nullptr) {
        std::string known;
        for (const TemplateOption& k : t.options) known += (known.empty() ? "" : ", ") + k.name;
        return InvalidArgument("unknown option " + Quoted(name) + " for template " + t.template_id +
                               (known.empty() ? " (it takes none)" : " (known: " + known + ")"));
      }
      K3_RETURN_IF_ERROR(CheckValue(t, *o, value));
      out.values_[name] = value;
    }
  }
  if (FindOption(t, "chunk_overlap") != nullptr &&
      out.GetInt("chunk_overlap") >= out.GetInt("chunk_size")) {
    return InvalidArgument("option \"chunk_overlap\" of template " + t.template_id +
                           " must be less than chunk_size (" + out.Get("chunk_size") + "), got " +
                           out.Get("chunk_overlap"));
  }
  if (const std::string& d = out.Get("delimiter"); !d.empty() && d != "\\t" && d.size() != 1) {
    return InvalidArgument("option \"delimiter\" of template " + t.template_id +
                           " must be one character (or \\t), got " + Quoted(d));
  }
  return out;
}

bool ContentTypeMatches(std::string_view pattern, std::string_view content_type) {
  if (pattern == "*/*" || pattern == content_type) return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*") {
    std::string_view major = pattern.substr(0, pattern.size() - 1);  // "text/"
    return content_type.substr(0, major.size()) == major;
  }
  return false;
}

}  // namespace k3::pipelines
