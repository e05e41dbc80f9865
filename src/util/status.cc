// The non-inline parts of k3/status.h and k3/options.h.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "k3/options.h"
#include "k3/status.h"

namespace k3 {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
  if (message_.size() <= kMaxMessageBytes) return;
  size_t cut = kMaxMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message_[cut]) & 0xC0) == 0x80) --cut;
  const size_t dropped = message_.size() - cut;
  message_.resize(cut);
  message_ += "... (" + std::to_string(dropped) + " more bytes)";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

namespace internal {
void AbortOnBadResultAccess(const Status& s) {
  std::fprintf(stderr, "k3: value() called on a Result holding an error: %s\n",
               s.ToString().c_str());
  std::abort();
}
}  // namespace internal

void LogToStderr(LogLevel level, std::string_view message) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
  int i = static_cast<int>(level);
  std::fprintf(stderr, "k3 %s: %.*s\n", (i >= 0 && i < 4) ? kNames[i] : "?",
               static_cast<int>(message.size()), message.data());
}

}  // namespace k3
