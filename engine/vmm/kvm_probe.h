// kvm_probe.h: can this host's /dev/kvm run an instar guest? (what --sandbox=auto asks)
#pragma once

#include <string>

namespace instar::vmm {

// Runs a few instructions in a throwaway VM through the real monitor path (page tables, long
// mode, hypercall): SSE arithmetic, as compiled guest code and zlib/zstd use it, then the exit
// hypercall. Some /dev/kvm implementations open fine and report API 12 yet cannot run such a
// guest: kvm-pvm (pagetable-based VMs, no hardware virtualization) emulates a guest that is not
// PVM-aware instruction by instruction and its emulator stops at the first SSE ALU instruction
// with KVM_EXIT_INTERNAL_ERROR. Returns an empty string when the probe guest exited normally,
// else why /dev/kvm is not usable.
[[nodiscard]] std::string probe_kvm();

}  // namespace instar::vmm
