// kvm_probe.cc: a ten-byte guest that proves /dev/kvm runs long-mode SSE code and hypercalls.
#include "engine/vmm/kvm_probe.h"

#include <chrono>
#include <cstring>

#include "engine/vmm/boot_setup.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/hypercalls.h"
#include "engine/vmm/kvm_vm.h"
#include "engine/vmm/vcpu_loop.h"

namespace instar::vmm {
namespace {

constexpr uint64_t kProbeExitArg = abi::kGuestLoadBase + 0x800;
constexpr int32_t kProbeStatus = 0x5a;

// pxor xmm0, xmm0; addps xmm1, xmm0; mov edx, port(kExit); mov eax, kProbeExitArg; out dx, eax;
// hlt.
constexpr uint8_t kProbeCode[] = {0x66,
                                  0x0f,
                                  0xef,
                                  0xc0,  //
                                  0x0f,
                                  0x58,
                                  0xc8,  //
                                  0xba,
                                  static_cast<uint8_t>(abi::kHypercallPortBase + 6),
                                  abi::kHypercallPortBase >> 8,
                                  0,
                                  0,
                                  0xb8,
                                  static_cast<uint8_t>(kProbeExitArg),
                                  static_cast<uint8_t>(kProbeExitArg >> 8),
                                  static_cast<uint8_t>(kProbeExitArg >> 16),
                                  0,  //
                                  0xef,
                                  0xf4};
static_assert(static_cast<uint32_t>(abi::Hypercall::kExit) == 6);

}  // namespace

std::string probe_kvm() {
  auto memory = GuestMemory::create(abi::kMinGuestMemory);
  if (!memory.ok()) return memory.message();
  auto layout =
      plan_layout(abi::kMinGuestMemory, abi::kGuestLoadBase + abi::kPageSize, abi::kPageSize);
  if (!layout.ok()) return layout.message();
  sandbox::Request request;
  if (Status s = write_boot_state(memory.value(), layout.value(), request); !s.ok()) {
    return s.message();
  }
  auto code = memory.value().span(abi::kGuestLoadBase, sizeof(kProbeCode), Access::kMonitor);
  auto* exit_arg = memory.value().view<abi::HcExit>(kProbeExitArg, Access::kMonitor);
  if (!code || exit_arg == nullptr) return "probe memory layout broken";
  std::memcpy(code->data(), kProbeCode, sizeof(kProbeCode));
  *exit_arg = {.status = kProbeStatus, .reserved = 0};

  auto vm = KvmVm::create(memory.value());
  if (!vm.ok()) return vm.message();
  if (Status s = vm.value()->set_initial_state(abi::kGuestLoadBase, layout.value().stack_top);
      !s.ok()) {
    return s.message();
  }
  HypercallHandler handler(
      memory.value(), {},
      {.max_read_bytes = 0, .max_message_bytes = 0, .max_total_message_bytes = 0});
  const auto wall = std::chrono::milliseconds(1000);
  const sandbox::Outcome out = run_vcpu_loop(
      *vm.value(), handler,
      {.deadline = std::chrono::steady_clock::now() + wall, .wall_time = wall, .max_exits = 16});
  if (out.kind == sandbox::OutcomeKind::kCompleted && out.guest_status == kProbeStatus) return {};
  return "a long-mode probe guest did not run to its exit hypercall: " + out.diagnostic +
         " (a /dev/kvm without hardware virtualization, such as kvm-pvm, cannot run instar's "
         "guest)";
}

}  // namespace instar::vmm
