// vmdk_driver.h: the vmdk format behind the driver interface (qemu's block/vmdk.c, read-only):
// hosted sparse images, monolithicSparse and streamOptimized.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/vmdk/sparse_extent.h"

namespace instar::vmdk {

// One vmdk image whose file is its only extent.
class VmdkDriver final : public ImageDriver {
 public:
  Status open(BlockSource& source, const OpenContext& context, Arena& arena) override;
  uint64_t length() const override { return extent_.sectors() * kSectorSize; }
  uint64_t cluster_size() const override { return extent_.cluster_bytes(); }
  Status block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) override;
  Status read(uint64_t offset, MutableBytes out) override;

 private:
  SparseExtent extent_;
};

// vmdk_open() as far as instar follows it: the sparse extent and the descriptor facts, or
// qemu's error. Shared by the driver, info and check.
Status open_vmdk(BlockSource& source, Arena& arena, ErrorNames* detail, SparseExtent* extent,
                 DescriptorFacts* facts);

// vmdk_co_check(), emitting its lines, the CheckResult and nothing else.
Status check(BlockSource& source, MessageSink& sink, Arena& arena);

extern const FormatDriver kVmdkDriver;

}  // namespace instar::vmdk
