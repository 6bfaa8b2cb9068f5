// hypercall_block_sink.cc: block writes to the host's output device through kBlockWrite /
// kBlockFlush.
#include "guest/platform/kvm/hypercall_block_sink.h"

#include "guest/platform/kvm/hypercall.h"

namespace instar::kvm {

HypercallBlockSink::HypercallBlockSink(uint32_t device, const abi::BootInfo& boot)
    : device_(device),
      capacity_(boot.devices[device].capacity),
      max_write_size_(boot.max_read_size) {}

Status HypercallBlockSink::write_at(uint64_t offset, Bytes data) {
  // The host refuses a write past capacity with kHcRange; checking first keeps the error the
  // guest's own and the exit count down.
  if (offset > capacity_ || data.size > capacity_ - offset) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, data.size);
  }
  uint64_t done = 0;
  while (done < data.size) {
    uint64_t chunk = data.size - done;
    if (chunk > max_write_size_) chunk = max_write_size_;
    abi::HcBlockWrite arg{device_, abi::kHcOk, offset + done, to_gpa(data.data + done), chunk};
    hypercall(abi::Hypercall::kBlockWrite, &arg);
    if (arg.status != abi::kHcOk) return Status(instar_guest_ErrorCode_ERROR_IO, offset, data.size);
    done += chunk;
  }
  return Status::Ok();
}

Status HypercallBlockSink::flush() {
  abi::HcBlockFlush arg{device_, abi::kHcOk};
  hypercall(abi::Hypercall::kBlockFlush, &arg);
  if (arg.status != abi::kHcOk) return Status(instar_guest_ErrorCode_ERROR_IO, 0, 0);
  return Status::Ok();
}

}  // namespace instar::kvm
