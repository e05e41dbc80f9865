// pipelines/output.h: where a run writes — one object's vectors in a collection, or its rows
// in a table — replacing what an earlier run of the same object wrote.
//
// Vectors: the i-th chunk of object `key` has id "<key>#<i>" (a key over 400 bytes is
// replaced by "sha256:<hex of the key>" in the id), so a re-run overwrites chunk i in place and
// Finish(n) deletes the chunks numbered n and above that an earlier, longer version left.
// Rows: every row carries the key in the table's hidden source-key column; the first batch
// of a run deletes the key's earlier rows in the same transaction.
// Thread-safety: one output per run, used by one thread.
#ifndef K3_PIPELINES_OUTPUT_H_
#define K3_PIPELINES_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "k3/tables.h"
#include "k3/vectors.h"
#include "tables/table_impl.h"
#include "vectors/vector_impl.h"

namespace k3::pipelines {

class VectorOutput {
 public:
  VectorOutput(VectorService::Impl& vectors, std::string bucket, std::string collection,
               std::string key)
      : vectors_(vectors),
        bucket_(std::move(bucket)),
        collection_(std::move(collection)),
        key_(std::move(key)) {}

  // The id of chunk `index` of object `key`.
  static std::string IdFor(std::string_view key, uint64_t index);
  // Upserts `records` (ids from IdFor) in batches the vector service accepts.
  Status Write(std::vector<VectorRecord> records);
  // Deletes the object's chunks numbered `count` and above. Finish(0) removes every chunk.
  Status Finish(uint64_t count);
  uint64_t batches() const { return batches_; }

 private:
  VectorService::Impl& vectors_;
  std::string bucket_, collection_, key_;
  uint64_t batches_ = 0;
};

class RowOutput {
 public:
  RowOutput(TableService::Impl& tables, std::string bucket, std::string table, std::string key)
      : tables_(tables),
        bucket_(std::move(bucket)),
        table_(std::move(table)),
        key_(std::move(key)) {}

  // The destination table, or NOT_FOUND.
  Result<Table> Existing() const;
  // Creates the destination as a pipeline table of `pipeline_id` with `columns`; when another
  // run created it meanwhile, returns that table.
  Result<Table> Create(const std::vector<Column>& columns, const std::string& pipeline_id);
  // Writes one batch; the first batch of the run also deletes the key's earlier rows.
  Status Write(const std::vector<Row>& rows);
  // Removes the key's earlier rows when no batch was written (the object yields no rows now).
  Status Finish();
  // Removes every row of the key (after a failed run, or the object was deleted).
  Status RemoveAll();
  uint64_t batches() const { return batches_; }

 private:
  TableService::Impl& tables_;
  std::string bucket_, table_, key_;
  uint64_t batches_ = 0;
};

}  // namespace k3::pipelines

#endif  // K3_PIPELINES_OUTPUT_H_
