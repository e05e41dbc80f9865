// The RPC table and Dispatch: see rpc.h and rpc_table.h.
#include "wire/rpc.h"

#include <cstdio>
#include <cstdlib>

#include "wire/json_util.h"
#include "wire/rpc_table.h"

namespace k3::wire {

void RpcTable::Add(std::string_view service, std::string_view method, Handler handler) {
  std::string name(service);
  name += '.';
  name.append(method);
  if (!handlers_.emplace(name, handler).second) {
    std::fprintf(stderr, "k3: RPC method %s registered twice\n", name.c_str());
    std::abort();
  }
}

Handler RpcTable::Find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : it->second;
}

std::vector<std::string> RpcTable::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) names.push_back(name);
  return names;  // std::map keeps them sorted
}

const RpcTable& Table() {
  static const RpcTable* table = [] {
    auto* t = new RpcTable();
    RegisterStorageRpcs(*t);
    RegisterSourceRpcs(*t);
    RegisterEventRpcs(*t);
    RegisterTableRpcs(*t);
    RegisterVectorRpcs(*t);
    RegisterPipelineRpcs(*t);
    RegisterIngestRpcs(*t);
    return t;
  }();
  return *table;
}

namespace {

// "/dodil.k3.storage.v1.StorageService/CreateBucket" or
// "dodil.k3.storage.v1.StorageService.CreateBucket" -> "StorageService.CreateBucket".
std::string CanonicalName(std::string_view method) {
  std::string name(method);
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  for (char& c : name) {
    if (c == '/') c = '.';
  }
  size_t last = name.rfind('.');
  if (last == std::string::npos || last == 0) return name;
  size_t before = name.rfind('.', last - 1);
  if (before == std::string::npos) return name;
  return name.substr(before + 1);
}

}  // namespace

Result<Json> DispatchJson(Db& db, std::string_view method, const Json& request) {
  const RpcTable& table = Table();
  Handler handler = table.Find(method);
  if (handler == nullptr) handler = table.Find(CanonicalName(method));
  if (handler == nullptr) {
    return Unimplemented("unknown method \"" + std::string(method) + "\"");
  }
  if (!request.is_object()) {
    return InvalidArgument(std::string("request must be a JSON object, got ") +
                           (request.is_number() ? "number" : request.type_name()));
  }
  try {
    return handler(db, request);
  } catch (const Json::exception& e) {
    return InvalidArgument(std::string("invalid request: ") + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string(method) + ": " + e.what());
  }
}

Result<std::string> Dispatch(Db& db, std::string_view method, std::string_view request_json) {
  // An unknown method is reported before the request is looked at.
  if (Table().Find(method) == nullptr && Table().Find(CanonicalName(method)) == nullptr) {
    return Unimplemented("unknown method \"" + std::string(method) + "\"");
  }
  K3_ASSIGN_OR_RETURN(Json request, ParseJson(request_json));
  K3_ASSIGN_OR_RETURN(Json response, DispatchJson(db, method, request));
  return DumpJson(response);
}

std::vector<std::string> MethodNames() { return Table().Names(); }

}  // namespace k3::wire
