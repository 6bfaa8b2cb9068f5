// vcpu_loop.h: runs the vCPU until the guest exits, breaks the contract or exhausts a limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "engine/sandbox/sandbox.h"
#include "engine/vmm/hypercalls.h"
#include "engine/vmm/kvm_vm.h"

namespace instar::vmm {

struct LoopLimits {
  std::chrono::steady_clock::time_point deadline;  // wall clock (VcpuDeadline kicks KVM_RUN)
  std::chrono::milliseconds wall_time{0};          // for the diagnostic only
  uint64_t max_exits = 0;  // KVM_RUN returns with an exit, hypercalls included
  // Nonzero when `deadline` is the process's RLIMIT_CPU budget (cpu_budget.h), not wall_time:
  // the limit in seconds, named in a kResourceLimit diagnostic.
  uint64_t cpu_limit_seconds = 0;
};

// Fail closed: every exit goes through decode_exit(); anything but a hypercall ends the run with a
// diagnostic that includes the guest's rip. The Outcome carries exit and hypercall counts and,
// whatever the ending, the messages emitted so far.
// `confine`, if set, runs once the deadline timer is armed and before the first KVM_RUN: the
// monitor child arms its seccomp filter there, so the timer's setup system calls need not be in
// its allow-list. A failure ends the run as kHostError with its message.
sandbox::Outcome run_vcpu_loop(KvmVm& vm, HypercallHandler& handler, const LoopLimits& limits,
                               const std::function<Status()>& confine = {});

}  // namespace instar::vmm
