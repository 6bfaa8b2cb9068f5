// result_tail.cc: completeness of the "[Error], <Result>, Done" contract.
#include "engine/channel/result_tail.h"

namespace instar::channel {

std::string ResultTail::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kExpectDone:
      return "guest did not end with Done";
    default:
      return "expected a " + result_name_ + " message";
  }
}

}  // namespace instar::channel
