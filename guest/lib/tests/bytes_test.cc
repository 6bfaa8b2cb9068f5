// bytes_test.cc: big-endian loads/stores and checked arithmetic.
#include "guest/lib/bytes.h"

#include <gtest/gtest.h>

#include "guest/lib/checked.h"

namespace instar {
namespace {

TEST(BytesTest, BigEndianRoundTrip) {
  uint8_t b[8];
  store_be64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[7], 8);
  EXPECT_EQ(load_be64(b), 0x0102030405060708ull);
  EXPECT_EQ(load_be32(b + 4), 0x05060708u);
  EXPECT_EQ(load_be16(b + 6), 0x0708u);
  EXPECT_EQ(load_le32(b), 0x04030201u);
}

TEST(BytesTest, ContainsRejectsOverflow) {
  uint8_t b[16] = {};
  Bytes v(b, sizeof(b));
  EXPECT_TRUE(v.contains(0, 16));
  EXPECT_TRUE(v.contains(16, 0));
  EXPECT_FALSE(v.contains(8, 9));
  EXPECT_FALSE(v.contains(17, 0));
  EXPECT_FALSE(v.contains(8, UINT64_MAX));
}

TEST(CheckedTest, DetectsOverflow) {
  uint64_t out = 0;
  EXPECT_TRUE(checked_add(1, 2, &out));
  EXPECT_EQ(out, 3u);
  EXPECT_FALSE(checked_add(UINT64_MAX, 1, &out));
  EXPECT_FALSE(checked_mul(1ull << 32, 1ull << 32, &out));
  EXPECT_TRUE(checked_shl(1, 63, &out));
  EXPECT_FALSE(checked_shl(2, 63, &out));
  EXPECT_FALSE(checked_shl(1, 64, &out));
  EXPECT_TRUE(checked_align_up(513, 512, &out));
  EXPECT_EQ(out, 1024u);
  EXPECT_FALSE(checked_align_up(UINT64_MAX, 512, &out));
}

}  // namespace
}  // namespace instar
