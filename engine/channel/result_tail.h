// result_tail.h: the "[Error], <Result>, Done" contract that compare, convert and measure share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

// The states of an op whose guest ends with an optional Error, one result message and Done, and
// the checks that do not depend on the op: the Error only first, the result message next, Done's
// status 1 exactly for a failure result, nothing after Done. The op checks the result itself.
class ResultTail {
 public:
  using BodyCase = instar::guest::GuestMessage::BodyCase;
  // `result_case` is the op's result message; `op` names the op in refusals ("compare").
  ResultTail(BodyCase result_case, std::string_view result_name, std::string_view op)
      : result_case_(result_case), result_name_(result_name), op_(op) {}

  // No message taken yet: ops with messages before the Error (convert's progress) look here.
  bool at_start() const { return state_ == State::kFirst; }

  // Takes `m`: an Error goes to `*error`; the result message to `take_result()`, which returns ""
  // or why it is refused; Done is checked against `failed()`, whether the taken result is a
  // failure kind.
  template <typename TakeResult, typename Failed>
  std::string accept(instar::guest::GuestMessage& m, std::optional<instar::guest::Error>* error,
                     TakeResult&& take_result, Failed&& failed) {
    switch (state_) {
      case State::kFirst:
        if (m.body_case() == instar::guest::GuestMessage::kError) {
          *error = std::move(*m.mutable_error());
          state_ = State::kExpectResult;
          return {};
        }
        [[fallthrough]];
      case State::kExpectResult: {
        if (m.body_case() != result_case_) return "expected a " + result_name_ + " message";
        std::string refused = take_result();
        if (refused.empty()) state_ = State::kExpectDone;
        return refused;
      }
      case State::kExpectDone:
        if (m.body_case() != instar::guest::GuestMessage::kDone) {
          return "guest did not end with Done";
        }
        if (m.done().status() != (failed() ? 1 : 0)) {
          return "Done status does not match the " + op_ + " result";
        }
        state_ = State::kFinished;
        return {};
      case State::kFinished:
        break;
    }
    return "guest sent messages after Done";
  }

  // After the last message: "" when the sequence is complete, else what is missing.
  std::string finish() const;

 private:
  enum class State { kFirst, kExpectResult, kExpectDone, kFinished };

  BodyCase result_case_;
  std::string result_name_;
  std::string op_;
  State state_ = State::kFirst;
};

}  // namespace instar::channel
