// cpu_limit_kill.h: whether the kernel's RLIMIT_CPU ended a helper, by the kernel's own clock.
//
// The kernel compares RLIMIT_CPU against a process's PROF clock (utime + stime as the tick
// samples them, kernel/time/posix-cpu-timers.c): SIGXCPU once it reaches the soft limit, SIGKILL
// once it reaches the hard one. wait4's rusage is not that clock: it is scaled to the scheduler's
// precise runtime (cputime_adjust), and with tick accounting a CPU-bound process on a busy machine
// is charged whole ticks for time other tasks ran between them, so its PROF clock can reach 1 s
// while its rusage reads 0.86 s. Judging the kill by rusage plus a slack misnamed such kills; the
// PROF clock of the unreaped child, read with clock_gettime, is the value the kernel compared.
#pragma once

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <optional>

namespace instar::sandbox {

// The PROF clock (ns) of `pid`, a child that has exited but is not reaped yet; nullopt if the
// kernel does not answer (the process is gone).
std::optional<uint64_t> unreaped_prof_clock_ns(pid_t pid);

// The RLIMIT_CPU value (s) that ended a process killed by `signal` while `limit` was in force,
// its PROF clock then being `prof_ns`; nullopt if the signal is not the kernel's CPU-limit signal.
// SIGXCPU comes only from the soft limit; SIGKILL is the hard limit's when the clock reached it,
// and someone else's (the OOM killer, an operator's kill -9) when it did not.
std::optional<rlim_t> cpu_limit_that_killed(int signal, const rlimit& limit,
                                            std::optional<uint64_t> prof_ns);

}  // namespace instar::sandbox
