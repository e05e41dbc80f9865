// k3/vectors.h: VectorService — a per-bucket vector engine, its collections, vector writes and
// similarity search (K3's dodil.k3.vector.v1), embedded on FAISS.
//
//   db.vectors().configure_engine({.bucket = "kb", .mode = k3::EngineMode::kAuto});
//   db.vectors().create_collection({.bucket = "kb", .name = "docs", .dimensions = 384,
//                                   .metric = k3::VectorMetric::kCosine});
//   db.vectors().upsert_vectors({.bucket = "kb", .collection = "docs", .vectors = {...}});
//   auto hits = db.vectors().search({.bucket = "kb", .collection = "docs",
//                                    .vectors = {query}, .top_k = 5,
//                                    .filter = k3::VectorFilter::Eq("lang", "en")});
//
// Durability: vectors are rows in the data directory's RocksDB store (the source of truth),
// written in one atomic batch per call: a batch is applied entirely or not at all. Each
// collection's FAISS index is derived from those rows, checkpointed to
// <dir>/vectors/<bucket>/<collection_id>.faiss with the label high-water mark it covers,
// caught up from the rows when a collection is first used after open, and rebuilt from the
// rows when its checkpoint is missing or fails its checksum.
//
// Scores are higher-is-better for every metric:
//   L2:     score = 1 / (1 + d²), d² the squared Euclidean distance (in (0, 1]).
//   IP:     score = q · v, the inner product.
//   COSINE: score = (q · v) / (|q| |v|), in [-1, 1] (vectors are normalized when written).
//
// Thread-safety: every method may be called concurrently from any thread. Searches run
// concurrently with each other and with writes; a search sees a write batch entirely or not
// at all.
#ifndef K3_VECTORS_H_
#define K3_VECTORS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "k3/export.h"
#include "k3/status.h"
#include "k3/types.h"

