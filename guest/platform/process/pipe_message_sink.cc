// pipe_message_sink.cc: framing and write loops for the process guest's message pipe.
#include "guest/platform/process/pipe_message_sink.h"

#include <errno.h>
#include <unistd.h>

#include "guest/abi/abi.h"

namespace instar::process {
namespace {

void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

bool write_all(int fd, const uint8_t* data, uint64_t size, uint64_t max_chunk) {
  uint64_t done = 0;
  while (done < size) {
    const uint64_t want = size - done < max_chunk ? size - done : max_chunk;
    const ssize_t n = write(fd, data + done, want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<uint64_t>(n);
  }
  return true;
}

Status PipeMessageSink::emit(Bytes encoded) {
  // The host would kill us for a larger frame; refuse it here with a reportable error instead.
  if (encoded.size > max_message_ || encoded.size >= abi::kExitFrame) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL, encoded.size);
  }
  uint8_t header[4];
  store_le32(header, static_cast<uint32_t>(encoded.size));
  // Two writes, not one: no buffer to assemble the frame in, and one writer means no interleaving.
  if (!write_all(fd_, header, sizeof header, max_message_) ||
      !write_all(fd_, encoded.data, encoded.size, max_message_)) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  return Status::Ok();
}

bool write_exit_frame(int fd, int32_t status) {
  uint8_t frame[8];
  store_le32(frame, abi::kExitFrame);
  store_le32(frame + 4, static_cast<uint32_t>(status));
  return write_all(fd, frame, sizeof frame, sizeof frame);
}

}  // namespace instar::process
