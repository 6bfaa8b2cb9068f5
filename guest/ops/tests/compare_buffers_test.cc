// compare_buffers_test.cc: img_compare's sector-granular comparisons on chunk buffers.
#include "guest/ops/compare_buffers.h"

#include <gtest/gtest.h>

#include <vector>

namespace instar {
namespace {

TEST(SectorsDiffer, PrefixOfEqualSectors) {
  std::vector<uint8_t> a(4096, 7), b(4096, 7);
  uint64_t same = 0;
  EXPECT_FALSE(sectors_differ(a.data(), b.data(), a.size(), &same));
  EXPECT_EQ(same, 4096u);
  b[3 * 512 + 77] = 8;  // the mismatch is reported at its sector's start
  EXPECT_FALSE(sectors_differ(a.data(), b.data(), a.size(), &same));
  EXPECT_EQ(same, 1536u);
}

TEST(SectorsDiffer, FirstSectorDiffers) {
  std::vector<uint8_t> a(2048, 0), b(2048, 0);
  b[0] = 1;
  b[600] = 1;
  uint64_t same = 0;
  EXPECT_TRUE(sectors_differ(a.data(), b.data(), a.size(), &same));
  EXPECT_EQ(same, 1024u);  // the run of differing sectors
}

TEST(SectorsDiffer, ShortAndUnalignedLengths) {
  std::vector<uint8_t> a(1000, 0), b(1000, 0);
  b[900] = 1;  // two 1000-byte raws differing at 900: "offset 512"
  uint64_t same = 0;
  EXPECT_FALSE(sectors_differ(a.data(), b.data(), a.size(), &same));
  EXPECT_EQ(same, 512u);
  EXPECT_FALSE(sectors_differ(a.data(), b.data(), 24, &same));
  EXPECT_EQ(same, 24u);
}

TEST(FirstNonzeroSector, FindsTheSectorStart) {
  std::vector<uint8_t> buf(1 << 20, 0);
  EXPECT_EQ(first_nonzero_sector(buf.data(), buf.size()), -1);
  buf[777] = 1;
  EXPECT_EQ(first_nonzero_sector(buf.data(), buf.size()), 512);
  EXPECT_EQ(first_nonzero_sector(buf.data(), 800), 512);
  EXPECT_EQ(first_nonzero_sector(buf.data(), 700), -1);
  EXPECT_EQ(first_nonzero_sector(buf.data(), 512), -1);
  EXPECT_EQ(first_nonzero_sector(buf.data(), 0), -1);
}

}  // namespace
}  // namespace instar
