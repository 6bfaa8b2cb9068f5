// hypercall_block_sink.h: a BlockSink over one writable host device, written with kBlockWrite.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/block_source.h"

namespace instar::kvm {

class HypercallBlockSink final : public BlockSink {
 public:
  HypercallBlockSink() = default;
  // Device `device` of a validated `boot` (it must carry kDeviceWritable): its capacity and the
  // host's per-call cap, which bounds writes as it bounds reads.
  HypercallBlockSink(uint32_t device, const abi::BootInfo& boot);

  uint64_t size() const override { return capacity_; }
  // One kBlockWrite per max_read_size bytes, straight from `data` (the host pwrites it).
  Status write_at(uint64_t offset, Bytes data) override;
  // kBlockFlush: the host's fdatasync of the device.
  Status flush() override;

 private:
  uint32_t device_ = 0;
  uint64_t capacity_ = 0;
  uint64_t max_write_size_ = 0;
};

}  // namespace instar::kvm
