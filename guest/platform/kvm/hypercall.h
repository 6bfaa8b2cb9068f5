// hypercall.h: the guest side of the hypercall ABI: a 4-byte OUT of an argument struct's GPA.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::kvm {

// Argument GPAs travel in the 32 bits of an OUT; all of guest memory must be addressable so.
static_assert(abi::kMaxGuestMemory <= (1ull << 32), "hypercall GPAs are 32-bit");

// The monitor identity-maps guest memory, so a pointer's value is its guest-physical address.
inline uint64_t to_gpa(const void* p) {
  return reinterpret_cast<uintptr_t>(p);
}

// Raw port write. The "memory" clobber is the only barrier x86 needs: every store to the argument
// struct (and to buffers it names) happens before the exit, every load of OUT fields after it.
inline void outl(uint16_t port, uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

inline uint16_t hypercall_port(abi::Hypercall call) {
  return static_cast<uint16_t>(abi::kHypercallPortBase + static_cast<uint16_t>(call));
}

// Issues `call` with `arg` (an abi::Hc* struct in guest memory). The vCPU is stopped while the
// host handles it, so OUT fields are valid when this returns.
template <typename Arg>
inline void hypercall(abi::Hypercall call, Arg* arg) {
  outl(hypercall_port(call), static_cast<uint32_t>(to_gpa(arg)));
}

// Ends the VM with `status`. Halts forever should the monitor ever resume the vCPU.
[[noreturn]] inline void exit_guest(int32_t status) {
  abi::HcExit arg{status, 0};
  hypercall(abi::Hypercall::kExit, &arg);
  for (;;) asm volatile("hlt");
}

}  // namespace instar::kvm
