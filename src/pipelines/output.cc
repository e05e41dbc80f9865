// pipelines/output.cc: replacing one object's output in a collection or a table.
#include "pipelines/output.h"

#include <algorithm>

#include "util/hash.h"
#include "vectors/validate.h"

namespace k3::pipelines {
namespace {

constexpr size_t kMaxKeyInId = 400;

std::string IdStem(std::string_view key) {
  if (key.size() <= kMaxKeyInId) return std::string(key) + "#";
  return "sha256:" + util::HexEncode(util::Sha256Digest(key)) + "#";
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string VectorOutput::IdFor(std::string_view key, uint64_t index) {
  return IdStem(key) + std::to_string(index);
}

Status VectorOutput::Write(std::vector<VectorRecord> records) {
  for (size_t first = 0; first < records.size(); first += vectors::kMaxBatchVectors) {
    const size_t last = std::min(records.size(), first + vectors::kMaxBatchVectors);
    WriteVectorsRequest request;
    request.bucket = bucket_;
    request.collection = collection_;
    request.vectors.assign(std::make_move_iterator(records.begin() + first),
                           std::make_move_iterator(records.begin() + last));
    K3_RETURN_IF_ERROR(
        vectors_.Write(request, /*upsert=*/true, VectorService::Impl::Writer::kPipeline).status());
    ++batches_;
  }
  return Status();
}

Status VectorOutput::Finish(uint64_t count) {
  const std::string stem = IdStem(key_);
  K3_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                      vectors_.IdsWithPrefix(bucket_, collection_, stem));
  DeleteVectorsRequest request;
  request.bucket = bucket_;
  request.collection = collection_;
  for (std::string& id : ids) {
    // "<key>#<digits>" only: "a#b#1" belongs to object "a#b", not to "a".
    const std::string_view index = std::string_view(id).substr(stem.size());
    if (!AllDigits(index) || index.size() > 19) continue;
    if (std::stoull(std::string(index)) < count) continue;
    request.ids.push_back(std::move(id));
    if (request.ids.size() == vectors::kMaxBatchVectors) {
      K3_RETURN_IF_ERROR(vectors_.Delete(request, VectorService::Impl::Writer::kPipeline).status());
      request.ids.clear();
    }
  }
  if (request.ids.empty()) return Status();
  return vectors_.Delete(request, VectorService::Impl::Writer::kPipeline).status();
}

Result<Table> RowOutput::Existing() const { return tables_.GetTable(bucket_, table_); }

Result<Table> RowOutput::Create(const std::vector<Column>& columns,
                                const std::string& pipeline_id) {
  CreateTableRequest request;
  request.bucket = bucket_;
  request.name = table_;
  request.description = "Written by pipeline " + pipeline_id;
  request.columns = columns;
  request.source = TableSource::kPipeline;
  request.pipeline_id = pipeline_id;
  Result<Table> created = tables_.CreateTable(request);
  if (created.status().code() == StatusCode::kAlreadyExists) return Existing();
  return created;
}

Status RowOutput::Write(const std::vector<Row>& rows) {
  K3_RETURN_IF_ERROR(
      tables_.WriteSourceRows(bucket_, table_, key_, rows, /*replace=*/batches_ == 0).status());
  ++batches_;
  return Status();
}

Status RowOutput::Finish() {
  if (batches_ > 0) return Status();
  return RemoveAll();
}

Status RowOutput::RemoveAll() {
  Result<WriteResult> removed = tables_.DeleteSourceRows(bucket_, table_, key_);
  if (removed.status().code() == StatusCode::kNotFound) return Status();  // no table yet
  return removed.status();
}

}  // namespace k3::pipelines
