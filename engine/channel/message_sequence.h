// message_sequence.h: one operation's message contract, checked one message at a time.
#pragma once

#include <string>
#include <vector>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

// A small state machine per operation (info, check, compare): each message is validated
// against the kinds the contract allows next and appended to the report at once, so a hostile
// stream is refused at its first unexpected message and nothing after it is ever decoded.
class MessageSequence {
 public:
  virtual ~MessageSequence() = default;
  // Takes the next message (it may be moved from). Returns "" when it is allowed here, else why
  // not; after a refusal the sequence is not fed again.
  virtual std::string accept(instar::guest::GuestMessage& message) = 0;
  // After the last message: "" when the sequence is complete, else what is missing.
  virtual std::string finish() const = 0;
};

// Feeds already-decoded messages to `sequence` in order (tests, fuzzers): "" when every one is
// accepted and the sequence is complete, else the first reason it is not.
std::string feed_all(MessageSequence& sequence, std::vector<instar::guest::GuestMessage>& messages);

}  // namespace instar::channel
