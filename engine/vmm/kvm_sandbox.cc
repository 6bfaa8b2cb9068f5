// kvm_sandbox.cc: Request -> guest ELF and layout checked here -> one confined monitor child.
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
#include "engine/vmm/monitor_process.h"

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

KvmSandbox::KvmSandbox(std::string guest_elf_path, MonitorTestHooks hooks)
    : guest_elf_path_(std::move(guest_elf_path)), hooks_(std::move(hooks)) {}

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
  // Callers size memory from the arena they need; the identity map is made of 2 MiB pages, so the
  // VM gets that budget rounded up to whole pages (plan_layout still enforces the bounds).
  constexpr uint64_t kLargePage = 2ull << 20;
  const uint64_t memory_bytes =
      limits.memory_bytes > abi::kMaxGuestMemory
          ? limits.memory_bytes
          : (limits.memory_bytes + kLargePage - 1) / kLargePage * kLargePage;
  auto layout = plan_layout(memory_bytes, image.value().image_end, limits.arena_bytes);
  if (!layout.ok()) return host_error(layout.message());

  return run_in_monitor_child({.image = image.value(),
                               .elf = guest_elf_,
                               .layout = layout.value(),
                               .request = request,
                               .started = started,
                               .cpu = process_cpu_budget(),
                               .hooks = hooks_});
}

}  // namespace instar::vmm
