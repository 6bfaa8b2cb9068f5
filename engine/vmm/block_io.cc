// block_io.cc: pread/pwrite/preadv loops that finish short transfers or report failure.
#include "engine/vmm/block_io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace instar::vmm {

bool pread_full(int fd, std::span<uint8_t> buffer, uint64_t offset) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n =
        pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool pwrite_full(int fd, std::span<const uint8_t> buffer, uint64_t offset) {
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n =
        pwrite(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool preadv_full(int fd, std::span<iovec> iov, uint64_t offset) {
  while (!iov.empty()) {
    if (iov.front().iov_len == 0) {
      iov = iov.subspan(1);
      continue;
    }
    const int count = static_cast<int>(std::min<size_t>(iov.size(), IOV_MAX));
    const ssize_t n = preadv(fd, iov.data(), count, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    offset += static_cast<uint64_t>(n);
    // Step past what was read: whole buffers, then part of the next one.
    size_t left = static_cast<size_t>(n);
    while (left > 0 && left >= iov.front().iov_len) {
      left -= iov.front().iov_len;
      iov = iov.subspan(1);
    }
    if (left > 0) {
      iov.front().iov_base = static_cast<uint8_t*>(iov.front().iov_base) + left;
      iov.front().iov_len -= left;
    }
  }
  return true;
}

}  // namespace instar::vmm
