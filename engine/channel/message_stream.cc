// message_stream.cc: decode, validate against the expected next kinds, append; stop at the first
// violation.
#include "engine/channel/message_stream.h"

namespace instar::channel {

bool MessageStream::consume(std::string_view encoded, std::string* why) {
  if (!failure_.empty()) {
    *why = failure_;
    return false;
  }
  const uint64_t index = messages_++;
  bytes_ += encoded.size();
  std::string problem;
  if (!decode_message(encoded, limits_, &message_, &problem)) {
    failure_ = "guest message " + std::to_string(index) + " " + problem;
  } else if (problem = sequence_.accept(message_); !problem.empty()) {
    failure_ = std::move(problem);
  }
  message_.Clear();
  if (failure_.empty()) return true;
  *why = failure_;
  return false;
}

bool MessageStream::finish(std::string* why) const {
  if (!failure_.empty()) {
    *why = failure_;
    return false;
  }
  if (messages_ == 0) {
    *why = "guest sent no messages";
    return false;
  }
  *why = sequence_.finish();
  return why->empty();
}

}  // namespace instar::channel
