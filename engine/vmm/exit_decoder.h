// exit_decoder.h: turns one KVM exit into "hypercall N with argument GPA" or a reason to stop.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>

namespace instar::vmm {

struct DecodedExit {
  bool is_hypercall = false;
  uint32_t call = 0;       // port - abi::kHypercallPortBase, when is_hypercall
  uint64_t arg_gpa = 0;    // the 32-bit value the guest wrote, when is_hypercall
  std::string diagnostic;  // why the VM must end, otherwise
};

// Fail closed: only a single 4-byte OUT to a port in [kHypercallPortBase, kHypercallPortBase +
// Hypercall::kMax) is a hypercall. HLT, shutdown (triple fault), MMIO, any other port, width,
// direction or repeat count, failed entry, internal errors and unknown exit reasons are not, and
// come back with a diagnostic naming what the guest did. `run` is the vCPU's shared kvm_run and
// `run_size` the size of its mapping (the I/O data offset is checked against it).
DecodedExit decode_exit(const kvm_run& run, uint64_t run_size);

}  // namespace instar::vmm
