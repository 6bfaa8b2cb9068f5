// pipe_message_sink.h: MessageSink writing length-prefixed frames to the message pipe.
#pragma once

#include <stdint.h>

#include "guest/lib/message_sink.h"

namespace instar::process {

// Writes all `size` bytes to `fd`, retrying EINTR and partial writes, in calls of at most
// `max_chunk` bytes (the seccomp pin on write's length). False on any error.
[[nodiscard]] bool write_all(int fd, const uint8_t* data, uint64_t size, uint64_t max_chunk);

// Each message: u32 little-endian length, then the bytes (abi.h process framing).
class PipeMessageSink final : public MessageSink {
 public:
  PipeMessageSink(int fd, uint64_t max_message) : fd_(fd), max_message_(max_message) {}
  // ERROR_INTERNAL when the message is larger than the host accepts or the pipe fails.
  Status emit(Bytes encoded) override;

 private:
  int fd_;
  uint64_t max_message_;
};

// Writes the exit frame: kExitFrame then the int32 status, both little-endian.
[[nodiscard]] bool write_exit_frame(int fd, int32_t status);

}  // namespace instar::process
