// message_sequence.cc: feeding a whole decoded message list to a MessageSequence.
#include "engine/channel/message_sequence.h"

namespace instar::channel {

std::string feed_all(MessageSequence& sequence,
                     std::vector<instar::guest::GuestMessage>& messages) {
  if (messages.empty()) return "guest sent no messages";
  for (instar::guest::GuestMessage& m : messages) {
    if (std::string why = sequence.accept(m); !why.empty()) return why;
  }
  return sequence.finish();
}

}  // namespace instar::channel
