// monitor_confinement.h: what the KVM monitor child gives up once its VM is set up.
//
// The order is the process helper's (guest/platform/process/confinement.h): resource limits,
// capabilities, no_new_privs, then the seccomp filter, which is irreversible and comes last.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>

#include "engine/vmm/result.h"
#include "guest/platform/process/seccomp_policy.h"

namespace instar::vmm {

struct MonitorRlimits {
  uint64_t max_output_bytes = 0;        // largest writable device capacity (RLIMIT_FSIZE), or 0
  std::chrono::milliseconds wall_time;  // the run's limit; RLIMIT_CPU is derived from it
};

// Lowers `resource` to `wanted` (soft and hard): min(inherited, wanted) for each, so a limit the
// caller set (prlimit, ulimit) is never raised. Errors carry the resource's name.
[[nodiscard]] Status lower_rlimit(int resource, const char* name, rlim_t wanted);

// Core dumps 0, file size max_output_bytes (pipes are not files), open files 0 (no new fd; the
// open ones keep working), processes 0, locked memory 0, POSIX queues 0, CPU seconds
// ceil(wall_time) + 1.
[[nodiscard]] Status lower_monitor_rlimits(const MonitorRlimits& limits);

// lower_monitor_rlimits, drop every capability, set no_new_privs, arm `filter` (this thread;
// the child has no other). Irreversible.
[[nodiscard]] Status confine_monitor(const MonitorRlimits& limits,
                                     const process::BpfProgram& filter);

}  // namespace instar::vmm
