// hypercalls.h: validation and execution of the guest's hypercalls against guest memory and
// devices.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/sandbox/sandbox.h"
#include "engine/vmm/guest_memory.h"
#include "guest/abi/abi.h"

namespace instar::vmm {

// What the exit loop does after a hypercall.
enum class HypercallVerdict {
  kContinue,       // resume the guest; the call's outcome is in its `status` OUT field
  kExit,           // the guest called kExit; exit_status holds its status
  kGuestFault,     // end the VM: the guest broke the contract (diagnostic says how)
  kResourceLimit,  // end the VM: a message or the total of messages exceeded its cap
};

struct HypercallResult {
  HypercallVerdict verdict = HypercallVerdict::kContinue;
  int exit_status = 0;
  std::string diagnostic;
};

struct HypercallLimits {
  uint64_t max_read_bytes = 0;           // one kBlockRead / kBlockWrite, or one kBlockReadv total
  uint64_t max_message_bytes = 0;        // one kEmitMessage
  uint64_t max_total_message_bytes = 0;  // all messages of the run
  // Takes each message as it is emitted (not owned); null: messages() collects them.
  sandbox::MessageConsumer* consumer = nullptr;
};

// Handles the hypercalls of one run. Every guest-supplied value is copied out of guest memory
// before it is checked, and checked before any I/O.
//
// Violations a correct guest can never commit, whatever the image says, END THE VM (kGuestFault),
// so a hostile guest cannot probe the host by retrying:
//   - an unknown call number;
//   - an argument struct that is misaligned or not in guest-writable memory;
//   - a buffer or extent array outside the memory the guest can see (for host reads into guest
//     memory: outside guest-WRITABLE memory, so BootInfo/OpConfig can never be overwritten),
//     including ranges whose end overflows;
//   - a device index >= the device count;
//   - a write to a device that is not writable.
// A message above max_message_bytes, or messages beyond max_total_message_bytes, end the VM with
// kResourceLimit; a message the consumer refuses ends it with kGuestFault.
// Mistakes a correct guest can make from image data are reported in `status` and the guest
// continues: offset + length beyond capacity or overflowing (kHcRange), a length above
// max_read_bytes or a readv with more than abi::kMaxReadvExtents extents (kHcTooLarge), non-zero
// reserved fields (kHcInvalid), a flush of a read-only device (kHcReadOnly), and a failed or short
// host read/write (kHcIo). kBlockReadv is all or nothing: every extent is validated first.
class HypercallHandler {
 public:
  // `memory` and `devices` must outlive the handler; devices.size() <= abi::kMaxDevices.
  HypercallHandler(const GuestMemory& memory, std::span<const sandbox::Device> devices,
                   HypercallLimits limits);

  // `call` is the port offset from abi::kHypercallPortBase; `arg_gpa` the 32-bit value written.
  [[nodiscard]] HypercallResult handle(uint32_t call, uint64_t arg_gpa);

  // Encoded GuestMessages in emission order; moved out by the caller at the end of the run.
  std::vector<std::string>& messages() { return messages_; }

  // Device reads served so far (one per extent) and their bytes, for the run's counters.
  uint64_t reads() const { return reads_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  HypercallResult block_io(uint64_t arg_gpa, bool write);  // kBlockRead / kBlockWrite
  HypercallResult block_readv(uint64_t arg_gpa);
  HypercallResult block_flush(uint64_t arg_gpa);
  HypercallResult emit_message(uint64_t arg_gpa);
  HypercallResult exit(uint64_t arg_gpa);

  const GuestMemory& memory_;
  std::span<const sandbox::Device> devices_;
  HypercallLimits limits_;
  std::vector<std::string> messages_;
  uint64_t total_message_bytes_ = 0;
  uint64_t reads_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace instar::vmm
