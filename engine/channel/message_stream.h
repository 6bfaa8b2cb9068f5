// message_stream.h: decodes and checks the guest's messages one by one as they arrive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/channel/message_decoder.h"
#include "engine/channel/message_sequence.h"

namespace instar::channel {

// Feeds each encoded message through decode_message() into an operation's MessageSequence.
// The first failure (decoding, a field cap, the sequence) is sticky: later messages are refused
// without being decoded, and the caller (the sandbox) stops the guest. Only the report the
// sequence builds is kept, never the encoded stream.
class MessageStream {
 public:
  MessageStream(MessageSequence& sequence, DecodeLimits limits)
      : sequence_(sequence), limits_(limits) {}

  // False with `*why` set ("guest message <n> ...") on the first message that is not allowed.
  bool consume(std::string_view encoded, std::string* why);
  // After the guest exited: false with `*why` set when the sequence is incomplete.
  bool finish(std::string* why) const;

  uint64_t messages() const { return messages_; }
  uint64_t bytes() const { return bytes_; }

 private:
  MessageSequence& sequence_;
  DecodeLimits limits_;
  instar::guest::GuestMessage message_;  // reused: one decoded message at a time
  std::string failure_;
  uint64_t messages_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace instar::channel
