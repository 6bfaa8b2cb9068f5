// boot_setup.cc: guest memory layout and the host-written boot structures.
#include "engine/vmm/boot_setup.h"

#include <cstring>
#include <string>

#include "engine/vmm/page_tables.h"
#include "engine/vmm/segments.h"
#include "guest/lib/checked.h"

namespace instar::vmm {

Result<GuestLayout> plan_layout(uint64_t memory_size, uint64_t image_end, uint64_t arena_bytes) {
  if (Status s = check_guest_memory_size(memory_size); !s.ok()) return Error{s.message()};
  GuestLayout layout;
  layout.memory_size = memory_size;
  layout.stack_top = memory_size;
  layout.stack_base = memory_size - abi::kGuestStackSize;
  uint64_t arena_end = 0;
  if (arena_bytes == 0 || !checked_align_up(image_end, abi::kPageSize, &layout.arena_gpa) ||
      layout.arena_gpa < abi::kGuestLoadBase ||
      !checked_add(layout.arena_gpa, arena_bytes, &arena_end) || arena_end > layout.stack_base) {
    return Error{"guest memory of " + std::to_string(memory_size >> 20) +
                 " MiB cannot hold the guest image, a " + std::to_string(arena_bytes >> 20) +
                 " MiB arena and the stack"};
  }
  layout.arena_size = arena_bytes;
  return layout;
}

Status write_boot_state(GuestMemory& memory, const GuestLayout& layout,
                        const sandbox::Request& request) {
  if (request.devices.size() > abi::kMaxDevices) {
    return Error{"too many devices (" + std::to_string(request.devices.size()) + ", at most " +
                 std::to_string(abi::kMaxDevices) + ")"};
  }
  auto low = memory.span(0, abi::kHostOnlyEnd, Access::kMonitor);
  if (!low) return Error{"guest memory too small for the page tables"};
  if (Status s = build_page_tables(*low, layout.memory_size); !s.ok()) return s;
  if (Status s = write_gdt(*low); !s.ok()) return s;

  abi::BootInfo boot{};
  boot.magic = abi::kBootInfoMagic;
  boot.abi_version = abi::kAbiVersion;
  boot.size = sizeof(abi::BootInfo);
  boot.device_count = static_cast<uint32_t>(request.devices.size());
  boot.host_features = kMonitorHostFeatures;
  boot.memory_size = layout.memory_size;
  boot.arena_gpa = layout.arena_gpa;
  boot.arena_size = layout.arena_size;
  boot.op_config_gpa = abi::kOpConfigGpa;
  boot.op_config_size = sizeof(abi::OpConfig);
  boot.max_message_size = request.limits.max_message_bytes;
  boot.max_read_size = request.limits.max_read_bytes;
  for (size_t i = 0; i < request.devices.size(); ++i) {
    const sandbox::Device& d = request.devices[i];
    boot.devices[i] = {.capacity = d.capacity,
                       .flags = abi::kDeviceReadable | (d.writable ? abi::kDeviceWritable : 0u),
                       .reserved = 0};
  }
  auto* boot_page = memory.view<abi::BootInfo>(abi::kBootInfoGpa, Access::kMonitor);
  auto* op_page = memory.view<abi::OpConfig>(abi::kOpConfigGpa, Access::kMonitor);
  if (boot_page == nullptr || op_page == nullptr) return Error{"guest memory too small"};
  *boot_page = boot;
  *op_page = request.op;
  return Status::Ok();
}

}  // namespace instar::vmm
