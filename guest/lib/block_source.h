// block_source.h: the guest's one seam for reading image bytes (memory, hypercall or pread).
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar {

// One piece of a batched read: `out.size` bytes from `offset`.
struct ReadRequest {
  uint64_t offset;
  MutableBytes out;
};

class BlockSource {
 public:
  // Size of the device in bytes.
  virtual uint64_t size() const = 0;

  // Fills `out` with the bytes at [offset, offset+out.size). Fails with ERROR_IO (args: offset,
  // length) when the range is not entirely inside the device or the read fails.
  virtual Status read_at(uint64_t offset, MutableBytes out) = 0;

  // Reads several ranges at once (one exit on KVM). All succeed or the call fails. The default
  // issues one read_at per request.
  virtual Status read_batch(const ReadRequest* requests, uint32_t count);

 protected:
  ~BlockSource() = default;
};

// Writes results of operations that produce images (convert and in-place ops, later issues).
class BlockSink {
 public:
  virtual uint64_t size() const = 0;
  virtual Status write_at(uint64_t offset, Bytes data) = 0;
  virtual Status flush() = 0;

 protected:
  ~BlockSink() = default;
};

// A BlockSource over bytes in memory: unit tests, property tests, fuzzers.
class MemoryBlockSource final : public BlockSource {
 public:
  explicit MemoryBlockSource(Bytes bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size; }
  Status read_at(uint64_t offset, MutableBytes out) override;

 private:
  Bytes bytes_;
};

}  // namespace instar
