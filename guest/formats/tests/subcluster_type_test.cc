// subcluster_type_test.cc: qemu's subcluster classification and run counting, standard and extended
// L2.
#include "guest/formats/qcow2/subcluster_type.h"

#include <gtest/gtest.h>

namespace instar::qcow2 {
namespace {

constexpr L2Geometry kStandard{false, false, 16};
constexpr L2Geometry kExtended{true, false, 16};
constexpr uint64_t kHost = 0x50000;

TEST(SubclusterType, StandardEntries) {
  EXPECT_EQ(subcluster_type(kStandard, 0, 0, 0), SubclusterType::kUnallocatedPlain);
  EXPECT_EQ(subcluster_type(kStandard, kHost | kOflagCopied, 0, 0), SubclusterType::kNormal);
  EXPECT_EQ(subcluster_type(kStandard, 1, 0, 0), SubclusterType::kZeroPlain);
  EXPECT_EQ(subcluster_type(kStandard, 0x8000000000050001ull, 0, 0), SubclusterType::kZeroAlloc);
  EXPECT_EQ(subcluster_type(kStandard, 0x400000000005004full, 0, 0), SubclusterType::kCompressed);
  // The bitmap word does not exist without extended L2.
  EXPECT_EQ(subcluster_type(kStandard, 0, ~0ull, 0), SubclusterType::kUnallocatedPlain);
}

TEST(SubclusterType, StandardRangeIsTheWholeCluster) {
  SubclusterType t;
  EXPECT_EQ(subcluster_range(kStandard, kHost, 0, 0, &t), 1);
  EXPECT_EQ(t, SubclusterType::kNormal);
}

TEST(SubclusterType, ExtendedBitmap) {
  // 2 KiB subclusters of a 64 KiB cluster.
  const uint64_t bitmap = 0x2 | (uint64_t{0x4} << 32);  // sc1 data, sc2 zero
  EXPECT_EQ(subcluster_type(kExtended, kHost, bitmap, 0), SubclusterType::kUnallocatedAlloc);
  EXPECT_EQ(subcluster_type(kExtended, kHost, bitmap, 1), SubclusterType::kNormal);
  EXPECT_EQ(subcluster_type(kExtended, kHost, bitmap, 2), SubclusterType::kZeroAlloc);
  EXPECT_EQ(subcluster_type(kExtended, 0, uint64_t{1} << 33, 1), SubclusterType::kZeroPlain);
  EXPECT_EQ(subcluster_type(kExtended, 0, 0, 5), SubclusterType::kUnallocatedPlain);
  // The zero flag of the entry is ignored with subclusters.
  EXPECT_EQ(subcluster_type(kExtended, 1, 0, 0), SubclusterType::kUnallocatedPlain);
}

TEST(SubclusterType, ExtendedInvalid) {
  // A subcluster both allocated and zero.
  EXPECT_EQ(subcluster_type(kExtended, kHost, 0x1 | (uint64_t{1} << 32), 7),
            SubclusterType::kInvalid);
  // Allocation bits on an unallocated cluster.
  EXPECT_EQ(subcluster_type(kExtended, 0, 0x1, 3), SubclusterType::kInvalid);
  SubclusterType t;
  EXPECT_EQ(subcluster_range(kExtended, 0, 0x1, 3, &t), -1);
}

TEST(SubclusterType, ExtendedRanges) {
  SubclusterType t;
  // Subclusters 0..3 data, 4..5 zero, the rest unallocated.
  const uint64_t bitmap = 0xf | (uint64_t{0x30} << 32);
  EXPECT_EQ(subcluster_range(kExtended, kHost, bitmap, 0, &t), 4);
  EXPECT_EQ(t, SubclusterType::kNormal);
  EXPECT_EQ(subcluster_range(kExtended, kHost, bitmap, 2, &t), 2);
  EXPECT_EQ(subcluster_range(kExtended, kHost, bitmap, 4, &t), 2);
  EXPECT_EQ(t, SubclusterType::kZeroAlloc);
  EXPECT_EQ(subcluster_range(kExtended, kHost, bitmap, 6, &t), 26);
  EXPECT_EQ(t, SubclusterType::kUnallocatedAlloc);
  EXPECT_EQ(subcluster_range(kExtended, kHost, 0xffffffffull, 0, &t), 32);
  EXPECT_EQ(subcluster_range(kExtended, kHost, 0xffffffffull, 31, &t), 1);
  // Compressed clusters are one piece whatever the bitmap says.
  EXPECT_EQ(subcluster_range(kExtended, 0x400000000005004full, 0, 3, &t), 29);
  EXPECT_EQ(t, SubclusterType::kCompressed);
}

TEST(CompressedDescriptor, QemuImgExamples) {
  // From qemu-img convert -c on a 64k-cluster image (docs: reference §7).
  CompressedExtent c = decode_compressed_l2_entry(0x400000000005004full, 16);
  EXPECT_EQ(c.offset, 0x5004fu);
  EXPECT_EQ(c.size, 512u - 0x4fu);
  c = decode_compressed_l2_entry(0x40400000000501daull, 16);
  EXPECT_EQ(c.offset, 0x501dau);
  EXPECT_EQ(c.size, 1024u - 0x1dau);
}

}  // namespace
}  // namespace instar::qcow2
