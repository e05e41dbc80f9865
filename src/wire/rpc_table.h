// wire/rpc_table.h: the registry behind wire/rpc.h. Each service registers its methods from
// its own file (storage_rpc.cc, sources_rpc.cc, events_rpc.cc, ...) through one Register*
// function, listed in rpc.cc; a new service adds its file and one line there.
//
// A handler receives the parsed request, already checked to be a JSON object, and returns
// the response document (the empty object for methods that answer nothing). Handlers read
// requests with wire::Fields and the FromJson codecs, so wrong-typed fields come back as
// INVALID_ARGUMENT naming the field; they must not throw (Dispatch still catches, as a
// backstop).
// Thread-safety: the table is built once, on first use, and is immutable afterwards.
#ifndef K3_WIRE_RPC_TABLE_H_
#define K3_WIRE_RPC_TABLE_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "k3/db.h"
#include "k3/status.h"
#include "wire/json_util.h"

namespace k3::wire {

using Handler = Result<Json> (*)(Db& db, const Json& request);

class RpcTable {
 public:
  // Registers `handler` as "<service>.<method>". A name registered twice aborts (a
  // programming error, caught by any test).
  void Add(std::string_view service, std::string_view method, Handler handler);
  // The handler of the full name "Service.Method", or nullptr.
  Handler Find(std::string_view name) const;
  // Every registered name, sorted.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

// The table with every service registered.
const RpcTable& Table();

// Runs `method` on an already-parsed request. Method names may also be given in gRPC's
// forms ("/dodil.k3.storage.v1.StorageService/CreateBucket",
// "dodil.k3.storage.v1.StorageService.CreateBucket"). UNIMPLEMENTED for an unknown method,
// INVALID_ARGUMENT for a non-object request.
Result<Json> DispatchJson(Db& db, std::string_view method, const Json& request);

// One per service.
void RegisterStorageRpcs(RpcTable& table);
void RegisterSourceRpcs(RpcTable& table);
void RegisterEventRpcs(RpcTable& table);
void RegisterTableRpcs(RpcTable& table);
void RegisterVectorRpcs(RpcTable& table);
void RegisterPipelineRpcs(RpcTable& table);
void RegisterIngestRpcs(RpcTable& table);

// The empty response {}.
inline Json EmptyResponse() { return Json::object(); }

}  // namespace k3::wire

#endif  // K3_WIRE_RPC_TABLE_H_