namespace k3 {

// ---- Limits ----
inline constexpr int kMaxVectorDimensions = 8192;
inline constexpr size_t kMaxVectorIdBytes = 512;
inline constexpr int kMaxSearchTopK = 1024;
// Names of collections: 1..128 bytes of [A-Za-z0-9_.-], starting with a letter or digit.
inline constexpr size_t kMaxCollectionNameBytes = 128;

// ---- Engine ----

enum class EngineMode : int {
  kUnspecified = 0,
  kAuto = 1,      // the embedded FAISS engine in the data directory
  kExternal = 2,  // a remote vbase endpoint: UNIMPLEMENTED in k3
  kPick = 3,      // an existing remote instance: UNIMPLEMENTED in k3
};

enum class VectorMetric : int { kUnspecified = 0, kL2 = 1, kIp = 2, kCosine = 3 };

enum class VectorIndexType : int { kUnspecified = 0, kFlat = 1, kHnsw = 2, kIvfFlat = 3 };

// External-mode collections are written by the user; pipeline-mode ones only by their
// pipeline (external writes to them are FAILED_PRECONDITION).
enum class CollectionMode : int { kUnspecified = 0, kExternal = 1, kPipeline = 2 };

enum class CollectionStatus : int {
  kUnspecified = 0,
  kReady = 1,     // the index answers searches
  kBuilding = 2,  // a background rebuild runs; searches still answer from the current index
};

// HNSW parameters (FAISS IndexHNSWFlat). Defaults reach recall@10 >= 0.95 on clustered data.
struct HnswParams {
  int m = 32;                 // 4..128 graph degree
  int ef_construction = 200;  // 8..4096
  int ef_search = 128;        // 8..4096; raised to top_k when smaller
};

// IVF_FLAT parameters. The index is trained automatically once the collection holds
// 39 × nlist vectors; until then it searches exactly (flat).
struct IvfParams {
  int nlist = 128;  // 1..65536 lists
  int nprobe = 16;  // 1..nlist lists visited per query
};

struct CreateCollectionRequest {
  std::string bucket;
  std::string name;
  int dimensions = 0;  // 1..kMaxVectorDimensions
  VectorMetric metric = VectorMetric::kCosine;
  VectorIndexType index = VectorIndexType::kHnsw;
  HnswParams hnsw;
  IvfParams ivf;
  std::string embed_model;  // informational for external-mode collections
  std::string description;
  // kExternal for user collections. kPipeline is set by the pipelines service only.
  CollectionMode mode = CollectionMode::kExternal;
  // The pipeline that writes a kPipeline collection (set by the pipelines service).
  std::string embed_pipeline_id;
  std::string embed_pipeline_name;
};

struct Collection {
  std::string collection_id;  // "vcol_..."
  std::string bucket;
  std::string name;
  int dimensions = 0;
  VectorMetric metric = VectorMetric::kUnspecified;
  VectorIndexType index = VectorIndexType::kUnspecified;
  HnswParams hnsw;
  IvfParams ivf;
  std::string embed_model;
  std::string description;
  CollectionMode mode = CollectionMode::kExternal;
  // kPipeline: the pipeline that writes it and embeds its text queries ("" when unbound).
  std::string embed_pipeline_id;
  std::string embed_pipeline_name;
  CollectionStatus status = CollectionStatus::kReady;
  uint64_t vector_count = 0;
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct ConfigureEngineRequest {
  std::string bucket;
  EngineMode mode = EngineMode::kAuto;
  // For kExternal / kPick (not supported by k3; kept for wire compatibility).
  std::string vbase_endpoint;
  int32_t vbase_port = 0;
  std::string vbase_db_name;
  std::string service_id;
};

struct VectorEngine {
  std::string engine_id;  // "veng_..."
  std::string bucket;
  EngineMode mode = EngineMode::kAuto;
  EngineStatus status = EngineStatus::kActive;
  std::string error_message;
  std::string vbase_endpoint;  // the data directory's vectors/ path for kAuto
  int32_t vbase_port = 0;
  std::string vbase_db_name;
  std::string service_id;
  std::vector<Collection> collections;  // by name
  TimestampMs created_at = 0;
  TimestampMs updated_at = 0;
};

struct DeleteEngineRequest {
  std::string bucket;
  // false (default): the engine record goes, collections and vectors stay and reappear when
  // the engine is configured again. true: collections, vectors and checkpoints are removed.
  bool delete_database = false;
};

// One vector engine instance the data directory offers.
struct VectorInstance {
  std::string instance_id;  // "embedded"
  std::string kind;         // "faiss"
  std::string version;      // FAISS's version
  std::string path;         // <dir>/vectors
};

// ---- Vectors ----

// A metadata value: a string, a number, a bool or a list of strings.
using MetadataValue = std::variant<std::string, double, bool, std::vector<std::string>>;
// A flat metadata object. Keys are 1..256 bytes.
using Metadata = std::map<std::string, MetadataValue>;

struct VectorRecord {
  std::string id;             // 1..kMaxVectorIdBytes bytes
  std::vector<float> values;  // the collection's dimensions; finite
  Metadata metadata;
  std::optional<std::string> text;
};

struct WriteVectorsRequest {
  std::string bucket;
  std::string collection;  // name or collection_id
  std::vector<VectorRecord> vectors;
};

struct WriteVectorsResponse {
  uint64_t written = 0;
};

struct DeleteVectorsRequest {
  std::string bucket;
  std::string collection;
  std::vector<std::string> ids;
};

struct DeleteVectorsResponse {
  uint64_t deleted = 0;  // ids that existed
};

struct GetVectorsRequest {
  std::string bucket;
  std::string collection;
  std::vector<std::string> ids;
};

struct GetVectorsResponse {
  std::vector<VectorRecord> vectors;     // the found ones, in request order
  std::vector<std::string> missing_ids;  // in request order
};

// ---- Filters ----

// A metadata filter expression. Leaves compare one field:
//   eq / ne: equal / not equal (on a list-of-strings field, eq means "contains"; ne is
//     not eq, so it also matches a missing field);
//   lt lte gt gte: numbers numerically, strings bytewise; false on a type mismatch or a
//     missing field;
//   in / nin: eq to any of `values` / not in;
//   prefix: a string field (or any element of a list field) starts with the string value;
//   exists: the field is present.
// Combinators: and (all children; true when empty), or (any child), not (its one child).
struct VectorFilter {
  enum class Op : int {
    kEq,
    kNe,
    kLt,
    kLte,
    kGt,
    kGte,
    kIn,
    kNin,
    kPrefix,
    kExists,
    kAnd,
    kOr,
    kNot,
  };
  Op op = Op::kAnd;
  std::string field;
  MetadataValue value;
  std::vector<MetadataValue> values;  // for in / nin
  std::vector<VectorFilter> children;

