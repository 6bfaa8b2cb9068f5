// pread_block_source.cc: bounded, chunked pread64/pwrite64 loops for the process guest.
#include "guest/platform/process/pread_block_source.h"

#include <errno.h>
#include <unistd.h>

namespace instar::process {
namespace {

Status io_error(uint64_t offset, uint64_t length) {
  return Status(instar_guest_ErrorCode_ERROR_IO, offset, length);
}

}  // namespace

Status PreadBlockSource::read_at(uint64_t offset, MutableBytes out) {
  if (offset > capacity_ || out.size > capacity_ - offset) return io_error(offset, out.size);
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t want = out.size - done < max_read_ ? out.size - done : max_read_;
    const ssize_t n = pread(fd_, out.data + done, want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    // A partial read is progress; 0 means the file ended before `capacity` (short read).
    if (n <= 0) return io_error(offset, out.size);
    done += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status PwriteBlockSink::write_at(uint64_t offset, Bytes data) {
  if (offset > capacity_ || data.size > capacity_ - offset) return io_error(offset, data.size);
  uint64_t done = 0;
  while (done < data.size) {
    const uint64_t want = data.size - done < max_write_ ? data.size - done : max_write_;
    const ssize_t n = pwrite(fd_, data.data + done, want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(offset, data.size);
    done += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status PwriteBlockSink::flush() {
  while (fsync(fd_) != 0) {
    if (errno != EINTR) return io_error(0, 0);
  }
  return Status::Ok();
}

}  // namespace instar::process
