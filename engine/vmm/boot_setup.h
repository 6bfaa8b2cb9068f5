// boot_setup.h: everything the guest finds in memory at entry: tables, GDT, BootInfo, OpConfig.
#pragma once

#include <cstdint>

#include "engine/sandbox/sandbox.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/result.h"

namespace instar::vmm {

// Where the arena and the stack go in a guest of `memory_size` bytes:
//   [kGuestLoadBase, image_end)  the ELF      [arena_gpa, +arena_size)  the arena
//   [stack_base, stack_top)      the stack (top abi::kGuestStackSize bytes of memory)
struct GuestLayout {
  uint64_t memory_size = 0;
  uint64_t arena_gpa = 0;
  uint64_t arena_size = 0;
  uint64_t stack_base = 0;
  uint64_t stack_top = 0;
};

// Places the arena right after the (page-aligned) image end; refuses an image or arena that would
// not fit below the stack, and memory sizes the page tables cannot describe.
[[nodiscard]] Result<GuestLayout> plan_layout(uint64_t memory_size, uint64_t image_end,
                                              uint64_t arena_bytes);

// The monitor's features advertised in BootInfo::host_features.
inline constexpr uint64_t kMonitorHostFeatures = abi::kHostFeatureBatchedRead;

// Writes the page tables, GDT/TSS, BootInfo (at abi::kBootInfoGpa) and OpConfig (at
// abi::kOpConfigGpa) for `request` into `memory`. Refuses more than abi::kMaxDevices devices.
[[nodiscard]] Status write_boot_state(GuestMemory& memory, const GuestLayout& layout,
                                      const sandbox::Request& request);

}  // namespace instar::vmm