  static VectorFilter Compare(Op op, std::string field, MetadataValue value) {
    VectorFilter f;
    f.op = op;
    f.field = std::move(field);
    f.value = std::move(value);
    return f;
  }
  static VectorFilter Eq(std::string field, MetadataValue v) {
    return Compare(Op::kEq, std::move(field), std::move(v));
  }
  static VectorFilter In(std::string field, std::vector<MetadataValue> values) {
    VectorFilter f;
    f.op = Op::kIn;
    f.field = std::move(field);
    f.values = std::move(values);
    return f;
  }
  static VectorFilter Exists(std::string field) {
    VectorFilter f;
    f.op = Op::kExists;
    f.field = std::move(field);
    return f;
  }
  static VectorFilter Combine(Op op, std::vector<VectorFilter> children) {
    VectorFilter f;
    f.op = op;
    f.children = std::move(children);
    return f;
  }
  static VectorFilter And(std::vector<VectorFilter> c) { return Combine(Op::kAnd, std::move(c)); }
  static VectorFilter Or(std::vector<VectorFilter> c) { return Combine(Op::kOr, std::move(c)); }
  static VectorFilter Not(VectorFilter c) { return Combine(Op::kNot, {std::move(c)}); }
};

// ---- Search ----

struct SearchRequest {
  std::string bucket;
  // Empty: every collection of the bucket whose dimensions equal the query's, merged by score.
  std::string collection;
  // One or more query vectors; one result list per query.
  std::vector<std::vector<float>> vectors;
  // A text query (when `vectors` is empty), embedded by each collection searched with its own
  // embedder: a pipeline-mode collection's pipeline's, an external-mode collection's
  // embed_model (an embedder's name: "hash" or one the host registered). FAILED_PRECONDITION
  // when the collection has neither; searching every collection skips such collections.
  std::string text;
  int top_k = 10;  // 1..kMaxSearchTopK
  // Hits scoring below it are dropped.
  std::optional<float> min_score;
  std::optional<VectorFilter> filter;
  // Return each hit's text and metadata (otherwise only metadata).
  bool include_content = false;
};

struct SearchHit {
  std::string collection;  // the collection's name
  std::string id;
  float score = 0;
  Metadata metadata;
  std::optional<std::string> text;  // when include_content and the vector has one
  std::string object_key;           // the metadata's "object_key" (else "key") string, when present
};

struct SearchResponse {
  // results[i] answers vectors[i]: at most top_k hits, best first.
  std::vector<std::vector<SearchHit>> results;
};

class K3_EXPORT VectorService {
 public:
  class Impl;
  explicit VectorService(Impl* impl) : impl_(impl) {}

  // kAuto: creates the bucket's embedded engine, or returns the existing one (idempotent).
  // kExternal/kPick: UNIMPLEMENTED. NOT_FOUND when the bucket does not exist.
  Result<VectorEngine> configure_engine(const ConfigureEngineRequest& request);
  // The engine with its collections. NOT_FOUND when the bucket has none.
  Result<VectorEngine> get_engine(std::string_view bucket);
  // Does not touch pipelines or rules. NOT_FOUND when the bucket has no engine.
  Status delete_engine(const DeleteEngineRequest& request);
  std::vector<VectorInstance> list_instances();

  // INVALID_ARGUMENT for a bad name, dimensions, metric, index or parameters; ALREADY_EXISTS
  // when the name is taken; FAILED_PRECONDITION when the bucket has no engine.
  Result<Collection> create_collection(const CreateCollectionRequest& request);
  // `collection` is a name or a collection_id. NOT_FOUND when missing.
  Result<Collection> get_collection(std::string_view bucket, std::string_view collection);
  Result<std::vector<Collection>> list_collections(std::string_view bucket);
  // Removes the collection, its vectors and its checkpoint.
  Status delete_collection(std::string_view bucket, std::string_view collection);

  // Every vector is validated before anything is written; one bad vector fails the batch
  // with INVALID_ARGUMENT naming it (vectors[i]). Duplicate ids in one batch are
  // INVALID_ARGUMENT. FAILED_PRECONDITION for a pipeline-mode collection.
  // insert: ALREADY_EXISTS when an id exists (nothing written).
  Result<WriteVectorsResponse> insert_vectors(const WriteVectorsRequest& request);
  // upsert: replaces existing ids.
  Result<WriteVectorsResponse> upsert_vectors(const WriteVectorsRequest& request);
  // Missing ids are not an error (counted out of `deleted`).
  Result<DeleteVectorsResponse> delete_vectors(const DeleteVectorsRequest& request);
  Result<GetVectorsResponse> get_vectors(const GetVectorsRequest& request);

  // INVALID_ARGUMENT for top_k outside 1..kMaxSearchTopK, a query of the wrong dimensions or
  // with NaN/Inf, a zero query under COSINE, a malformed filter; NOT_FOUND for a missing
  // collection (or, when `collection` is empty, a bucket without collections of the
  // query's dimensions).
  Result<SearchResponse> search(const SearchRequest& request);

  // Blocks until the background index maintenance queued so far (rebuilds after many
  // deletes, IVF training, checkpoints) has finished. For tests and benchmarks.
  void wait_idle();

 private:
  Impl* impl_;  // owned by the Db
};

}  // namespace k3

#endif  // K3_VECTORS_H_
