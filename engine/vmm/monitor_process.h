// monitor_process.h: one KVM run in a forked monitor child that confines itself after setup.
//
// A KVM VM belongs to the mm that created it, so the child creates it: guest memory, ELF, boot
// state, VM, vCPU, deadline timer, then rlimits + no_new_privs + seccomp (monitor_policy.h), and
// only then the first KVM_RUN. Everything that touches guest-controlled data (exits, hypercalls,
// message copies) runs confined. The child forwards each guest message over a pipe the moment
// the guest emits it, then its Outcome (outcome_wire.h), and _exit()s; the parent reads it as
// untrusted input, hands each message to the request's consumer as it arrives (stopping the
// child at the first one refused), with its own backstop deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>

#include "engine/sandbox/sandbox.h"
#include "engine/vmm/boot_setup.h"
#include "engine/vmm/cpu_budget.h"
#include "engine/vmm/elf_loader.h"

namespace instar::vmm {

// Test-only hooks (engine/vmm/tests): reachable only through KvmSandbox's library constructor,
// which the CLI never calls with hooks.
struct MonitorTestHooks {
  std::function<void(pid_t)> on_monitor_started;  // parent, right after fork: the child's pid
  std::function<void()> after_confinement;        // child, right after the filter is armed
};

struct MonitorRun {
  const ElfImage& image;
  std::span<const uint8_t> elf;
  const GuestLayout& layout;
  const sandbox::Request& request;
  std::chrono::steady_clock::time_point started;  // the wall-clock limit counts from here
  // The instar process's RLIMIT_CPU budget, taken before the fork: the child starts with a CPU
  // clock of its own, so it cannot measure what the caller's limit leaves.
  CpuBudget cpu;
  const MonitorTestHooks& hooks;
};

// How long the parent waits beyond the wall-clock limit before it kills a child that neither
// finished nor timed itself out (the child's own VcpuDeadline normally ends the run first).
inline constexpr std::chrono::milliseconds kMonitorBackstopGrace{2000};

// Forks, runs `run` in the confined child and returns its Outcome. Failures of the child
// (killed by a signal, SIGSYS included; no or malformed outcome; the backstop) are Outcomes too.
sandbox::Outcome run_in_monitor_child(const MonitorRun& run);

}  // namespace instar::vmm
