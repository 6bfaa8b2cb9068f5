// parallels_header_test.cc: the Parallels header decoder, parallels_open()'s checks in qemu's
// order, both magics' geometry and the probe.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/parallels/header.h"

namespace instar::parallels {
namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// What `qemu-img create -f parallels x 4M` writes: 1 MiB clusters, 4 BAT entries.
std::vector<uint8_t> qemu_header() {
  std::vector<uint8_t> b(kHeaderBytes, 0);
  std::memcpy(b.data(), "WithouFreSpacExt", 16);
  put32(b, 0x10, 2);
  put32(b, 0x14, 16);
  put32(b, 0x18, 8);
  put32(b, 0x1c, 2048);
  put32(b, 0x20, 4);
  put64(b, 0x24, 8192);
  put32(b, 0x30, 2048);
  return b;
}

Header decoded(const std::vector<uint8_t>& b) {
  return decode_header(Bytes(b.data(), b.size()));
}

ErrorCode refusal(const std::vector<uint8_t>& b) {
  Geometry g;
  return validate(decoded(b), &g).code();
}

TEST(ParallelsHeaderTest, DecodesQemuHeader) {
  std::vector<uint8_t> b = qemu_header();
  put32(b, 0x2c, kInUseMagic);
  put64(b, 0x38, 77);
  const Header h = decoded(b);
  EXPECT_TRUE(h.new_magic);
  EXPECT_FALSE(h.old_magic);
  EXPECT_EQ(h.version, 2u);
  EXPECT_EQ(h.tracks, 2048u);
  EXPECT_EQ(h.bat_entries, 4u);
  EXPECT_EQ(h.nb_sectors, 8192u);
  EXPECT_EQ(h.inuse, kInUseMagic);
  EXPECT_EQ(h.data_off, 2048u);
  EXPECT_EQ(h.ext_off, 77u);
  Geometry g;
  ASSERT_TRUE(validate(h, &g).ok());
  EXPECT_EQ(g.cluster_size, 1u << 20);
  EXPECT_EQ(g.off_multiplier, 2048u);
  EXPECT_EQ(g.total_sectors, 8192u);
}

TEST(ParallelsHeaderTest, OldMagicCountsSectorsIn32Bits) {
  std::vector<uint8_t> b = qemu_header();
  std::memcpy(b.data(), "WithoutFreeSpace", 16);
  put64(b, 0x24, (uint64_t{1} << 40) | 100);
  Geometry g;
  ASSERT_TRUE(validate(decoded(b), &g).ok());
  EXPECT_EQ(g.off_multiplier, 1u);
  EXPECT_EQ(g.total_sectors, 100u);
}

TEST(ParallelsHeaderTest, ChecksInQemuOrder) {
  std::vector<uint8_t> b = qemu_header();
  put32(b, 0x1c, 0);
  put32(b, 0x20, 0xffffffff);
  put32(b, 0x10, 3);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_NOT_PARALLELS);
  put32(b, 0x10, 2);
  b[3] = 'X';
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_NOT_PARALLELS);
  b[3] = 'h';
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_ZERO_TRACKS);
  put32(b, 0x1c, 0x3fe010);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_TOO_BIG_CLUSTER);
  put32(b, 0x1c, 0x3fe00f);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_CATALOG_TOO_LARGE);
  put32(b, 0x20, 0x20000000);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_PARALLELS_CATALOG_TOO_LARGE);
  // The header read holding the BAT may be BDRV_REQUEST_MAX_BYTES long, no longer.
  put32(b, 0x20, 0x1fffff70);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put32(b, 0x20, 0x1fffff71);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
}

TEST(ParallelsHeaderTest, Probe) {
  std::vector<uint8_t> b = qemu_header();
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  EXPECT_EQ(probe(Bytes(b.data(), kHeaderBytes - 1)), 0);
  std::memcpy(b.data(), "WithoutFreeSpace", 16);
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  put32(b, 0x10, 1);
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 0);
}

}  // namespace
}  // namespace instar::parallels
