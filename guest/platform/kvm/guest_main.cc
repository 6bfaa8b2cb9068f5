// guest_main.cc: the KVM guest's C++ entry: check BootInfo, build the bindings, run the op.
#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/mem.h"
#include "guest/ops/run_op.h"
#include "guest/platform/kvm/boot_check.h"
#include "guest/platform/kvm/c_heap.h"
#include "guest/platform/kvm/exit_status.h"
#include "guest/platform/kvm/hypercall.h"
#include "guest/platform/kvm/hypercall_block_sink.h"
#include "guest/platform/kvm/hypercall_block_source.h"
#include "guest/platform/kvm/hypercall_message_sink.h"
#if defined(INSTAR_HOSTILE_OPS)
#include "guest/platform/kvm/hostile_ops.h"
#endif

// guest.ld: first byte after the image, .bss included, page-aligned.
extern "C" char __instar_image_end[];

namespace instar::kvm {
namespace {

// Share of the arena given to malloc (zlib/zstd contexts and windows); the rest is the op's.
constexpr uint64_t kCHeapDivisor = 4;

int run(const abi::BootInfo* boot_page) {
  // Nothing at %rdi is read before its address is known to be the BootInfo page.
  if (to_gpa(boot_page) != abi::kBootInfoGpa) {
    return kExitBadBootInfo + static_cast<int32_t>(BootCheck::kBadGpa);
  }
  // Copy, then validate: the checks then hold for the values actually used.
  abi::BootInfo boot;
  copy_bytes(&boot, boot_page, sizeof(boot));
  const GuestLayout layout{to_gpa(__instar_image_end), to_gpa(__builtin_frame_address(0))};
  const BootCheck check = check_boot_info(boot, abi::kBootInfoGpa, layout);
  if (check != BootCheck::kOk) return kExitBadBootInfo + static_cast<int32_t>(check);

  abi::OpConfig op;
  copy_bytes(&op, reinterpret_cast<const void*>(static_cast<uintptr_t>(boot.op_config_gpa)),
             sizeof(op));

  // The C heap takes the arena's top slice (page-aligned); the op's Arena the rest.
  const uint64_t heap_size = (boot.arena_size / kCHeapDivisor) & ~(abi::kPageSize - 1);
  const uint64_t op_arena_size = boot.arena_size - heap_size;
  install_c_heap(reinterpret_cast<void*>(static_cast<uintptr_t>(boot.arena_gpa + op_arena_size)),
                 heap_size);
  Arena arena(reinterpret_cast<void*>(static_cast<uintptr_t>(boot.arena_gpa)), op_arena_size);

  HypercallBlockSource sources[abi::kMaxDevices];
  BlockSource* devices[abi::kMaxDevices] = {};
  // Writable devices (outputs) also get a sink; inputs get none, so no op can write them.
  HypercallBlockSink writers[abi::kMaxDevices];
  BlockSink* sinks[abi::kMaxDevices] = {};
  for (uint32_t i = 0; i < boot.device_count; ++i) {
    sources[i] = HypercallBlockSource(i, boot);
    devices[i] = &sources[i];
    if ((boot.devices[i].flags & abi::kDeviceWritable) != 0) {
      writers[i] = HypercallBlockSink(i, boot);
      sinks[i] = &writers[i];
    }
  }
  HypercallMessageSink sink(boot.max_message_size);

#if defined(INSTAR_HOSTILE_OPS)
  if (op.op >= static_cast<uint32_t>(abi::Op::kTestFirst)) {
    return run_hostile_op(boot, op, sink, arena);
  }
#endif
  // The production guest has no test ops: run_op refuses them with ERROR_UNSUPPORTED_OP.
  return run_op(boot, op, devices, sinks, boot.device_count, sink, arena);
}

}  // namespace
}  // namespace instar::kvm

// Called by _start (entry.S) with the BootInfo GPA from %rdi; returns the exit status.
extern "C" int guest_main(const instar::abi::BootInfo* boot_page) {
  return instar::kvm::run(boot_page);
}

// Called by _start with guest_main's result: the exit hypercall.
extern "C" [[noreturn]] void instar_guest_exit(int32_t status) {
  instar::kvm::exit_guest(status);
}
