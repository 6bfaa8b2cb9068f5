// boot_check.h: validation of the host-written BootInfo before the guest trusts any of it.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::kvm {

// Where this guest image and its stack really are (linker symbols and the live stack pointer).
struct GuestLayout {
  uint64_t image_end;      // first byte after the ELF image, .bss included, page-aligned
  uint64_t stack_pointer;  // an address in the current stack frame
};

// Why a BootInfo was refused; the guest exits with kExitBadBootInfo + this value.
enum class BootCheck : int32_t {
  kOk = 0,
  kBadGpa = 1,  // %rdi was not abi::kBootInfoGpa
  kBadMagic = 2,
  kBadVersion = 3,      // abi_version differs from the guest's kAbiVersion
  kBadSize = 4,         // size smaller than the guest's BootInfo or beyond its page
  kBadDeviceCount = 5,  // more than kMaxDevices
  kBadDevice = 6,       // unknown flag bits or non-zero reserved word
  kBadMemorySize = 7,   // outside [kMinGuestMemory, kMaxGuestMemory] or not page-aligned
  kBadStack = 8,        // the stack is not in the top kGuestStackSize bytes of memory
  kBadArena = 9,        // empty, overlapping the image or the stack, or beyond memory
  kBadOpConfig = 10,    // not inside the read-only OpConfig window, too small or misaligned
  kBadLimits = 11,      // zero max_message_size or max_read_size
};

// Checks `boot` (a copy of what the host wrote at `boot_gpa`) against the ABI and against
// `layout`. Every range check is overflow-checked; anything unexpected fails closed.
BootCheck check_boot_info(const abi::BootInfo& boot, uint64_t boot_gpa, const GuestLayout& layout);

}  // namespace instar::kvm
