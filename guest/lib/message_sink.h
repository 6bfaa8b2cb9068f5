// message_sink.h: where the guest sends encoded GuestMessages (hypercall, pipe, or memory).
#pragma once

#include "guest/abi/guest.npb.h"
#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar {

class MessageSink {
 public:
  // Delivers one encoded guest.proto GuestMessage.
  virtual Status emit(Bytes encoded) = 0;

 protected:
  ~MessageSink() = default;
};

// Encodes `message` with nanopb into arena scratch space and hands it to `sink`. The scratch is
// released before returning.
Status emit_message(MessageSink& sink, Arena& arena, const instar_guest_GuestMessage& message);

// Emits an Error message carrying `status` and the image names that go with it (may be null).
Status emit_error(MessageSink& sink, Arena& arena, const Status& status, const ErrorNames* names);

// Collects messages in memory (tests, fuzzers, property tests).
class MemoryMessageSink final : public MessageSink {
 public:
  MemoryMessageSink(uint8_t* buffer, uint64_t capacity) : buffer_(buffer), capacity_(capacity) {}
  Status emit(Bytes encoded) override;
  // Messages are stored as [u32 little-endian length][bytes], as the process backend frames them.
  Bytes contents() const { return {buffer_, used_}; }

 private:
  uint8_t* buffer_;
  uint64_t capacity_;
  uint64_t used_ = 0;
};

}  // namespace instar
