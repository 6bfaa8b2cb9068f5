// memory_block_sink.h: a BlockSink over caller-owned memory that reads back what was written.
#pragma once

#include <stdint.h>

#include "guest/lib/block_source.h"

namespace instar {

// The sink's size is the end of the furthest write, as a file's length is; bytes never written
// below it read as zeros (the buffer is zeroed up front). Writes past the buffer fail with ERROR_IO
// (args: offset, length). It is also a BlockSource so that a writer can re-read what it wrote.
class MemoryBlockSink final : public BlockSink, public BlockSource {
 public:
  explicit MemoryBlockSink(MutableBytes buffer);

  uint64_t size() const override { return size_; }
  Status write_at(uint64_t offset, Bytes data) override;
  Status flush() override { return Status::Ok(); }
  Status read_at(uint64_t offset, MutableBytes out) override;

  // The bytes written so far: [0, size()).
  Bytes contents() const { return {buffer_.data, size_}; }

 private:
  MutableBytes buffer_;
  uint64_t size_ = 0;
};

}  // namespace instar
