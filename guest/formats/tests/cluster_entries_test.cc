// cluster_entries_test.cc: table-driven tests of the L1/L2 entry decoders and refcount widths.
#include "guest/formats/qcow2/cluster_entries.h"

#include <gtest/gtest.h>

#include <vector>

#include "guest/formats/qcow2/refcount_entries.h"

namespace instar::qcow2 {
namespace {

TEST(L1Entry, Decodes) {
  struct Case {
    uint64_t raw;
    uint64_t l2_offset;
    bool copied;
    bool reserved;
  };
  const Case cases[] = {
      {0, 0, false, false},
      {0x8000000000040000, 0x40000, true, false},
      {0x40000, 0x40000, false, false},
      {0x8100000000040000, 0x40000, true, true},   // bit 56 is reserved
      {0x8000000000040200, 0x40200, true, false},  // unaligned but representable
      {0x8000000000040001, 0x40000, true, true},   // bit 0 is reserved in L1 entries
  };
  for (const Case& c : cases) {
    const L1Entry e = decode_l1_entry(c.raw);
    EXPECT_EQ(e.l2_offset, c.l2_offset) << std::hex << c.raw;
    EXPECT_EQ(e.copied, c.copied) << std::hex << c.raw;
    EXPECT_EQ(e.reserved_set, c.reserved) << std::hex << c.raw;
  }
}

TEST(L2Entry, Classifies) {
  struct Case {
    uint64_t raw;
    bool extended;
    bool data_file;
    ClusterType type;
  };
  const Case cases[] = {
      {0, false, false, ClusterType::kUnallocated},
      {0x8000000000050000, false, false, ClusterType::kNormal},
      {0x0000000000000001, false, false, ClusterType::kZeroPlain},
      {0x8000000000050001, false, false, ClusterType::kZeroAlloc},
      {0x400000000005004f, false, false, ClusterType::kCompressed},
      {0xc00000000005004f, false, false, ClusterType::kCompressed},
      // With extended L2 bit 0 is not the zero flag: the subcluster bitmap decides.
      {0x0000000000000001, true, false, ClusterType::kUnallocated},
      {0x8000000000050001, true, false, ClusterType::kNormal},
      // External data file: offset 0 with COPIED is a real cluster.
      {0x8000000000000000, false, true, ClusterType::kNormal},
      {0x8000000000000000, false, false, ClusterType::kUnallocated},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classify_l2_entry(c.raw, c.extended, c.data_file), c.type) << std::hex << c.raw;
  }
  EXPECT_EQ(0x8100000000050000 & kL2StdReservedMask, 0x0100000000000000u);
  EXPECT_EQ(0x8000000000050001 & kL2StdReservedMask, 0u);
}

TEST(L2Entry, CompressedExtent) {
  struct Case {
    uint64_t raw;
    uint32_t cluster_bits;
    uint64_t offset;
    uint64_t size;
  };
  const Case cases[] = {
      // 64 KiB clusters: 8 sector bits above bit 54; offsets as qemu-img convert -c wrote them.
      {0x400000000005004f, 16, 0x5004f, 512 - 0x4f},
      {0x40400000000501da, 16, 0x501da, 2 * 512 - 0x1da},
      {0x4000000000050000, 16, 0x50000, 512},
      // 512-byte clusters: one sector bit at bit 61.
      {0x6000000000001200, 9, 0x1200, 1024},
      // 2 MiB clusters: 13 sector bits from bit 49.
      {0x4000000000200000 | (uint64_t{5} << 49), 21, 0x200000, 6 * 512},
  };
  for (const Case& c : cases) {
    const CompressedExtent e = decode_compressed_l2_entry(c.raw, c.cluster_bits);
    EXPECT_EQ(e.offset, c.offset) << std::hex << c.raw;
    EXPECT_EQ(e.size, c.size) << std::hex << c.raw;
  }
}

// A fresh refblock covering four clusters, per width (qemu-img 7.2 reference §7).
TEST(Refcounts, FreshRefblockBytes) {
  struct Case {
    uint32_t order;
    std::vector<uint8_t> bytes;
  };
  const Case cases[] = {
      {0, {0x0f}},
      {1, {0x55}},
      {2, {0x11, 0x11}},
      {3, {1, 1, 1, 1}},
      {4, {0, 1, 0, 1, 0, 1, 0, 1}},
      {5, {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}},
      {6, {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
           0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> block(c.bytes.size(), 0);
    for (uint64_t i = 0; i < 4; ++i) set_refcount(block.data(), i, c.order, 1);
    EXPECT_EQ(block, c.bytes) << "order " << c.order;
    for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(get_refcount(c.bytes.data(), i, c.order), 1u);
  }
}

TEST(Refcounts, EveryWidthRoundTripsItsMaximum) {
  for (uint32_t order = 0; order <= 6; ++order) {
    const uint64_t max = refcount_max(order);
    std::vector<uint8_t> block(refcount_array_bytes(17, order), 0);
    EXPECT_EQ(block.size(), (17 * (1u << order) + 7) / 8) << order;
    for (uint64_t i = 0; i < 17; ++i) set_refcount(block.data(), i, order, i % 2 ? max : i & max);
    for (uint64_t i = 0; i < 17; ++i) {
      EXPECT_EQ(get_refcount(block.data(), i, order), i % 2 ? max : i & max) << order << ":" << i;
    }
  }
  EXPECT_EQ(refcount_max(0), 1u);
  EXPECT_EQ(refcount_max(4), 0xffffu);
  EXPECT_EQ(refcount_max(6), ~uint64_t{0});
}

}  // namespace
}  // namespace instar::qcow2
