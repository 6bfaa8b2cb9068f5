// cpu_state.h: the vCPU's initial long-mode registers (control registers, segments, GPRs, FPU).
#pragma once

#include <linux/kvm.h>

#include <cstdint>

namespace instar::vmm {

// Control-register and EFER bits (Intel SDM vol. 3, 2.5 and 2.2.1).
inline constexpr uint64_t kCr0ProtectionEnable = 1ull << 0;    // PE
inline constexpr uint64_t kCr0MonitorCoprocessor = 1ull << 1;  // MP: SSE/x87 with TS semantics
inline constexpr uint64_t kCr0ExtensionType = 1ull << 4;       // ET
inline constexpr uint64_t kCr0NumericError = 1ull << 5;        // NE: native x87 error reporting
inline constexpr uint64_t kCr0WriteProtect = 1ull << 16;       // WP: ring 0 honours read-only pages
inline constexpr uint64_t kCr0Paging = 1ull << 31;             // PG
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kCr4OsFxsr = 1ull << 9;             // SSE instructions enabled
inline constexpr uint64_t kCr4OsXmmExcept = 1ull << 10;       // SIMD FP exceptions as #XM
inline constexpr uint64_t kEferLongModeEnable = 1ull << 8;    // LME
inline constexpr uint64_t kEferLongModeActive = 1ull << 10;   // LMA
inline constexpr uint64_t kEferNoExecuteEnable = 1ull << 11;  // NXE: page-table NX bits count

inline constexpr uint64_t kInitialCr0 = kCr0ProtectionEnable | kCr0MonitorCoprocessor |
                                        kCr0ExtensionType | kCr0NumericError | kCr0WriteProtect |
                                        kCr0Paging;
inline constexpr uint64_t kInitialCr4 = kCr4Pae | kCr4OsFxsr | kCr4OsXmmExcept;
inline constexpr uint64_t kInitialEfer =
    kEferLongModeEnable | kEferLongModeActive | kEferNoExecuteEnable;
inline constexpr uint64_t kInitialRflags = 0x2;  // bit 1 is reserved-one; interrupts disabled

// Overwrites the mode-defining fields of `sregs` (as read back with KVM_GET_SREGS, so fields such
// as apic_base keep KVM's values): CR0/CR3/CR4/EFER, the segments from segments.h, the GDT at
// abi::kGdtGpa and an empty IDT, so that any exception in the guest escalates to a triple fault
// (KVM_EXIT_SHUTDOWN) instead of running guest-chosen handlers. `fs_base` is the FS base the
// guest's stack protector reads its canary through.
void set_long_mode_sregs(kvm_sregs& sregs, uint64_t fs_base);

// General registers at entry: rip = entry, rsp = stack_top - 8 (stack_top rounded down to 16, as
// right after a call), rdi = abi::kBootInfoGpa (the System V first argument), rflags = 0x2.
kvm_regs initial_regs(uint64_t entry, uint64_t stack_top);

// x87/SSE state at reset: FCW 0x37f (all exceptions masked), MXCSR 0x1f80.
kvm_fpu initial_fpu();

}  // namespace instar::vmm
