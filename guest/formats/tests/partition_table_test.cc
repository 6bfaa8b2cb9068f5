// partition_table_test.cc: MBR plausibility and GPT signature recognition, and raw sizes.
#include "guest/formats/raw/partition_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/raw/raw_image.h"

namespace instar::raw {
namespace {

std::vector<uint8_t> mbr() {
  std::vector<uint8_t> s(1024, 0);
  s[510] = 0x55;
  s[511] = 0xaa;
  s[446] = 0x80;
  s[446 + 4] = 0x83;  // Linux
  return s;
}

TEST(PartitionTableTest, Mbr) {
  std::vector<uint8_t> s = mbr();
  EXPECT_TRUE(looks_like_mbr(Bytes(s.data(), s.size())));
  EXPECT_FALSE(looks_like_mbr(Bytes(s.data(), 511)));
  s[446 + 16] = 0x12;  // bad status byte in entry 2
  EXPECT_FALSE(looks_like_mbr(Bytes(s.data(), s.size())));
  s = mbr();
  s[446 + 4] = 0;  // no partition in use
  EXPECT_FALSE(looks_like_mbr(Bytes(s.data(), s.size())));
  s = mbr();
  s[511] = 0;
  EXPECT_FALSE(looks_like_mbr(Bytes(s.data(), s.size())));
}

TEST(PartitionTableTest, Gpt) {
  std::vector<uint8_t> s(1024, 0);
  EXPECT_FALSE(has_gpt_header(Bytes(s.data(), s.size())));
  std::memcpy(s.data() + 512, "EFI PART", 8);
  EXPECT_TRUE(has_gpt_header(Bytes(s.data(), s.size())));
  EXPECT_FALSE(has_gpt_header(Bytes(s.data(), 519)));
}

TEST(RawImageTest, VirtualSizeRoundsUpToSectors) {
  EXPECT_EQ(virtual_size(0), 0u);
  EXPECT_EQ(virtual_size(1), 512u);
  EXPECT_EQ(virtual_size(1000), 1024u);
  EXPECT_EQ(virtual_size(196616), 197120u);
  EXPECT_EQ(virtual_size(~0ull), ~0ull & ~511ull);
}

}  // namespace
}  // namespace instar::raw
