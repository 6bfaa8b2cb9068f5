// monitor_policy.cc: the monitor child's allow-list: vCPU, devices, result pipe, heap, timer.
#include "engine/vmm/monitor_policy.h"

#include <limits.h>
#include <linux/kvm.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

namespace instar::vmm {
namespace {

using process::SyscallRule;

uint64_t as_arg(int fd) {
  return static_cast<uint64_t>(fd);
}

// Everything the heap (glibc malloc, operator new) may ask for while messages are copied out of
// guest memory and the outcome is encoded. Mappings may never be executable.
void add_heap_rules(std::vector<SyscallRule>& rules) {
  const char* why_map =
      "heap growth for messages and diagnostics; PROT_EXEC is refused (arg2 & PROT_EXEC == 0)";
  rules.push_back({SCMP_SYS(brk), "brk", 0, {}, "heap growth (glibc malloc's main arena)"});
  rules.push_back(
      {SCMP_SYS(mmap), "mmap", 1, {{2, SCMP_CMP_MASKED_EQ, PROT_EXEC}, {}, {}}, why_map});
  rules.push_back(
      {SCMP_SYS(mprotect), "mprotect", 1, {{2, SCMP_CMP_MASKED_EQ, PROT_EXEC}, {}, {}}, why_map});
  rules.push_back({SCMP_SYS(munmap), "munmap", 0, {}, "heap shrink (large blocks)"});
  rules.push_back({SCMP_SYS(mremap), "mremap", 0, {}, "heap: realloc of large blocks"});
  rules.push_back({SCMP_SYS(madvise), "madvise", 0, {}, "heap: free() trimming"});
}

}  // namespace

std::vector<SyscallRule> make_monitor_policy(const MonitorPolicyInput& input) {
  std::vector<SyscallRule> rules;
  const uint64_t vcpu = as_arg(input.vcpu_fd);
  rules.push_back({SCMP_SYS(ioctl),
                   "ioctl",
                   2,
                   {{0, SCMP_CMP_EQ, vcpu}, {1, SCMP_CMP_EQ, KVM_RUN}, {}},
                   "run the guest: KVM_RUN on the vCPU fd only (not /dev/kvm, not the VM fd)"});
  rules.push_back({SCMP_SYS(ioctl),
                   "ioctl",
                   2,
                   {{0, SCMP_CMP_EQ, vcpu}, {1, SCMP_CMP_EQ, KVM_GET_REGS}, {}},
                   "read the guest's rip for a diagnostic"});
  for (const sandbox::Device& device : input.devices) {
    const uint64_t fd = as_arg(device.fd);
    rules.push_back({SCMP_SYS(pread64),
                     "pread64",
                     3,
                     {{0, SCMP_CMP_EQ, fd},
                      {2, SCMP_CMP_LE, input.max_read_bytes},
                      {3, SCMP_CMP_LE, device.capacity}},
                     "kBlockRead: this device's fd, at most max_read_bytes, within its capacity"});
    rules.push_back({SCMP_SYS(preadv),
                     "preadv",
                     3,
                     {{0, SCMP_CMP_EQ, fd},
                      {2, SCMP_CMP_LE, static_cast<uint64_t>(IOV_MAX)},
                      {3, SCMP_CMP_LE, device.capacity}},
                     "kBlockReadv: this device's fd, within its capacity"});
    if (!device.writable) continue;
    rules.push_back({SCMP_SYS(pwrite64),
                     "pwrite64",
                     3,
                     {{0, SCMP_CMP_EQ, fd},
                      {2, SCMP_CMP_LE, input.max_read_bytes},
                      {3, SCMP_CMP_LE, device.capacity}},
                     "kBlockWrite: writable devices only, bounded like reads"});
    rules.push_back({SCMP_SYS(fdatasync),
                     "fdatasync",
                     1,
                     {{0, SCMP_CMP_EQ, fd}, {}, {}},
                     "kBlockFlush: writable devices only"});
  }
  rules.push_back({SCMP_SYS(write),
                   "write",
                   1,
                   {{0, SCMP_CMP_EQ, as_arg(input.result_fd)}, {}, {}},
                   "send messages and the outcome to the parent: the result pipe only"});
  add_heap_rules(rules);
  // VcpuDeadline (vcpu_deadline.h): its timer is created and armed before the filter; from then
  // on its kick signal arrives, its handler returns, and at the end of the run it is deleted.
  rules.push_back({SCMP_SYS(rt_sigreturn), "rt_sigreturn", 0, {}, "return from the kick handler"});
  rules.push_back({SCMP_SYS(timer_delete), "timer_delete", 0, {}, "disarm the deadline timer"});
  rules.push_back({SCMP_SYS(rt_sigprocmask),
                   "rt_sigprocmask",
                   0,
                   {},
                   "restore the signal mask the deadline changed"});
  rules.push_back({SCMP_SYS(clock_gettime),
                   "clock_gettime",
                   1,
                   {{0, SCMP_CMP_EQ, CLOCK_MONOTONIC}, {}, {}},
                   "steady_clock where the vDSO falls back to the system call (nested VMs)"});
#if defined(__SANITIZE_ADDRESS__)
  rules.push_back({SCMP_SYS(sigaltstack),
                   "sigaltstack",
                   1,
                   {{0, SCMP_CMP_EQ, 0}, {}, {}},
                   "ASan builds only: __asan_handle_no_return queries the signal stack"});
#endif
  rules.push_back({SCMP_SYS(exit_group), "exit_group", 0, {}, "_exit() after the outcome"});
  rules.push_back({SCMP_SYS(exit), "exit", 0, {}, "glibc's _exit() fallback"});
  return rules;
}

bool compile_monitor_policy(const std::vector<SyscallRule>& rules, process::BpfProgram* out) {
  return process::compile_rules(rules.data(), static_cast<uint32_t>(rules.size()), out);
}

}  // namespace instar::vmm
