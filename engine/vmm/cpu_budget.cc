// cpu_budget.cc: RLIMIT_CPU minus the CPU time this process has used, less a reserve.
#include "engine/vmm/cpu_budget.h"

#include <time.h>

#include <algorithm>

namespace instar::vmm {

CpuBudget cpu_budget(const rlimit& limit, std::chrono::nanoseconds used) {
  CpuBudget budget;
  const rlim_t seconds = std::min(limit.rlim_cur, limit.rlim_max);
  if (seconds == RLIM_INFINITY) return budget;
  budget.limited = true;
  budget.limit_seconds = static_cast<uint64_t>(seconds);
  const std::chrono::nanoseconds total = std::chrono::seconds(budget.limit_seconds);
  const std::chrono::nanoseconds reserve =
      std::max<std::chrono::nanoseconds>(kCpuReserve, total / 10);
  budget.remaining = std::max(std::chrono::nanoseconds(0), total - reserve - used);
  return budget;
}

CpuBudget process_cpu_budget() {
  rlimit limit{};
  timespec used{};
  if (getrlimit(RLIMIT_CPU, &limit) != 0 || clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used) != 0) {
    return {};
  }
  return cpu_budget(limit,
                    std::chrono::seconds(used.tv_sec) + std::chrono::nanoseconds(used.tv_nsec));
}

}  // namespace instar::vmm
