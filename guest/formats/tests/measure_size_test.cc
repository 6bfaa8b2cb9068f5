// measure_size_test.cc: qcow2 measure arithmetic against figures qemu-img 7.2 printed.
#include "guest/formats/qcow2/measure_size.h"

#include <gtest/gtest.h>

namespace instar::qcow2 {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;
constexpr uint64_t kMaxL1Entries() {
  return 0x2000000 / 8;
}

MeasureTarget target(uint64_t cluster_size, uint32_t refcount_order, bool extended_l2) {
  MeasureTarget t;
  t.cluster_size = cluster_size;
  t.refcount_order = refcount_order;
  t.extended_l2 = extended_l2;
  return t;
}

// Each row: `qemu-img measure -O qcow2 -o <options> --size <size>` on qemu-img 7.2.22.
struct Row {
  uint64_t size;
  uint64_t cluster_size;
  uint32_t refcount_order;
  bool extended_l2;
  uint64_t required;
  uint64_t fully_allocated;
};

constexpr Row kQemuRows[] = {
    {16 * kMiB, 64 * kKiB, 4, false, 327680, 17104896},
    {0, 64 * kKiB, 4, false, 196608, 196608},
    {1, 64 * kKiB, 4, true, 327680, 393216},
    {1 * kGiB, 4 * kKiB, 4, false, 2637824, 1076379648},
    {100 * kGiB, 4 * kKiB, 0, false, 213422080, 107587604480ull},
    {1024 * kGiB, 2 * kMiB, 6, true, 20971520, 1099532599296ull},
};

TEST(MeasureSizeTest, MatchesQemuImg) {
  for (const Row& row : kQemuRows) {
    const MeasureTarget t = target(row.cluster_size, row.refcount_order, row.extended_l2);
    ASSERT_TRUE(measure_l1_fits(t, row.size));
    EXPECT_EQ(measure_fully_allocated(t, row.size), row.fully_allocated) << row.size;
    EXPECT_EQ(measure_required(t, row.size, 0), row.required) << row.size;
  }
}

TEST(MeasureSizeTest, FullPreallocationRequiresEverything) {
  // preallocation=full --size 1G: required == fully allocated == 1074135040.
  const MeasureTarget t = target(64 * kKiB, 4, false);
  EXPECT_EQ(measure_required(t, 1 * kGiB, 1 * kGiB), 1074135040u);
  EXPECT_EQ(measure_fully_allocated(t, 1 * kGiB), 1074135040u);
}

TEST(MeasureSizeTest, LuksPayloadAddsToBoth) {
  MeasureTarget t = target(64 * kKiB, 4, false);
  t.luks_payload = round_up_to_cluster(2068480, t.cluster_size);
  // encrypt.format=luks --size 16M: 2424832 / 19202048.
  EXPECT_EQ(measure_required(t, 16 * kMiB, 0), 2424832u);
  EXPECT_EQ(measure_fully_allocated(t, 16 * kMiB), 19202048u);
}

TEST(MeasureSizeTest, L1Limit) {
  // 1P with 512-byte clusters: "The image size is too large"; 32 MiB of L1 is the edge.
  const MeasureTarget small = target(512, 4, false);
  EXPECT_FALSE(measure_l1_fits(small, 1024 * 1024 * kGiB));
  const uint64_t edge = (kMaxL1Entries()) * 64 * 512;
  EXPECT_TRUE(measure_l1_fits(small, edge));
  EXPECT_FALSE(measure_l1_fits(small, edge + 512));
}

TEST(MeasureSizeTest, SizesWrapLikeQemu) {
  // -o size=2^64-1 rounds up to 0 in qemu's 64-bit ROUND_UP: an empty image's figures.
  const MeasureTarget t = target(64 * kKiB, 4, false);
  EXPECT_EQ(measure_fully_allocated(t, UINT64_MAX), measure_fully_allocated(t, 0));
}

TEST(MeasureSizeTest, RefcountFixedPointCountsItself) {
  // 64 KiB clusters, 16-bit refcounts: one block counts 32768 clusters, including itself and
  // the table cluster, so 32766 data clusters fit in one block and 32767 need a second.
  EXPECT_EQ(refcount_metadata_size(32766, 64 * kKiB, 4), 2 * 64 * kKiB);
  EXPECT_EQ(refcount_metadata_size(32767, 64 * kKiB, 4), 3 * 64 * kKiB);
}

TEST(MeasureSizeTest, BitmapSize) {
  // A 16 MiB image, 64 KiB granularity: 256 bits = 32 bytes, one data cluster and one table
  // cluster; directory entries are 24 bytes + name, 8-aligned.
  EXPECT_EQ(measure_bitmap_size(16 * kMiB, 16, 64 * kKiB), 2 * 64 * kKiB);
  EXPECT_EQ(bitmap_directory_entry_size(2), 32u);
  EXPECT_EQ(bitmap_directory_entry_size(8), 32u);
  EXPECT_EQ(bitmap_directory_entry_size(9), 40u);
}

}  // namespace
}  // namespace instar::qcow2
