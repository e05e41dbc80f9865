// k3/status.h: Status (a gRPC canonical code plus a message) and Result<T> (a value or a Status).
// Every fallible k3 call returns one of these; no exception crosses the public API.
// Thread-safety: values; distinct objects may be used from any thread.
#ifndef K3_STATUS_H_
#define K3_STATUS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "k3/export.h"

namespace k3 {

// The gRPC canonical codes, with the same numeric values (the C ABI returns these numbers).
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "NOT_FOUND" for kNotFound; "UNKNOWN" for a value outside the enum.
K3_EXPORT std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] K3_EXPORT Status {
 public:
  Status() = default;  // OK
  // A message longer than kMaxMessageBytes is cut there, before a UTF-8 continuation byte,
  // and ends with "... (N more bytes)": messages quote input, which may be megabytes.
  Status(StatusCode code, std::string message);
  static constexpr size_t kMaxMessageBytes = 4000;

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: bucket \"x\" does not exist", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Shorthands for building errors: k3::NotFound("bucket \"x\" does not exist").
inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

// A T or a non-OK Status. Accessing value() of an error is a programming error (aborts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(data_).ok()) data_ = Status(StatusCode::kInternal, "OK used as error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  // OK when holding a value.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }

  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }
  T& operator*() & { return Checked(); }

 private:
  T& Checked() {
    if (!ok()) AbortOnBadAccess(std::get<Status>(data_));
    return std::get<T>(data_);
  }
  [[noreturn]] static void AbortOnBadAccess(const Status& s);

  std::variant<T, Status> data_;
};

namespace internal {
[[noreturn]] K3_EXPORT void AbortOnBadResultAccess(const Status& s);
}

template <typename T>
void Result<T>::AbortOnBadAccess(const Status& s) {
  internal::AbortOnBadResultAccess(s);
}

}  // namespace k3

// Returns early from the calling function when `expr` (a Status) is not OK.
#define K3_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::k3::Status k3_status_ = (expr);        \
    if (!k3_status_.ok()) return k3_status_; \
  } while (0)

#define K3_CONCAT_INNER_(a, b) a##b
#define K3_CONCAT_(a, b) K3_CONCAT_INNER_(a, b)
// K3_ASSIGN_OR_RETURN(auto x, F()); declares x from a Result or returns its Status.
#define K3_ASSIGN_OR_RETURN(lhs, expr) \
  K3_ASSIGN_OR_RETURN_IMPL_(K3_CONCAT_(k3_result_, __LINE__), lhs, expr)
#define K3_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#endif  // K3_STATUS_H_
