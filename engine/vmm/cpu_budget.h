// cpu_budget.h: how long the monitor may still run a vCPU under the process's RLIMIT_CPU.
//
// The vCPU runs on the monitor's thread, so guest time counts against the instar process's own
// CPU limit, which the caller may have set (`prlimit --cpu=2`). At the hard limit the kernel
// sends SIGKILL and instar could not say why; the monitor instead stops the guest early enough
// to report the limit (docs/sandbox-process.md, "Resource limits").
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>

namespace instar::vmm {

struct CpuBudget {
  bool limited = false;                   // RLIMIT_CPU is finite
  uint64_t limit_seconds = 0;             // the soft limit (SIGXCPU) or, if lower, the hard one
  std::chrono::nanoseconds remaining{0};  // what a run may use, host work after it kept aside
};

// Host work after a run (decoding, rendering, the next image of a chain) is kept out of the
// budget: the larger of this and a tenth of the limit.
inline constexpr std::chrono::milliseconds kCpuReserve{200};

// The budget left under `limit` once `used` CPU time has been spent (pure: for tests).
CpuBudget cpu_budget(const rlimit& limit, std::chrono::nanoseconds used);

// The budget of this process now (getrlimit + CLOCK_PROCESS_CPUTIME_ID); unlimited if either
// cannot be read.
CpuBudget process_cpu_budget();

}  // namespace instar::vmm
