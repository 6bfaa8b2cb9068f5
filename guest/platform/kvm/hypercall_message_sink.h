// hypercall_message_sink.h: a MessageSink that hands each encoded GuestMessage to the host.
#pragma once

#include <stdint.h>

#include "guest/lib/message_sink.h"

namespace instar::kvm {

class HypercallMessageSink final : public MessageSink {
 public:
  // `max_message_size` is BootInfo::max_message_size: larger messages are refused in the guest
  // (ERROR_INTERNAL) instead of making the host end the VM.
  explicit HypercallMessageSink(uint64_t max_message_size) : max_message_size_(max_message_size) {}

  // One kEmitMessage; the host copies the bytes out of guest memory during the exit.
  Status emit(Bytes encoded) override;

 private:
  uint64_t max_message_size_;
};

}  // namespace instar::kvm
