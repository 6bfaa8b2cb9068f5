// abi_layout_test.cc: the contract's layout and memory map hold in the hosted build too.
#include "guest/abi/abi.h"

#include <gtest/gtest.h>

namespace instar::abi {
namespace {

TEST(AbiLayoutTest, MemoryMapRegionsAreOrderedAndPageAligned) {
  const uint64_t regions[] = {kGdtGpa,      kPml4Gpa,      kPdptGpa,     kPdGpa,
                              kPtGpa,       kHostOnlyEnd,  kBootInfoGpa, kOpConfigGpa,
                              kReadOnlyEnd, kGuestLoadBase};
  for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); ++i) {
    EXPECT_EQ(regions[i] % kPageSize, 0u) << i;
    if (i > 0) {
      EXPECT_LT(regions[i - 1], regions[i]) << i;
    }
  }
  EXPECT_LE(kGuestLoadBase, 2ull << 20) << "the guest starts inside the 4 KiB-mapped region";
  EXPECT_EQ(kMaxGuestMemory % (2ull << 20), 0u);
}

TEST(AbiLayoutTest, HypercallPortsFitOneRange) {
  EXPECT_LT(kHypercallPortBase + static_cast<uint32_t>(Hypercall::kMax), 0x10000u);
  EXPECT_EQ(sizeof(BootInfo), 80u + 16u * kMaxDevices);
}

}  // namespace
}  // namespace instar::abi
