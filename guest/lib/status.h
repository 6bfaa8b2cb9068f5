// status.h: the guest's error currency: a guest.proto ErrorCode plus numeric context.
#pragma once

#include <stdint.h>

#include "guest/abi/guest.npb.h"

namespace instar {

using ErrorCode = instar_guest_ErrorCode;

// A status is ok() or an error code with up to kMaxArgs numbers of context (offsets, counts),
// which the host turns into qemu-img's exact message text.
class [[nodiscard]] Status {
 public:
  static constexpr int kMaxArgs = 4;  // guest.options Error.args: the most any code takes

  constexpr Status() = default;
  constexpr explicit Status(ErrorCode code) : code_(code) {}
  constexpr Status(ErrorCode code, uint64_t a0) : code_(code), nargs_(1) { args_[0] = a0; }
  constexpr Status(ErrorCode code, uint64_t a0, uint64_t a1) : code_(code), nargs_(2) {
    args_[0] = a0;
    args_[1] = a1;
  }
  constexpr Status(ErrorCode code, uint64_t a0, uint64_t a1, uint64_t a2) : code_(code), nargs_(3) {
    args_[0] = a0;
    args_[1] = a1;
    args_[2] = a2;
  }
  constexpr Status(ErrorCode code, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
      : code_(code), nargs_(4) {
    args_[0] = a0;
    args_[1] = a1;
    args_[2] = a2;
    args_[3] = a3;
  }
  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == instar_guest_ErrorCode_ERROR_NONE; }
  constexpr ErrorCode code() const { return code_; }
  constexpr int nargs() const { return nargs_; }
  constexpr uint64_t arg(int i) const { return args_[i]; }

 private:
  ErrorCode code_ = instar_guest_ErrorCode_ERROR_NONE;
  int nargs_ = 0;
  uint64_t args_[kMaxArgs] = {};
};

// A value or an error status. T must be default-constructible and trivially copyable enough for
// the freestanding guest (no exceptions, no heap).
template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(const T& value) : value_(value) {}   // NOLINT: implicit by design
  constexpr Result(Status status) : status_(status) {}  // NOLINT: implicit by design
  constexpr bool ok() const { return status_.ok(); }
  constexpr const Status& status() const { return status_; }
  constexpr const T& value() const { return value_; }
  constexpr T& value() { return value_; }

 private:
  T value_{};
  Status status_{};
};

}  // namespace instar

// Returns the status of `expr` from the enclosing function when it is an error.
#define INSTAR_TRY(expr)                           \
  do {                                             \
    ::instar::Status instar_try_s_ = (expr);       \
    if (!instar_try_s_.ok()) return instar_try_s_; \
  } while (0)
