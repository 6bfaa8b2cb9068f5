// cpu_limit_kill_test.cc: naming an RLIMIT_CPU kill by the kernel's PROF clock, not by rusage.
#include "engine/sandbox/cpu_limit_kill.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace instar::sandbox {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

TEST(CpuLimitKill, SigkillAtTheHardLimitIsTheLimitWhateverRusageSays) {
  // Seen on a loaded 2-core VM (HZ=250, tick accounting): SIGKILL under RLIMIT_CPU {1, 1} with the
  // PROF clock at exactly 1.000 s and wait4's rusage at 0.862 s. Judged by rusage plus 100 ms of
  // slack, this was "killed by SIGKILL"; the kernel's rule says the CPU limit.
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {1, 1}, 1 * kSecond), 1u);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {1, 1}, 1 * kSecond + 4'000'000), 1u);
}

TEST(CpuLimitKill, SigkillBelowTheHardLimitIsSomeoneElses) {
  // The kernel never sends it before the clock reaches the hard limit: an OOM kill or kill -9.
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {1, 1}, 1 * kSecond - 1), std::nullopt);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {21, 22}, 21 * kSecond), std::nullopt);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {21, 22}, 22 * kSecond), 22u);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {RLIM_INFINITY, RLIM_INFINITY}, 99 * kSecond),
            std::nullopt);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {RLIM_INFINITY - 1, RLIM_INFINITY - 1}, UINT64_MAX),
            std::nullopt);
  // Without the clock (the process was gone) nothing says the kernel sent it.
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {1, 1}, std::nullopt), std::nullopt);
}

TEST(CpuLimitKill, SigxcpuIsTheSoftLimit) {
  EXPECT_EQ(cpu_limit_that_killed(SIGXCPU, {21, 22}, 21 * kSecond), 21u);
  EXPECT_EQ(cpu_limit_that_killed(SIGXCPU, {21, 22}, std::nullopt), 21u);
  EXPECT_EQ(cpu_limit_that_killed(SIGSEGV, {1, 1}, 5 * kSecond), std::nullopt);
}

TEST(CpuLimitKill, KernelsClockOfAKilledSpinnerIsAtTheLimit) {
  // The real thing: a child spins under RLIMIT_CPU {1, 1} until the kernel kills it; its PROF
  // clock, read before the reap, is at the limit however busy the machine is.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const rlimit cpu{1, 1};
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) _exit(2);
    for (;;) __asm__ volatile("");  // spins on the CPU; the empty asm keeps the loop
  }
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
  const std::optional<uint64_t> prof = unreaped_prof_clock_ns(pid);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_TRUE(prof.has_value());
  EXPECT_GE(*prof, kSecond);
  EXPECT_EQ(cpu_limit_that_killed(SIGKILL, {1, 1}, prof), 1u);
  // Once reaped, the clock is gone.
  EXPECT_EQ(unreaped_prof_clock_ns(pid), std::nullopt);
}

}  // namespace
}  // namespace instar::sandbox
