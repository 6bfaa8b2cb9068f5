// chain_backing.cc: reads and zero tests of a qcow2 target's backing chain.
#include "guest/ops/chain_backing.h"

#include "guest/lib/mem.h"

namespace instar {

Status ChainBacking::read(uint64_t offset, MutableBytes out) {
  if (top_ == nullptr) {
    fill_bytes(out.data, 0, out.size);
    return Status::Ok();
  }
  return top_->read_backing(offset, out);
}

Result<bool> ChainBacking::reads_as_zero(uint64_t offset, uint64_t bytes) {
  if (top_ == nullptr) return true;
  for (CompareImage* image = top_; image != nullptr; image = image->backing()) {
    if (offset >= image->length()) return true;
    // Without want_zero only qcow2's own zero flags say zero; raw reports data throughout.
    if (bytes > image->length() - offset || image->format() != abi::ImageFormat::kQcow2) {
      return false;
    }
    BlockStatus bs;
    INSTAR_TRY(image->layer_status(offset, bytes, &bs));
    if (bs.bytes < bytes || (bs.flags & kBlockData) != 0) return false;
    if ((bs.flags & kBlockZero) != 0) return true;
  }
  return true;
}

}  // namespace instar
