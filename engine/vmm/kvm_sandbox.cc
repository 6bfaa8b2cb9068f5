// kvm_sandbox.cc: Request -> guest memory -> ELF -> boot state -> vCPU -> exit loop -> Outcome.
#include "engine/vmm/kvm_sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/sandbox/unique_fd.h"
#include "engine/vmm/block_io.h"
#include "engine/vmm/boot_setup.h"
#include "engine/vmm/cpu_budget.h"
#include "engine/vmm/elf_loader.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/hypercalls.h"
#include "engine/vmm/vcpu_loop.h"

namespace instar::vmm {
namespace {

// The guest ELF is small (INSTAR_GUEST_MEMORY_BUDGET is 16 MiB including .bss); refuse anything
// absurd before reading it into memory.
constexpr uint64_t kMaxGuestElfBytes = 64ull << 20;

sandbox::Outcome host_error(std::string diagnostic) {
  sandbox::Outcome outcome;
  outcome.kind = sandbox::OutcomeKind::kHostError;
  outcome.diagnostic = std::move(diagnostic);
  return outcome;
}

}  // namespace

KvmSandbox::KvmSandbox(std::string guest_elf_path) : guest_elf_path_(std::move(guest_elf_path)) {}

Status KvmSandbox::read_guest_elf() {
  if (guest_elf_read_) return Status::Ok();
  const UniqueFd fd(open(guest_elf_path_.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || fstat(fd.get(), &st) != 0) {
    return Error{"cannot open guest " + guest_elf_path_ + ": " + strerror(errno)};
  }
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kMaxGuestElfBytes) {
    return Error{"guest " + guest_elf_path_ + " is not a regular file of sane size"};
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  if (!pread_full(fd.get(), bytes, 0)) {
    return Error{"cannot read guest " + guest_elf_path_ + ": " + strerror(errno)};
  }
  guest_elf_ = std::move(bytes);
  guest_elf_read_ = true;
  return Status::Ok();
}

sandbox::Outcome KvmSandbox::run(const sandbox::Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const sandbox::Limits& limits = request.limits;

  if (Status s = read_guest_elf(); !s.ok()) return host_error(s.message());
  auto image = parse_guest_elf(guest_elf_, kMonitorHostFeatures);
  if (!image.ok()) return host_error(guest_elf_path_ + ": " + image.message());
  auto layout = plan_layout(limits.memory_bytes, image.value().image_end, limits.arena_bytes);
  if (!layout.ok()) return host_error(layout.message());

  auto memory = GuestMemory::create(layout.value().memory_size);
  if (!memory.ok()) return host_error(memory.message());
  if (Status s =
          load_guest_elf(image.value(), guest_elf_, memory.value(), layout.value().stack_base);
      !s.ok()) {
    return host_error(s.message());
  }
  if (Status s = write_boot_state(memory.value(), layout.value(), request); !s.ok()) {
    return host_error(s.message());
  }

  auto vm = KvmVm::create(memory.value());
  if (!vm.ok()) return host_error("KVM: " + vm.message());
  if (Status s = vm.value()->set_initial_state(image.value().entry, layout.value().stack_top);
      !s.ok()) {
    return host_error("KVM: " + s.message());
  }

  HypercallHandler handler(memory.value(), request.devices,
                           {.max_read_bytes = limits.max_read_bytes,
                            .max_message_bytes = limits.max_message_bytes,
                            .max_total_message_bytes = limits.max_total_message_bytes,
                            .consumer = request.consumer});
  LoopLimits loop{.deadline = started + limits.wall_time,
                  .wall_time = limits.wall_time,
                  .max_exits = limits.max_exits};
  // Guest time is this thread's CPU time: under a caller's RLIMIT_CPU, stop the guest while
  // instar can still say why (CPU time never runs ahead of the wall clock on one thread).
  if (const CpuBudget cpu = process_cpu_budget();
      cpu.limited && std::chrono::steady_clock::now() + cpu.remaining < loop.deadline) {
    loop.deadline = std::chrono::steady_clock::now() + cpu.remaining;
    loop.cpu_limit_seconds = cpu.limit_seconds;
  }
  return run_vcpu_loop(*vm.value(), handler, loop);
}

}  // namespace instar::vmm
