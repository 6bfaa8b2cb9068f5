// cpu_limit_kill.cc: reading a child's PROF clock and the kernel's RLIMIT_CPU signal rule.
#include "engine/sandbox/cpu_limit_kill.h"

#include <signal.h>
#include <time.h>

namespace instar::sandbox {
namespace {

// The kernel's CPU clock ids (include/linux/posix-timers.h): a process clock is ~pid << 3 with
// the clock type in the low bits; CPUCLOCK_PROF (0) is utime + stime, RLIMIT_CPU's clock.
constexpr clockid_t kCpuClockProf = 0;
clockid_t process_prof_clock(pid_t pid) {
  return static_cast<clockid_t>(~static_cast<unsigned>(pid) << 3) | kCpuClockProf;
}

constexpr uint64_t kNsPerSecond = 1'000'000'000ull;

}  // namespace

std::optional<uint64_t> unreaped_prof_clock_ns(pid_t pid) {
  timespec now{};
  if (pid <= 0 || clock_gettime(process_prof_clock(pid), &now) != 0) return std::nullopt;
  return static_cast<uint64_t>(now.tv_sec) * kNsPerSecond + static_cast<uint64_t>(now.tv_nsec);
}

std::optional<rlim_t> cpu_limit_that_killed(int signal, const rlimit& limit,
                                            std::optional<uint64_t> prof_ns) {
  if (signal == SIGXCPU && limit.rlim_cur != RLIM_INFINITY) return limit.rlim_cur;
  if (signal != SIGKILL || limit.rlim_max == RLIM_INFINITY || !prof_ns) return std::nullopt;
  if (limit.rlim_max > UINT64_MAX / kNsPerSecond) return std::nullopt;  // a clock never gets there
  // check_rlimit(): SIGKILL once the PROF clock is at or past the hard limit, in whole seconds.
  const uint64_t hard_ns = static_cast<uint64_t>(limit.rlim_max) * kNsPerSecond;
  if (*prof_ns >= hard_ns) return limit.rlim_max;
  return std::nullopt;
}

}  // namespace instar::sandbox
