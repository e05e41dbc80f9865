// wire/rpc.h: the RPC table — every method of every service, by its K3 name
// ("StorageService.CreateBucket"), as a handler from a K3 wire-form JSON request to a JSON
// response. Db::call, the C ABI's k3_call and the example HTTP server all dispatch through it.
// Thread-safety: the table is immutable; handlers are as thread-safe as the services.
#ifndef K3_WIRE_RPC_H_
#define K3_WIRE_RPC_H_

#include <string>
#include <string_view>
#include <vector>

#include "k3/db.h"
#include "k3/status.h"

namespace k3::wire {

// Runs `method` on `request_json`. UNIMPLEMENTED for an unknown method; INVALID_ARGUMENT for
// malformed JSON, a non-object request or wrong-typed fields; otherwise the service's status.
Result<std::string> Dispatch(Db& db, std::string_view method, std::string_view request_json);

// Every registered method name, sorted.
std::vector<std::string> MethodNames();

}  // namespace k3::wire

#endif  // K3_WIRE_RPC_H_
