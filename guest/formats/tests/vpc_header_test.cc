// vpc_header_test.cc: the VHD footer and dynamic header decoders, qemu 7.2's disk size rule,
// vpc_open()'s checks in qemu's order, and the probe.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/vpc/dynamic_header.h"
#include "guest/formats/vpc/footer.h"

namespace instar::vpc {
namespace {

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

// vpc_checksum() into the footer's checksum field.
void seal(std::vector<uint8_t>& b) {
  put32(b, 0x40, 0);
  uint32_t sum = 0;
  for (uint8_t byte : b) sum += byte;
  put32(b, 0x40, ~sum);
}

// What `qemu-img create -f vpc x.vhd 10M` writes at offset 0 (and at the end).
std::vector<uint8_t> qemu_footer() {
  std::vector<uint8_t> b(kFooterSize, 0);
  std::memcpy(b.data(), "conectix", 8);
  put32(b, 0x08, 2);
  put32(b, 0x0c, 0x10000);
  put64(b, 0x10, 0x200);
  std::memcpy(b.data() + 0x1c, "qemu", 4);
  std::memcpy(b.data() + 0x24, "Wi2k", 4);
  put64(b, 0x28, 10514432);
  put64(b, 0x30, 10514432);
  put16(b, 0x38, 302);
  b[0x3a] = 4;
  b[0x3b] = 17;
  put32(b, 0x3c, 3);
  for (int i = 0; i < 16; ++i) b[0x44 + i] = static_cast<uint8_t>(0xa0 + i);
  seal(b);
  return b;
}

// Its dynamic disk header at 0x200.
std::vector<uint8_t> qemu_dynamic_header() {
  std::vector<uint8_t> b(kDynamicHeaderSize, 0);
  std::memcpy(b.data(), "cxsparse", 8);
  put64(b, 0x08, ~uint64_t{0});
  put64(b, 0x10, 0x600);
  put32(b, 0x18, 0x10000);
  put32(b, 0x1c, 6);
  put32(b, 0x20, 2u << 20);
  return b;
}

Footer footer_of(const std::vector<uint8_t>& b) {
  return decode_footer(Bytes(b.data(), b.size()));
}

ErrorCode footer_refusal(const std::vector<uint8_t>& b) {
  uint64_t sectors = 0;
  return validate_footer(footer_of(b), &sectors).code();
}

DynamicHeader header_of(const std::vector<uint8_t>& b) {
  return decode_dynamic_header(Bytes(b.data(), b.size()));
}

TEST(VpcFooterTest, DecodesTheBigEndianFields) {
  const Footer f = footer_of(qemu_footer());
  EXPECT_TRUE(f.has_cookie);
  EXPECT_EQ(f.data_offset, 0x200u);
  EXPECT_EQ(std::memcmp(f.creator_app, "qemu", 4), 0);
  EXPECT_EQ(f.current_size, 10514432u);
  EXPECT_EQ(f.cyls, 302u);
  EXPECT_EQ(f.heads, 4u);
  EXPECT_EQ(f.secs_per_cyl, 17u);
  EXPECT_EQ(f.type, 3u);
  EXPECT_EQ(f.checksum, f.computed_checksum);
  EXPECT_FALSE(is_fixed_footer(f));
  uint64_t sectors = 0;
  ASSERT_TRUE(validate_footer(f, &sectors).ok());
  EXPECT_EQ(sectors, 302u * 4 * 17);
}

TEST(VpcFooterTest, AShortFooterDecodesAsZeros) {
  std::vector<uint8_t> b = qemu_footer();
  b.resize(100);
  EXPECT_FALSE(footer_of(b).has_cookie);
}

TEST(VpcFooterTest, TheChecksumCoversAll512Bytes) {
  std::vector<uint8_t> b = qemu_footer();
  b[0x1ff] = 1;  // reserved, still summed
  EXPECT_EQ(footer_refusal(b), instar_guest_ErrorCode_ERROR_VPC_CHECKSUM);
  seal(b);
  EXPECT_EQ(footer_refusal(b), instar_guest_ErrorCode_ERROR_NONE);
}

TEST(VpcFooterTest, OnlyAFixedTypeMakesATrailingFooter) {
  std::vector<uint8_t> b = qemu_footer();
  put32(b, 0x3c, kTypeFixed);
  EXPECT_TRUE(is_fixed_footer(footer_of(b)));
  b[0] = 'C';
  EXPECT_FALSE(is_fixed_footer(footer_of(b)));
}

// qemu 7.2: the CHS geometry, except for the current_size creator apps and the largest geometry.
TEST(VpcFooterTest, SizesByGeometryOrCurrentSizeAsQemu72) {
  std::vector<uint8_t> b = qemu_footer();
  put64(b, 0x30, 5000192 + 100);  // current_size is cut to whole sectors
  const uint64_t chs = 302u * 4 * 17;
  for (const char* app : {"qemu", "vpc ", "vs  ", "wa\0\0", "win\0", "tap ", "Win "}) {
    std::memcpy(b.data() + 0x1c, app, 4);
    EXPECT_EQ(disk_sectors(footer_of(b)), chs) << app;
  }
  for (const char* app : {"win ", "qem2", "d2v ", "CTXS", "tap\0"}) {
    std::memcpy(b.data() + 0x1c, app, 4);
    EXPECT_EQ(disk_sectors(footer_of(b)), 5000192u / 512) << app;
  }
  std::memcpy(b.data() + 0x1c, "qemu", 4);
  put16(b, 0x38, 65535);
  b[0x3a] = 16;
  b[0x3b] = 255;
  EXPECT_EQ(disk_sectors(footer_of(b)), 5000192u / 512);
  b[0x3b] = 254;
  EXPECT_EQ(disk_sectors(footer_of(b)), 65535u * 16 * 254);
}

TEST(VpcFooterTest, RefusesDisksOver2040GiB) {
  std::vector<uint8_t> b = qemu_footer();
  std::memcpy(b.data() + 0x1c, "win ", 4);
  put64(b, 0x30, kMaxSectors * 512);
  seal(b);
  EXPECT_EQ(footer_refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put64(b, 0x30, kMaxSectors * 512 + 512);
  seal(b);
  EXPECT_EQ(footer_refusal(b), instar_guest_ErrorCode_ERROR_VPC_TOO_LARGE);
  // The checksum comes first.
  b[0x100] = 1;
  EXPECT_EQ(footer_refusal(b), instar_guest_ErrorCode_ERROR_VPC_CHECKSUM);
}

TEST(VpcDynamicHeaderTest, DecodesTheBigEndianFields) {
  const DynamicHeader h = header_of(qemu_dynamic_header());
  EXPECT_TRUE(h.has_magic);
  EXPECT_EQ(h.table_offset, 0x600u);
  EXPECT_EQ(h.max_table_entries, 6u);
  EXPECT_EQ(h.block_size, 2u << 20);
  EXPECT_EQ(bitmap_size(h), 512u);
  EXPECT_EQ(table_bytes(h), 24u);
  EXPECT_TRUE(validate_dynamic_header(h, 302u * 4 * 17).ok());
  std::vector<uint8_t> b = qemu_dynamic_header();
  b.resize(512);
  EXPECT_FALSE(header_of(b).has_magic);
}

TEST(VpcDynamicHeaderTest, BitmapSizesRoundUpToASector) {
  std::vector<uint8_t> b = qemu_dynamic_header();
  put32(b, 0x20, 512);
  EXPECT_EQ(bitmap_size(header_of(b)), 0u);  // qemu's ((512 / 4096) + 511) & ~511
  put32(b, 0x20, 1u << 31);
  EXPECT_EQ(bitmap_size(header_of(b)), 1u << 19);
}

TEST(VpcDynamicHeaderTest, RefusesAsVpcOpenDoesInItsOrder) {
  const uint64_t sectors = 302u * 4 * 17;
  std::vector<uint8_t> b = qemu_dynamic_header();
  b[7] = 'E';
  put32(b, 0x20, 1000);
  EXPECT_EQ(validate_dynamic_header(header_of(b), sectors).code(),
            instar_guest_ErrorCode_ERROR_VPC_HEADER_MAGIC);
  b[7] = 'e';
  for (uint32_t bad : {0u, 1000u, 256u, 3u << 20}) {
    put32(b, 0x20, bad);
    const Status s = validate_dynamic_header(header_of(b), sectors);
    EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_VPC_BLOCK_SIZE) << bad;
    EXPECT_EQ(s.arg(0), bad);
  }
  put32(b, 0x20, 2u << 20);
  put32(b, 0x1c, 5);  // 10 MiB, not the 10514432 bytes of the disk
  EXPECT_EQ(validate_dynamic_header(header_of(b), sectors).code(),
            instar_guest_ErrorCode_ERROR_VPC_PAGE_TABLE_TOO_SMALL);
  put32(b, 0x20, 512);
  put32(b, 0x1c, 0x1fffffff);  // INT_MAX / 4: the largest count qemu takes
  EXPECT_TRUE(validate_dynamic_header(header_of(b), sectors).ok());
  put32(b, 0x1c, 0x20000000);
  Status s = validate_dynamic_header(header_of(b), sectors);
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_VPC_MAX_TABLE_ENTRIES);
  EXPECT_EQ(s.arg(0), 0x20000000u);
  // qemu's int count is negative: its product with the block size wraps above the disk size,
  // so the coverage check passes and the size check refuses it.
  put32(b, 0x1c, 0x80000000);
  put32(b, 0x20, 2u << 20);
  s = validate_dynamic_header(header_of(b), kMaxSectors);
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_VPC_MAX_TABLE_ENTRIES);
  EXPECT_EQ(s.arg(0), 0x80000000u);
  put32(b, 0x1c, 0);
  EXPECT_TRUE(validate_dynamic_header(header_of(b), 0).ok());
}

TEST(VpcProbeTest, ScoresTheCookie) {
  std::vector<uint8_t> b = qemu_footer();
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  EXPECT_EQ(probe(Bytes(b.data(), 8)), 100);
  EXPECT_EQ(probe(Bytes(b.data(), 7)), 0);
  b[7] = 'X';
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 0);
}

}  // namespace
}  // namespace instar::vpc
