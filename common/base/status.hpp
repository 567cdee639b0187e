// Errors as values (after LevelDB's `Status` and Abseil's `StatusOr`).
//
// `Status` is either OK or an error with a code and a message saying what failed and why.
// `StatusOr<T>` holds a `T` or an error. Both are cheap to move, `[[nodiscard]]`, and
// thread-compatible (like any value type).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <glog/logging.h>

namespace agora {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // Bad input: the caller can fix it.
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnavailable,  // A peer or resource is not reachable now; retrying may help.
  kInternal,
  kIoError,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(StatusCode code, std::string message) {
    return Status(code, std::move(message));
  }
  static Status invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status notFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status io(std::string message) { return Status(StatusCode::kIoError, std::move(message)); }
  static Status unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string toString() const { return isOk() ? "OK" : message_; }

  // Returns a copy whose message is prefixed with `context` (the caller's view).
  Status withContext(const std::string& context) const {
    return isOk() ? *this : Status(code_, context + ": " + message_);
  }
  // Explicitly discards the result.
  void ignoreError() const {}

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design.
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design.
    CHECK(!status_.isOk()) << "StatusOr built from an OK status without a value";
  }

  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const T& value() const& {
    CHECK(isOk()) << status_.message();
    return *value_;
  }
  T& value() & {
    CHECK(isOk()) << status_.message();
    return *value_;
  }
  T&& value() && {
    CHECK(isOk()) << status_.message();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace agora

#define AGORA_RETURN_IF_ERROR(expr)       \
  do {                                    \
    ::agora::Status _status = (expr);     \
    if (!_status.isOk()) return _status;  \
  } while (0)
