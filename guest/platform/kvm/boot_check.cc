// boot_check.cc: validation of the host-written BootInfo before the guest trusts any of it.
#include "guest/platform/kvm/boot_check.h"

#include "guest/lib/checked.h"

namespace instar::kvm {
namespace {

constexpr uint32_t kKnownDeviceFlags = abi::kDeviceReadable | abi::kDeviceWritable;

// True when [gpa, gpa+size) lies within [lo, hi), without overflow.
bool range_within(uint64_t gpa, uint64_t size, uint64_t lo, uint64_t hi) {
  uint64_t end = 0;
  return gpa >= lo && checked_add(gpa, size, &end) && end <= hi;
}

}  // namespace

BootCheck check_boot_info(const abi::BootInfo& boot, uint64_t boot_gpa, const GuestLayout& layout) {
  if (boot_gpa != abi::kBootInfoGpa) return BootCheck::kBadGpa;
  if (boot.magic != abi::kBootInfoMagic) return BootCheck::kBadMagic;
  if (boot.abi_version != abi::kAbiVersion) return BootCheck::kBadVersion;
  // A newer host may append fields (the guest ignores them); an older one lacks fields we read.
  if (boot.size < sizeof(abi::BootInfo) || boot.size > abi::kPageSize) return BootCheck::kBadSize;

  if (boot.device_count > abi::kMaxDevices) return BootCheck::kBadDeviceCount;
  for (uint32_t i = 0; i < boot.device_count; ++i) {
    const abi::DeviceInfo& device = boot.devices[i];
    if ((device.flags & ~kKnownDeviceFlags) != 0 || device.reserved != 0) {
      return BootCheck::kBadDevice;
    }
  }

  const uint64_t memory = boot.memory_size;
  if (memory < abi::kMinGuestMemory || memory > abi::kMaxGuestMemory ||
      !is_aligned(memory, abi::kPageSize)) {
    return BootCheck::kBadMemorySize;
  }

  // The stack owns the top kGuestStackSize bytes (abi.h memory map); the live frame must be there.
  const uint64_t stack_base = memory - abi::kGuestStackSize;
  if (layout.stack_pointer < stack_base || layout.stack_pointer >= memory) {
    return BootCheck::kBadStack;
  }

  // The arena lies between the image (its .bss included) and the stack.
  if (boot.arena_size == 0 || layout.image_end > stack_base ||
      !range_within(boot.arena_gpa, boot.arena_size, layout.image_end, stack_base)) {
    return BootCheck::kBadArena;
  }

  // OpConfig is host-written input: it must sit in the read-only window after the BootInfo page.
  if (boot.op_config_size < sizeof(abi::OpConfig) ||
      !is_aligned(boot.op_config_gpa, alignof(abi::OpConfig)) ||
      !range_within(boot.op_config_gpa, boot.op_config_size, abi::kOpConfigGpa,
                    abi::kReadOnlyEnd)) {
    return BootCheck::kBadOpConfig;
  }

  if (boot.max_message_size == 0 || boot.max_read_size == 0) return BootCheck::kBadLimits;
  return BootCheck::kOk;
}

}  // namespace instar::kvm
