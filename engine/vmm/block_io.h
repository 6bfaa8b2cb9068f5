// block_io.h: whole-buffer positional I/O on device fds, straight into guest memory (zero copy).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>

namespace instar::vmm {

// Each returns true only when every byte was transferred; EINTR is retried, end of file before the
// last byte and any other error return false.
[[nodiscard]] bool pread_full(int fd, std::span<uint8_t> buffer, uint64_t offset);
[[nodiscard]] bool pwrite_full(int fd, std::span<const uint8_t> buffer, uint64_t offset);
// Reads the contiguous file range at `offset` into the buffers of `iov` in order. `iov` is
// consumed (advanced past transferred bytes).
[[nodiscard]] bool preadv_full(int fd, std::span<iovec> iov, uint64_t offset);

}  // namespace instar::vmm
