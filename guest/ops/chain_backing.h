// chain_backing.h: an opened input chain as the backing file a qcow2 target reads through
// (block/qcow2.c's bs->backing): convert's target created with -B, the image rebase writes into.
#pragma once

#include "guest/lib/image_writer.h"
#include "guest/ops/compare_image.h"

namespace instar {

class ChainBacking final : public TargetBacking {
 public:
  void attach(CompareImage& top) { top_ = &top; }
  // Until attached (while create() preallocates), the image is open without its backing file,
  // as qcow2_co_create() opens it: it reads as zeros.
  Status read(uint64_t offset, MutableBytes out) override;
  // bdrv_co_is_zero_fast(): bdrv_block_status_above() without want_zero, so a raw layer is data
  // wherever it has bytes, a qcow2 layer is zero only where its L2 entries say so, and whatever
  // lies beyond a layer's end reads as zeros.
  Result<bool> reads_as_zero(uint64_t offset, uint64_t bytes) override;

 private:
  CompareImage* top_ = nullptr;
};

}  // namespace instar
