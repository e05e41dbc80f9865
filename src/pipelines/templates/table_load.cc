// pipelines/templates/table_load.cc: csv_table and jsonl_table — rows of a CSV or JSON object
// into the pipeline's table, created on first use with a schema inferred from the data.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <deque>

#include "pipelines/rows/csv_reader.h"
#include "pipelines/rows/json_rows_reader.h"
#include "pipelines/rows/schema_infer.h"
#include "pipelines/templates/template.h"

namespace k3::pipelines {
namespace {

constexpr size_t kRowsPerBatch = 5000;

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const Column* FindColumn(const Table& table, std::string_view name) {
  for (const Column& c : table.columns) {
    if (SameName(c.name, name)) return &c;
  }
  return nullptr;
}

std::string ColumnList(const Table& table) {
  std::string out;
  for (const Column& c : table.columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

// Collects rows into batches, and bad rows into a count and a sample, per on_error.
class RowSink {
 public:
  RowSink(const RunContext& ctx, RowOutput& out)
      : ctx_(ctx), out_(out), skip_(ctx.options.Get("on_error") == "skip") {}

  Status Add(Row row, size_t bytes) {
    ctx_.result->output_size += bytes;
    batch_.push_back(std::move(row));
    if (batch_.size() >= kRowsPerBatch) return Flush();
    return Status();
  }
  // A row that could not be read or converted: counted under on_error=skip, else the error.
  Status Bad(const Status& why) {
    if (!skip_) return InvalidArgument(why.message() + " (on_error=fail)");
    if (ctx_.result->rows_skipped++ == 0) ctx_.result->skipped_sample = why.message();
    return Status();
  }
  Status Flush() {
    if (batch_.empty()) return Status();
    K3_RETURN_IF_ERROR(out_.Write(batch_));
    ctx_.result->rows_written += batch_.size();
    batch_.clear();
    return Status();
  }

 private:
  const RunContext& ctx_;
  RowOutput& out_;
  bool skip_;
  std::vector<Row> batch_;
};

char Delimiter(const RunContext& ctx) {
  const std::string& d = ctx.options.Get("delimiter");
  if (d == "\\t") return '\t';
  if (!d.empty()) return d[0];
  return ctx.content_type == "text/tab-separated-values" ? '\t' : ',';
}

Status LoadCsv(const RunContext& ctx, RowOutput& out) {
  CsvReader reader(ctx.read, CsvOptions{.delimiter = Delimiter(ctx)});
  std::vector<std::string> header;
  K3_ASSIGN_OR_RETURN(bool has_header, reader.Next(&header));
  if (!has_header) {
    return FailedPrecondition("CSV object \"" + ctx.object.key + "\" is empty (no header row)");
  }
  const size_t sample_rows = static_cast<size_t>(ctx.options.GetInt("sample_rows"));
  std::deque<std::pair<std::vector<std::string>, int64_t>> buffered;  // record, line
  Result<Table> table = out.Existing();
  if (!table.ok() && table.status().code() != StatusCode::kNotFound) return table.status();
  if (!table.ok()) {
    std::vector<std::vector<std::string>> samples;
    std::vector<std::string> record;
    while (buffered.size() < sample_rows) {
      K3_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
      if (!more) break;
      buffered.emplace_back(record, reader.record_line());
      if (record.size() == header.size()) samples.push_back(record);
    }
    InferredSchema schema = InferCsvSchema(header, samples);
    K3_ASSIGN_OR_RETURN(table, out.Create(schema.columns, ctx.pipeline.pipeline_id));
  }
  // Header field i -> table column, by the name inference gives it.
  const InferredSchema names = InferCsvSchema(header, {});
  std::vector<const Column*> columns;
  for (size_t i = 0; i < header.size(); ++i) {
    const Column* c = FindColumn(*table, names.columns[i].name);
    if (c == nullptr) {
      return FailedPrecondition("CSV column \"" + header[i] + "\" of \"" + ctx.object.key +
                                "\" is not a column of table \"" + table->name +
                                "\" (columns: " + ColumnList(*table) + ")");
    }
    columns.push_back(c);
  }

  RowSink sink(ctx, out);
  auto take = [&](const std::vector<std::string>& record, int64_t line) -> Status {
    const std::string where = "line " + std::to_string(line);
    if (record.size() != header.size()) {
      return sink.Bad(InvalidArgument(where + ": " + std::to_string(record.size()) +
                                      " fields, the header has " + std::to_string(header.size())));
    }
    Row row;
    size_t bytes = 0;
    for (size_t i = 0; i < record.size(); ++i) {
      Result<Value> v = ConvertCsvField(record[i], *columns[i]);
      if (!v.ok()) return sink.Bad(InvalidArgument(where + ": " + v.status().message()));
      bytes += record[i].size();
      row[columns[i]->name] = std::move(*v);
    }
    return sink.Add(std::move(row), bytes);
  };
  for (const auto& [record, line] : buffered) K3_RETURN_IF_ERROR(take(record, line));
  buffered.clear();
  std::vector<std::string> record;
  while (true) {
    K3_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
    if (!more) break;
    K3_RETURN_IF_ERROR(take(record, reader.record_line()));
  }
  ctx.result->invalid_bytes_replaced = static_cast<uint64_t>(reader.invalid_bytes_replaced());
  return sink.Flush();
}

Status LoadJson(const RunContext& ctx, RowOutput& out) {
  JsonRowsReader reader(ctx.read);
  RowSink sink(ctx, out);
  const size_t sample_rows = static_cast<size_t>(ctx.options.GetInt("sample_rows"));
  std::deque<std::pair<nlohmann::json, int64_t>> buffered;
  nlohmann::json row_json;
  Status row_error;
  bool at_end = false;
  // Reads the next good row into row_json (bad ones go to the sink); false at the end.
  auto next = [&]() -> Result<bool> {
    while (true) {
      row_error = Status();
      K3_ASSIGN_OR_RETURN(bool more, reader.Next(&row_json, &row_error));
      if (!more) return false;
      if (row_error.ok()) return true;
      K3_RETURN_IF_ERROR(sink.Bad(row_error));
    }
  };
  Result<Table> table = out.Existing();
  if (!table.ok() && table.status().code() != StatusCode::kNotFound) return table.status();
  if (!table.ok()) {
    std::vector<nlohmann::json> samples;
    while (buffered.size() < sample_rows) {
      K3_ASSIGN_OR_RETURN(bool more, next());
      if (!more) {
        at_end = true;
        break;
      }
      samples.push_back(row_json);
      buffered.emplace_back(std::move(row_json), reader.line());
    }
    if (samples.empty()) {
      return FailedPrecondition("JSON object \"" + ctx.object.key +
                                "\" has no rows to infer a table schema from");
    }
    InferredSchema schema = InferJsonSchema(samples);
    K3_ASSIGN_OR_RETURN(table, out.Create(schema.columns, ctx.pipeline.pipeline_id));
  }
  std::map<std::string, const Column*> by_field;  // JSON field -> column (nullptr: none)
  auto column_for = [&](const std::string& field) -> const Column* {
    auto it = by_field.find(field);
    if (it != by_field.end()) return it->second;
    nlohmann::json probe = nlohmann::json::object();
    probe[field] = nullptr;
    const InferredSchema named = InferJsonSchema({probe});
    const Column* c = named.columns.empty() ? nullptr : FindColumn(*table, named.columns[0].name);
    by_field.emplace(field, c);
    return c;
  };
  auto take = [&](const nlohmann::json& object, int64_t line) -> Status {
    const std::string where = "line " + std::to_string(line);
    Row row;
    size_t bytes = 0;
    for (const auto& [field, value] : object.items()) {
      const Column* c = column_for(field);
      if (c == nullptr) {
        return sink.Bad(InvalidArgument(where + ": field \"" + field +
                                        "\" is not a column of table \"" + table->name + "\""));
      }
      Result<Value> v = ConvertJsonValue(value, *c);
      if (!v.ok()) return sink.Bad(InvalidArgument(where + ": " + v.status().message()));
      bytes += field.size() + 8;
      if (const auto* s = std::get_if<std::string>(&*v)) bytes += s->size();
      row[c->name] = std::move(*v);
    }
    return sink.Add(std::move(row), bytes);
  };
  for (const auto& [object, line] : buffered) K3_RETURN_IF_ERROR(take(object, line));
  buffered.clear();
  while (!at_end) {
    K3_ASSIGN_OR_RETURN(bool more, next());
    if (!more) break;
    K3_RETURN_IF_ERROR(take(row_json, reader.line()));
  }
  return sink.Flush();
}

}  // namespace

Status RunTableLoad(const RunContext& ctx, RowOutput& out, bool csv) {
  Status s = csv ? LoadCsv(ctx, out) : LoadJson(ctx, out);
  ctx.result->batches_received = out.batches();
  if (!s.ok()) {
    // A failed run leaves none of its rows (nor the object's earlier ones).
    Status removed = out.RemoveAll();
    if (!removed.ok()) {
      return Status(s.code(), s.message() + "; removing the rows written so far failed too: " +
                                  removed.message());
    }
    return s;
  }
  return out.Finish();
}

}  // namespace k3::pipelines
