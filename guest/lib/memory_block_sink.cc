// memory_block_sink.cc: the in-memory output device for tests and in-guest scratch images.
#include "guest/lib/memory_block_sink.h"

#include "guest/lib/mem.h"

namespace instar {

MemoryBlockSink::MemoryBlockSink(MutableBytes buffer) : buffer_(buffer) {
  fill_bytes(buffer_.data, 0, buffer_.size);
}

Status MemoryBlockSink::write_at(uint64_t offset, Bytes data) {
  if (!Bytes(buffer_.data, buffer_.size).contains(offset, data.size)) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, data.size);
  }
  copy_bytes(buffer_.data + offset, data.data, data.size);
  if (offset + data.size > size_) size_ = offset + data.size;
  return Status::Ok();
}

Status MemoryBlockSink::read_at(uint64_t offset, MutableBytes out) {
  if (!contents().contains(offset, out.size)) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, out.size);
  }
  copy_bytes(out.data, buffer_.data + offset, out.size);
  return Status::Ok();
}

}  // namespace instar
