// cpu_budget_test.cc: what a KVM run may use of the process's RLIMIT_CPU.
#include "engine/vmm/cpu_budget.h"

#include <gtest/gtest.h>

namespace instar::vmm {
namespace {

using namespace std::chrono_literals;

TEST(CpuBudget, UnlimitedWithoutALimit) {
  EXPECT_FALSE(cpu_budget({RLIM_INFINITY, RLIM_INFINITY}, 5s).limited);
}

TEST(CpuBudget, CallersLimitLessUsedLessReserve) {
  // prlimit --cpu=2: 2 s minus the 200 ms reserve minus 300 ms already used.
  const CpuBudget budget = cpu_budget({2, 2}, 300ms);
  EXPECT_TRUE(budget.limited);
  EXPECT_EQ(budget.limit_seconds, 2u);
  EXPECT_EQ(budget.remaining, 1500ms);
}

TEST(CpuBudget, ReserveGrowsWithTheLimitAndHardLimitCounts) {
  const CpuBudget budget = cpu_budget({RLIM_INFINITY, 60}, 0s);
  EXPECT_EQ(budget.limit_seconds, 60u);
  EXPECT_EQ(budget.remaining, 54s);  // a tenth kept for the host
}

TEST(CpuBudget, SpentBudgetIsZeroNotNegative) {
  EXPECT_EQ(cpu_budget({1, 1}, 3s).remaining, 0s);
}

}  // namespace
}  // namespace instar::vmm
