// seccomp_policy.h: the process guest's syscall allow-list as data, its BPF, and arming it.
//
// The policy is a table of {syscall, argument pins, why} built from the BootInfo, so tests can
// inspect it and evaluate its compiled BPF offline (engine/sandbox/tests) without forking.
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::process {

// One comparison on a syscall argument, e.g. arg0 == 5 (libseccomp semantics, 64-bit values).
struct ArgPin {
  uint32_t arg;
  scmp_compare op;
  uint64_t value;
};

// An allowed syscall: allowed only when every pin holds; otherwise the default action applies.
struct SyscallRule {
  int nr;
  const char* name;
  uint32_t pin_count;
  ArgPin pins[3];
  const char* why;
};

#if defined(INSTAR_COVERAGE_BUILD)
// Coverage builds only (INSTAR_COVERAGE=ON): what libgcov's __gcov_dump() needs to merge the
// counters into the .gcda files before _exit (docs/sandbox-process.md, "Coverage builds").
inline constexpr uint32_t kCoverageRules = 8;
#else
inline constexpr uint32_t kCoverageRules = 0;
#endif

// pread64 + pwrite64 + fsync per device, write, exit_group, exit.
inline constexpr uint32_t kMaxRules =
    3 * abi::kMaxDevices + 4 + kCoverageRules;  // + ASan's sigaltstack query

struct Policy {
  SyscallRule rules[kMaxRules];
  uint32_t count = 0;
};

// Builds the allow-list for a validated BootInfo: every fd is pinned to the abi layout, read and
// write lengths to the boot limits, and file offsets to the device capacity.
Policy make_policy(const abi::BootInfo& boot);

// A compiled filter in storage that needs no allocation to install.
// The kernel's own cap (BPF_MAXINSNS): a pread rule per device for up to kMaxDevices devices.
inline constexpr uint32_t kMaxBpfInstructions = 4096;

struct BpfProgram {
  sock_filter insns[kMaxBpfInstructions];
  uint32_t count = 0;
};

// Compiles `policy` with libseccomp (default action: kill the process; foreign architectures and
// x32 syscalls: kill the process), exports the BPF through a memfd into `out` and releases every
// libseccomp resource. Returns false on any failure. Runs before the filter is armed.
[[nodiscard]] bool compile_policy(const Policy& policy, BpfProgram* out);

// The same for any table of rules (the KVM monitor's own allow-list, engine/vmm/monitor_policy.h).
[[nodiscard]] bool compile_rules(const SyscallRule* rules, uint32_t count, BpfProgram* out);

// Arms `program` for the calling thread with seccomp(2) (prctl fallback). No allocation happens
// here or after: seccomp_load() is avoided on purpose because it may free() -> brk(). Requires
// PR_SET_NO_NEW_PRIVS. Irreversible. Returns false if the kernel refused the filter.
[[nodiscard]] bool arm_filter(const BpfProgram& program);

}  // namespace instar::process
