// block_source.cc: default batched read and the in-memory source.
#include "guest/lib/block_source.h"

#include "guest/lib/mem.h"

namespace instar {

Status BlockSource::read_batch(const ReadRequest* requests, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) INSTAR_TRY(read_at(requests[i].offset, requests[i].out));
  return Status::Ok();
}

Status MemoryBlockSource::read_at(uint64_t offset, MutableBytes out) {
  if (!bytes_.contains(offset, out.size)) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, out.size);
  }
  copy_bytes(out.data, bytes_.data + offset, out.size);
  return Status::Ok();
}

}  // namespace instar
