// The public VectorService: argument plumbing to VectorService::Impl.
#include "vectors/vector_impl.h"

namespace k3 {

Result<VectorEngine> VectorService::configure_engine(const ConfigureEngineRequest& r) {
  return impl_->ConfigureEngine(r);
}
Result<VectorEngine> VectorService::get_engine(std::string_view bucket) {
  return impl_->GetEngine(bucket);
}
Status VectorService::delete_engine(const DeleteEngineRequest& r) { return impl_->DeleteEngine(r); }
std::vector<VectorInstance> VectorService::list_instances() { return impl_->ListInstances(); }

Result<Collection> VectorService::create_collection(const CreateCollectionRequest& r) {
  return impl_->CreateCollection(r);
}
Result<Collection> VectorService::get_collection(std::string_view bucket,
                                                 std::string_view collection) {
  return impl_->GetCollection(bucket, collection);
}
Result<std::vector<Collection>> VectorService::list_collections(std::string_view bucket) {
  return impl_->ListCollections(bucket);
}
Status VectorService::delete_collection(std::string_view bucket, std::string_view collection) {
  return impl_->DeleteCollection(bucket, collection);
}

Result<WriteVectorsResponse> VectorService::insert_vectors(const WriteVectorsRequest& r) {
  return impl_->Write(r, /*upsert=*/false);
}
Result<WriteVectorsResponse> VectorService::upsert_vectors(const WriteVectorsRequest& r) {
  return impl_->Write(r, /*upsert=*/true);
}
Result<DeleteVectorsResponse> VectorService::delete_vectors(const DeleteVectorsRequest& r) {
  return impl_->Delete(r);
}
Result<GetVectorsResponse> VectorService::get_vectors(const GetVectorsRequest& r) {
  return impl_->Get(r);
}
Result<SearchResponse> VectorService::search(const SearchRequest& r) { return impl_->Search(r); }
void VectorService::wait_idle() { impl_->WaitIdle(); }

}  // namespace k3
