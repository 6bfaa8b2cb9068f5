// monitor_confinement.cc: rlimits (only ever lowered), capabilities, no_new_privs, seccomp.
#include "engine/vmm/monitor_confinement.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "guest/platform/process/confinement.h"
#include "guest/platform/process/rlimit_lowering.h"

namespace instar::vmm {

Status lower_rlimit(int resource, const char* name, rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0) {
    return Error{std::string("cannot read ") + name + ": " + strerror(errno)};
  }
  limit = process::lowered_limit(limit, wanted, wanted);
  if (setrlimit(resource, &limit) != 0) {
    return Error{std::string("cannot lower ") + name + ": " + strerror(errno)};
  }
  return Status::Ok();
}

Status lower_monitor_rlimits(const MonitorRlimits& limits) {
  // CPU can't exceed wall time; one extra second absorbs rounding (the wall clock fires first).
  const auto cpu_seconds =
      static_cast<rlim_t>(std::chrono::ceil<std::chrono::seconds>(limits.wall_time).count() + 1);
  const struct {
    int resource;
    const char* name;
    rlim_t wanted;
  } wanted[] = {
      {RLIMIT_CORE, "RLIMIT_CORE", 0},  // a crashing monitor must not write guest memory anywhere
      {RLIMIT_FSIZE, "RLIMIT_FSIZE", static_cast<rlim_t>(limits.max_output_bytes)},
      {RLIMIT_NOFILE, "RLIMIT_NOFILE", 0},
      {RLIMIT_NPROC, "RLIMIT_NPROC", 0},
      {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 0},
      {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 0},
      {RLIMIT_CPU, "RLIMIT_CPU", cpu_seconds},
  };
  for (const auto& w : wanted) {
    if (Status s = lower_rlimit(w.resource, w.name, w.wanted); !s.ok()) return s;
  }
  return Status::Ok();
}

Status confine_monitor(const MonitorRlimits& limits, const process::BpfProgram& filter) {
  if (Status s = lower_monitor_rlimits(limits); !s.ok()) return s;
  process::drop_capabilities();
  if (!process::set_no_new_privs()) {
    return Error{std::string("cannot set no_new_privs: ") + strerror(errno)};
  }
  if (!process::arm_filter(filter)) {
    return Error{std::string("the kernel refused the monitor's seccomp filter: ") +
                 strerror(errno)};
  }
  return Status::Ok();
}

}  // namespace instar::vmm
