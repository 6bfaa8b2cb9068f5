// monitor_policy.h: the KVM monitor child's syscall allow-list once the VM is set up, as data.
//
// Built like the process helper's (guest/platform/process/seccomp_policy.h): a table of
// {syscall, argument pins, why}, compiled with libseccomp, default action kill-process, so tests
// can evaluate the BPF offline (engine/vmm/tests/monitor_policy_test.cc) without KVM.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/sandbox/sandbox.h"
#include "guest/platform/process/seccomp_policy.h"

namespace instar::vmm {

struct MonitorPolicyInput {
  int vcpu_fd = -1;    // KVM_RUN and KVM_GET_REGS (the diagnostic's rip) only on this fd
  int result_fd = -1;  // the pipe to the parent: messages and the outcome
  std::span<const sandbox::Device> devices;
  uint64_t max_read_bytes = 0;  // one block read/write (HypercallLimits::max_read_bytes)
};

// What the exit loop, the hypercall handler and the result writer need, nothing else: no open,
// no socket, no fork/exec, no ioctl on any other fd or with any other request, no mapping that
// is executable.
std::vector<process::SyscallRule> make_monitor_policy(const MonitorPolicyInput& input);

// Compiles the rules (libseccomp, default kill-process, foreign architectures killed). Runs
// before the filter is armed; false on any failure.
[[nodiscard]] bool compile_monitor_policy(const std::vector<process::SyscallRule>& rules,
                                          process::BpfProgram* out);

}  // namespace instar::vmm
