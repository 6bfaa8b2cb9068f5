// rlimit_lowering_test.cc: the never-raise rule every setrlimit of the engine and helper follows.
#include "guest/platform/process/rlimit_lowering.h"

#include <gtest/gtest.h>

namespace instar::process {
namespace {

TEST(RlimitLowering, UnlimitedCallerGetsWhatIsWanted) {
  const rlimit set = lowered_limit({RLIM_INFINITY, RLIM_INFINITY}, 6, 7);
  EXPECT_EQ(set.rlim_cur, 6u);
  EXPECT_EQ(set.rlim_max, 7u);
  EXPECT_FALSE(limited_by_caller({RLIM_INFINITY, RLIM_INFINITY}, 6));
}

TEST(RlimitLowering, CallersLowerLimitWins) {
  // prlimit --cpu=2: soft and hard 2 s; instar wanted 6 s soft, 7 s hard.
  const rlimit set = lowered_limit({2, 2}, 6, 7);
  EXPECT_EQ(set.rlim_cur, 2u);
  EXPECT_EQ(set.rlim_max, 2u);
  EXPECT_TRUE(limited_by_caller({2, 2}, 6));
}

TEST(RlimitLowering, SoftNeverAboveHard) {
  // A soft limit above the new hard one would make setrlimit fail with EINVAL.
  const rlimit set = lowered_limit({RLIM_INFINITY, 4}, 6, 7);
  EXPECT_EQ(set.rlim_cur, 4u);
  EXPECT_EQ(set.rlim_max, 4u);
  const rlimit lower_soft = lowered_limit({3, RLIM_INFINITY}, 6, 7);
  EXPECT_EQ(lower_soft.rlim_cur, 3u);
  EXPECT_EQ(lower_soft.rlim_max, 7u);
  EXPECT_TRUE(limited_by_caller({3, RLIM_INFINITY}, 6));
}

TEST(RlimitLowering, NothingIsRaised) {
  for (rlim_t cur : {rlim_t{0}, rlim_t{5}, rlim_t{100}, RLIM_INFINITY}) {
    for (rlim_t max : {rlim_t{5}, rlim_t{100}, RLIM_INFINITY}) {
      if (cur > max) continue;
      const rlimit set = lowered_limit({cur, max}, 50, 60);
      EXPECT_LE(set.rlim_cur, cur);
      EXPECT_LE(set.rlim_max, max);
      EXPECT_LE(set.rlim_cur, set.rlim_max);
    }
  }
}

}  // namespace
}  // namespace instar::process
