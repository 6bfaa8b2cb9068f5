// result.h: the monitor's error currency: a value or a human-readable reason it could not be made.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace instar::vmm {

// The reason an operation failed, phrased for "instar: sandbox: <message>".
struct Error {
  std::string message;
};

// Ok or an Error. Every monitor step that can refuse returns one, so callers cannot drop a refusal.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT: implicit
  static Status Ok() { return Status(); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

// A T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT: implicit
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT: implicit

  bool ok() const { return value_.has_value(); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  const std::string& message() const { return error_; }
  // Drops the value, keeping only the failure (for propagating to a Status).
  Status status() const { return ok() ? Status::Ok() : Status(Error{error_}); }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace instar::vmm
