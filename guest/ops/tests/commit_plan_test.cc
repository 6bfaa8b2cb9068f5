// commit_plan_test.cc: the arithmetic of qemu 7.2's commit job (guest/ops/commit_plan.h): the
// dirty bitmap's granularity and granules, each chunk's size and method, the progress percent.
#include "guest/ops/commit_plan.h"

#include <gtest/gtest.h>

namespace instar::commit {
namespace {

TEST(CommitPlan, GranularityIsTheBaseClusterClampedTo4KAnd64K) {
  EXPECT_EQ(granularity(0), 65536u);  // raw: no bdrv_get_info()
  EXPECT_EQ(granularity(512), 4096u);
  EXPECT_EQ(granularity(4096), 4096u);
  EXPECT_EQ(granularity(16384), 16384u);
  EXPECT_EQ(granularity(65536), 65536u);
  EXPECT_EQ(granularity(2u << 20), 65536u);
}

TEST(CommitPlan, DirtyGranulesCoverEveryTouchedGranule) {
  const Range r = dirty_granules(4096, 512, 65536);
  EXPECT_EQ(r.start, 0u);
  EXPECT_EQ(r.end, 65536u);
  const Range s = dirty_granules(65536, 65537, 65536);
  EXPECT_EQ(s.start, 65536u);
  EXPECT_EQ(s.end, 3u * 65536);
}

TEST(CommitPlan, DataIsCopiedAtMostOneMegabyteAtATime) {
  const Chunk c = plan_chunk(0, 16u << 20, true, false, 16u << 20, 65536, 65536);
  EXPECT_EQ(c.method, Method::kCopy);
  EXPECT_EQ(c.bytes, 1u << 20);
  // Rounded down to the granularity.
  const Chunk d = plan_chunk(0, 16u << 20, true, false, 3 * 65536 + 100, 65536, 65536);
  EXPECT_EQ(d.bytes, 3u * 65536);
}

TEST(CommitPlan, ZerosCoveringWholeBaseClustersAreWrittenAsZeros) {
  const Chunk z = plan_chunk(1u << 20, 16u << 20, false, true, 4u << 20, 65536, 65536);
  EXPECT_EQ(z.method, Method::kZero);
  EXPECT_EQ(z.bytes, 4u << 20);  // no 1 MiB limit for zeros
  // A raw base (no clusters) takes any granule-aligned zero run.
  EXPECT_EQ(plan_chunk(65536, 65536, false, true, 65536, 65536, 0).method, Method::kZero);
}

TEST(CommitPlan, ShortOrUnalignedZeroRunsAreCopied) {
  // Less than a granule reads as zeros: one granule copied.
  const Chunk a = plan_chunk(0, 1u << 20, false, true, 4096, 65536, 65536);
  EXPECT_EQ(a.method, Method::kCopy);
  EXPECT_EQ(a.bytes, 65536u);
  // 2 MiB base clusters: a 64 KiB zero run is not a whole cluster.
  const Chunk b = plan_chunk(65536, 1u << 20, false, true, 65536, 65536, 2u << 20);
  EXPECT_EQ(b.method, Method::kCopy);
  EXPECT_EQ(b.bytes, 65536u);
  EXPECT_EQ(plan_chunk(0, 4u << 20, false, true, 2u << 20, 65536, 2u << 20).method, Method::kZero);
}

TEST(CommitPlan, ProgressIsDoneOverTotal) {
  EXPECT_FLOAT_EQ(progress_percent(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(progress_percent(1u << 20, 15u << 20 | 65536), 100.f / 15.0625f);
  EXPECT_FLOAT_EQ(progress_percent(5, 5), 100.0f);
}

}  // namespace
}  // namespace instar::commit
