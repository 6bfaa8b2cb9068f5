// hypercall_block_source.h: a BlockSource over one host device, read with block hypercalls.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/block_source.h"

namespace instar::kvm {

class HypercallBlockSource final : public BlockSource {
 public:
  HypercallBlockSource() = default;
  // Device `device` of a validated `boot`: its capacity, the host's read cap and features.
  HypercallBlockSource(uint32_t device, const abi::BootInfo& boot);

  uint64_t size() const override { return capacity_; }

  // One kBlockRead per max_read_size bytes, straight into `out` (the host preads into it).
  Status read_at(uint64_t offset, MutableBytes out) override;

  // kBlockReadv batches of at most kMaxReadvExtents extents and max_read_size bytes, or one
  // read_at per request when the host lacks kHostFeatureBatchedRead.
  Status read_batch(const ReadRequest* requests, uint32_t count) override;

 private:
  uint32_t device_ = 0;
  uint64_t capacity_ = 0;
  uint64_t max_read_size_ = 0;
  bool batched_ = false;
};

}  // namespace instar::kvm
