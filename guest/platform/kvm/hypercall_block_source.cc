// hypercall_block_source.cc: block reads of host devices through kBlockRead / kBlockReadv.
#include "guest/platform/kvm/hypercall_block_source.h"

#include "guest/platform/kvm/hypercall.h"
#include "guest/platform/kvm/readv_batches.h"

namespace instar::kvm {

HypercallBlockSource::HypercallBlockSource(uint32_t device, const abi::BootInfo& boot)
    : device_(device),
      capacity_(boot.devices[device].capacity),
      max_read_size_(boot.max_read_size),
      batched_((boot.host_features & abi::kHostFeatureBatchedRead) != 0) {}

Status HypercallBlockSource::read_at(uint64_t offset, MutableBytes out) {
  INSTAR_TRY(check_read_range(capacity_, offset, out.size));
  uint64_t done = 0;
  while (done < out.size) {
    uint64_t chunk = out.size - done;
    if (chunk > max_read_size_) chunk = max_read_size_;
    abi::HcBlockRead arg{device_, abi::kHcOk, offset + done, to_gpa(out.data + done), chunk};
    hypercall(abi::Hypercall::kBlockRead, &arg);
    if (arg.status != abi::kHcOk) return Status(instar_guest_ErrorCode_ERROR_IO, offset, out.size);
    done += chunk;
  }
  return Status::Ok();
}

Status HypercallBlockSource::read_batch(const ReadRequest* requests, uint32_t count) {
  if (!batched_) return BlockSource::read_batch(requests, count);
  for (uint32_t i = 0; i < count; ++i) {
    INSTAR_TRY(check_read_range(capacity_, requests[i].offset, requests[i].out.size));
  }
  // 6 KiB on the 256 KiB guest stack; a member would cost that per device even when unused.
  abi::ReadExtent extents[abi::kMaxReadvExtents];
  return for_each_readv_batch(requests, count, max_read_size_, extents, abi::kMaxReadvExtents,
                              [this](const abi::ReadExtent* batch, uint32_t n) {
                                abi::HcBlockReadv arg{device_, n, to_gpa(batch), abi::kHcOk, 0};
                                hypercall(abi::Hypercall::kBlockReadv, &arg);
                                if (arg.status != abi::kHcOk) {
                                  return Status(instar_guest_ErrorCode_ERROR_IO, batch[0].offset,
                                                batch[0].length);
                                }
                                return Status::Ok();
                              });
}

}  // namespace instar::kvm
