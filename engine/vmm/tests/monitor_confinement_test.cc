// monitor_confinement_test.cc: the monitor's rlimits are only ever lowered (in forked children).
#include "engine/vmm/monitor_confinement.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace instar::vmm {
namespace {

// Runs `body` in a child (rlimit changes must not leak into the test process); its exit status.
int in_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(MonitorConfinement, LowersButNeverRaisesAnInheritedLimit) {
  EXPECT_EQ(in_child([] {
              const rlimit caller{2, 3};  // e.g. `prlimit --cpu=2:3`
              if (setrlimit(RLIMIT_CPU, &caller) != 0) return 1;
              if (!lower_rlimit(RLIMIT_CPU, "RLIMIT_CPU", 600).ok()) return 2;
              rlimit now{};
              getrlimit(RLIMIT_CPU, &now);
              return now.rlim_cur == 2 && now.rlim_max == 3 ? 0 : 3;
            }),
            0);
  EXPECT_EQ(in_child([] {
              if (!lower_rlimit(RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 5).ok()) return 2;
              rlimit now{};
              getrlimit(RLIMIT_MSGQUEUE, &now);
              return now.rlim_cur <= 5 && now.rlim_max <= 5 ? 0 : 3;
            }),
            0);
}

TEST(MonitorConfinement, MonitorLimitsUnderATightCaller) {
  EXPECT_EQ(in_child([] {
              const rlimit caller{1, 1};
              if (setrlimit(RLIMIT_FSIZE, &caller) != 0) return 1;
              if (!lower_monitor_rlimits(
                       {.max_output_bytes = 1 << 20, .wall_time = std::chrono::milliseconds(1500)})
                       .ok()) {
                return 2;
              }
              rlimit fsize{}, core{}, nofile{}, nproc{}, cpu{};
              getrlimit(RLIMIT_FSIZE, &fsize);
              getrlimit(RLIMIT_CORE, &core);
              getrlimit(RLIMIT_NOFILE, &nofile);
              getrlimit(RLIMIT_NPROC, &nproc);
              getrlimit(RLIMIT_CPU, &cpu);
              if (fsize.rlim_max != 1) return 3;  // the caller's 1 byte, not the output's 1 MiB
              if (core.rlim_max != 0 || nofile.rlim_max != 0 || nproc.rlim_max != 0) return 4;
              return cpu.rlim_max <= 3 ? 0 : 5;  // ceil(1.5 s) + 1
            }),
            0);
}

}  // namespace
}  // namespace instar::vmm
