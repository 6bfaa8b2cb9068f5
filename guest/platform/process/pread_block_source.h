// pread_block_source.h: BlockSource over a device fd with pread64, within the seccomp pins.
#pragma once

#include <stdint.h>

#include "guest/lib/block_source.h"

namespace instar::process {

// Reads device bytes with pread64 on `fd`. Ranges are checked against `capacity` before any
// syscall, and requests are split into calls of at most `max_read` bytes: the seccomp filter pins
// the same fd, length and offset bounds, so a read the filter would kill is never attempted.
class PreadBlockSource final : public BlockSource {
 public:
  PreadBlockSource() = default;
  PreadBlockSource(int fd, uint64_t capacity, uint64_t max_read)
      : fd_(fd), capacity_(capacity), max_read_(max_read) {}

  uint64_t size() const override { return capacity_; }
  // ERROR_IO (offset, length) when the range leaves the device, the read fails, or the file
  // ends early (it shrank after the host measured it). EINTR is retried.
  Status read_at(uint64_t offset, MutableBytes out) override;
  // read_batch: the base class's one read_at per extent is exactly pread per extent.

 private:
  int fd_ = -1;
  uint64_t capacity_ = 0;
  uint64_t max_read_ = 1;
};

// Writes output images with pwrite64 on `fd` (writable devices only).
class PwriteBlockSink final : public BlockSink {
 public:
  PwriteBlockSink() = default;
  PwriteBlockSink(int fd, uint64_t capacity, uint64_t max_write)
      : fd_(fd), capacity_(capacity), max_write_(max_write) {}

  uint64_t size() const override { return capacity_; }
  Status write_at(uint64_t offset, Bytes data) override;
  Status flush() override;

 private:
  int fd_ = -1;
  uint64_t capacity_ = 0;
  uint64_t max_write_ = 1;
};

}  // namespace instar::process
