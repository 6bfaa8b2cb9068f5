// message_sink.h: where the guest sends encoded GuestMessages (hypercall, pipe, or memory).
#pragma once

#include "guest/abi/guest.npb.h"
#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/mem.h"
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

// Emits Done{status}: the last message of every op.
Status emit_done(MessageSink& sink, Arena& arena, int32_t status);

// A zeroed GuestMessage with body `tag` in `arena`: the message is a few KiB, too large for the
// guest's small stack. nullptr when the arena is exhausted.
instar_guest_GuestMessage* allocate_message(Arena& arena, pb_size_t tag);

// Copies `from` into a nanopb bytes field, cut to the field's bound (guest.options).
template <typename PbBytes>
void set_bytes(PbBytes* field, Bytes from) {
  const uint64_t n = from.size < sizeof field->bytes ? from.size : sizeof field->bytes;
  if (n != 0) copy_bytes(field->bytes, from.data, n);  // absent names have no data pointer
  field->size = static_cast<pb_size_t>(n);
}

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
