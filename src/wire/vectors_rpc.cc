// VectorService's RPCs (K3's dodil.k3.vector.v1) in the RPC table.
#include <string>

#include "wire/rpc_table.h"
#include "wire/vectors_json.h"

namespace k3::wire {

namespace {

// Reads {bucket, collectionId|collectionName|collection}.
Status BucketAndCollection(const Fields& f, std::string* bucket, std::string* collection) {
  K3_RETURN_IF_ERROR(f.Get("bucket", bucket));
  return GetCollectionRef(f, collection);
}

// Reads a list of T from the array field `name`.
template <typename T>
Status GetList(const Fields& f, std::string_view name, std::vector<T>* out) {
  const Json* array = nullptr;
  std::string path;
  K3_RETURN_IF_ERROR(f.GetArray(name, &array, &path));
  if (array == nullptr) return Status();
  out->assign(array->size(), T{});
  for (size_t i = 0; i < array->size(); ++i) {
    K3_RETURN_IF_ERROR(FromJson((*array)[i], &(*out)[i], IndexPath(path, i)));
  }
  return Status();
}

// {bucket, mode, vbaseEndpoint, ...} -> Engine
Result<Json> ConfigureEngine(Db& db, const Json& req) {
  ConfigureEngineRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(VectorEngine e, db.vectors().configure_engine(r));
  return ToJson(e);
}

// {bucket} -> Engine (with its collections)
Result<Json> GetEngine(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(VectorEngine e, db.vectors().get_engine(bucket));
  return ToJson(e);
}

// {bucket, deleteDatabase} -> {}
Result<Json> DeleteEngine(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  DeleteEngineRequest r;
  K3_RETURN_IF_ERROR(f.Get("bucket", &r.bucket));
  K3_RETURN_IF_ERROR(f.Get("deleteDatabase", &r.delete_database));
  K3_RETURN_IF_ERROR(db.vectors().delete_engine(r));
  return EmptyResponse();
}

// {} -> {instances}
Result<Json> ListInstances(Db& db, const Json&) {
  Json list = Json::array();
  for (const auto& i : db.vectors().list_instances()) list.push_back(ToJson(i));
  return Json{{"instances", std::move(list)}};
}

// {bucket, name, dimensions, metric, indexType, hnsw, ivf, embedModel} -> Collection
Result<Json> CreateCollection(Db& db, const Json& req) {
  CreateCollectionRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(Collection c, db.vectors().create_collection(r));
  return ToJson(c);
}

// {bucket, collectionId} -> Collection
Result<Json> GetCollection(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, collection;
  K3_RETURN_IF_ERROR(BucketAndCollection(f, &bucket, &collection));
  K3_ASSIGN_OR_RETURN(Collection c, db.vectors().get_collection(bucket, collection));
  return ToJson(c);
}

// {bucket} -> {collections}
Result<Json> ListCollections(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket;
  K3_RETURN_IF_ERROR(f.Get("bucket", &bucket));
  K3_ASSIGN_OR_RETURN(auto collections, db.vectors().list_collections(bucket));
  Json list = Json::array();
  for (const auto& c : collections) list.push_back(ToJson(c));
  return Json{{"collections", std::move(list)}};
}

// {bucket, collectionId} -> {}
Result<Json> DeleteCollection(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  std::string bucket, collection;
  K3_RETURN_IF_ERROR(BucketAndCollection(f, &bucket, &collection));
  K3_RETURN_IF_ERROR(db.vectors().delete_collection(bucket, collection));
  return EmptyResponse();
}

Result<Json> WriteVectors(Db& db, const Json& req, bool upsert) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  WriteVectorsRequest r;
  K3_RETURN_IF_ERROR(BucketAndCollection(f, &r.bucket, &r.collection));
  K3_RETURN_IF_ERROR(GetList(f, "vectors", &r.vectors));
  K3_ASSIGN_OR_RETURN(WriteVectorsResponse resp,
                      upsert ? db.vectors().upsert_vectors(r) : db.vectors().insert_vectors(r));
  return Json{{"written", Uint64Json(resp.written)}};
}

// {bucket, collectionId, vectors: [VectorRecord]} -> {written}
Result<Json> InsertVectors(Db& db, const Json& req) { return WriteVectors(db, req, false); }
Result<Json> UpsertVectors(Db& db, const Json& req) { return WriteVectors(db, req, true); }

// {bucket, collectionId, ids} -> {deleted}
Result<Json> DeleteVectors(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  DeleteVectorsRequest r;
  K3_RETURN_IF_ERROR(BucketAndCollection(f, &r.bucket, &r.collection));
  K3_RETURN_IF_ERROR(f.Get("ids", &r.ids));
  K3_ASSIGN_OR_RETURN(DeleteVectorsResponse resp, db.vectors().delete_vectors(r));
  return Json{{"deleted", Uint64Json(resp.deleted)}};
}

// {bucket, collectionId, ids} -> {vectors, missingIds}
Result<Json> GetVectors(Db& db, const Json& req) {
  K3_ASSIGN_OR_RETURN(Fields f, Fields::Of(req));
  GetVectorsRequest r;
  K3_RETURN_IF_ERROR(BucketAndCollection(f, &r.bucket, &r.collection));
  K3_RETURN_IF_ERROR(f.Get("ids", &r.ids));
  K3_ASSIGN_OR_RETURN(GetVectorsResponse resp, db.vectors().get_vectors(r));
  Json list = Json::array();
  for (const auto& v : resp.vectors) list.push_back(ToJson(v));
  return Json{{"vectors", std::move(list)}, {"missingIds", StringListJson(resp.missing_ids)}};
}

// {bucket, vector | vectors | text, collectionName, topK, minScore, filter, includeContent}
//   -> {hits, results: [{hits}]}
Result<Json> Search(Db& db, const Json& req) {
  SearchRequest r;
  K3_RETURN_IF_ERROR(FromJson(req, &r));
  K3_ASSIGN_OR_RETURN(SearchResponse resp, db.vectors().search(r));
  return ToJson(resp);
}

}  // namespace

void RegisterVectorRpcs(RpcTable& table) {
  constexpr std::string_view kService = "VectorService";
  table.Add(kService, "ConfigureEngine", &ConfigureEngine);
  table.Add(kService, "GetEngine", &GetEngine);
  table.Add(kService, "DeleteEngine", &DeleteEngine);
  table.Add(kService, "ListInstances", &ListInstances);
  table.Add(kService, "CreateCollection", &CreateCollection);
  table.Add(kService, "GetCollection", &GetCollection);
  table.Add(kService, "ListCollections", &ListCollections);
  table.Add(kService, "DeleteCollection", &DeleteCollection);
  table.Add(kService, "InsertVectors", &InsertVectors);
  table.Add(kService, "UpsertVectors", &UpsertVectors);
  table.Add(kService, "DeleteVectors", &DeleteVectors);
  table.Add(kService, "GetVectors", &GetVectors);
  table.Add(kService, "Search", &Search);
}

}  // namespace k3::wire
