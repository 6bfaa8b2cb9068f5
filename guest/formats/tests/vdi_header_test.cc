// vdi_header_test.cc: the VDI header decoder, vdi_open()'s checks in qemu's order, and the probe.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/vdi/header.h"

namespace instar::vdi {
namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// What `qemu-img create -f vdi x.vdi 5M` writes (the fields qemu reads).
std::vector<uint8_t> qemu_header() {
  std::vector<uint8_t> b(kHeaderSize, 0);
  std::memcpy(b.data(), "<<< QEMU VM Virtual Disk Image >>>\n", 35);
  put32(b, 0x40, 0xbeda107f);
  put32(b, 0x44, 0x00010001);
  put32(b, 0x48, 0x180);
  put32(b, 0x4c, 1);
  put32(b, 0x154, 0x200);
  put32(b, 0x158, 0x400);
  put32(b, 0x168, 512);
  put64(b, 0x170, 5u << 20);
  put32(b, 0x178, 1u << 20);
  put32(b, 0x180, 5);
  put32(b, 0x184, 2);
  for (int i = 0; i < 32; ++i) b[0x188 + i] = static_cast<uint8_t>(i + 1);  // image, last snap
  return b;
}

Header decoded(const std::vector<uint8_t>& b) {
  return decode_header(Bytes(b.data(), b.size()));
}

ErrorCode refusal(const std::vector<uint8_t>& b) {
  Header h = decoded(b);
  return validate(&h).code();
}

TEST(VdiHeaderTest, DecodesTheLittleEndianFields) {
  const Header h = decoded(qemu_header());
  EXPECT_EQ(h.signature, kSignature);
  EXPECT_EQ(h.version, kVersion11);
  EXPECT_EQ(h.image_type, 1u);
  EXPECT_EQ(h.offset_bmap, 0x200u);
  EXPECT_EQ(h.offset_data, 0x400u);
  EXPECT_EQ(h.sector_size, 512u);
  EXPECT_EQ(h.disk_size, 5u << 20);
  EXPECT_EQ(h.block_size, 1u << 20);
  EXPECT_EQ(h.blocks_in_image, 5u);
  EXPECT_EQ(h.blocks_allocated, 2u);
  EXPECT_TRUE(h.link_uuid_null);
  EXPECT_TRUE(h.parent_uuid_null);
  EXPECT_EQ(block_map_bytes(h), 512u);
  Header ok = h;
  EXPECT_TRUE(validate(&ok).ok());
}

TEST(VdiHeaderTest, AShortHeaderDecodesAsZeros) {
  std::vector<uint8_t> b = qemu_header();
  b.resize(100);
  EXPECT_EQ(decoded(b).signature, 0u);
}

TEST(VdiHeaderTest, RoundsAnOddDiskSizeUpToASector) {
  std::vector<uint8_t> b = qemu_header();
  put64(b, 0x170, (5u << 20) - 100);
  Header h = decoded(b);
  ASSERT_TRUE(validate(&h).ok());
  EXPECT_EQ(h.disk_size, 5u << 20);
}

TEST(VdiHeaderTest, RefusesAsVdiOpenDoesInItsOrder) {
  std::vector<uint8_t> b = qemu_header();
  // The size limit comes before the signature.
  put32(b, 0x40, 0);
  put64(b, 0x170, kMaxDiskSize + 1);
  Header h = decoded(b);
  const Status s = validate(&h);
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_VDI_DISK_SIZE_TOO_LARGE);
  EXPECT_EQ(s.arg(0), kMaxDiskSize + 1);
  EXPECT_EQ(s.arg(1), 0x1fffff8000000u);
  put64(b, 0x170, 5u << 20);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_BAD_SIGNATURE);
  put32(b, 0x40, kSignature);
  put32(b, 0x44, 0x20003);
  h = decoded(b);
  const Status v = validate(&h);
  EXPECT_EQ(v.code(), instar_guest_ErrorCode_ERROR_VDI_VERSION);
  EXPECT_EQ(v.arg(0), 2u);
  EXPECT_EQ(v.arg(1), 3u);
  put32(b, 0x44, kVersion11);
  put32(b, 0x154, 0x201);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_BMAP_UNALIGNED);
  put32(b, 0x154, 0x200);
  put32(b, 0x158, 0x401);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_DATA_UNALIGNED);
  put32(b, 0x158, 0x400);
  put32(b, 0x168, 4096);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_SECTOR_SIZE);
  put32(b, 0x168, 512);
  put32(b, 0x178, 2u << 20);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_BLOCK_SIZE);
  put32(b, 0x178, 1u << 20);
  put64(b, 0x170, (5u << 20) + 1);  // rounded up first, then compared with the map's room
  h = decoded(b);
  const Status room = validate(&h);
  EXPECT_EQ(room.code(), instar_guest_ErrorCode_ERROR_VDI_DISK_SIZE_VS_BLOCKS);
  EXPECT_EQ(room.arg(0), (5u << 20) + 512);
  EXPECT_EQ(room.arg(1), 5u << 20);
  put64(b, 0x170, 5u << 20);
  b[0x1a8 + 15] = 1;
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_LINK_UUID);
  b[0x1a8 + 15] = 0;
  b[0x1b8] = 1;
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_PARENT_UUID);
  b[0x1b8] = 0;
  put32(b, 0x180, kMaxBlocks + 1);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_VDI_TOO_MANY_BLOCKS);
  put32(b, 0x180, kMaxBlocks);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  EXPECT_EQ(block_map_bytes(decoded(b)), 0x80000000u - 512);
}

TEST(VdiProbeTest, ScoresTheSignatureInAFullHeader) {
  std::vector<uint8_t> b = qemu_header();
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  EXPECT_EQ(probe(Bytes(b.data(), 511)), 0);  // vdi_probe(): buf_size < sizeof(VdiHeader)
  put32(b, 0x40, 0xbeda107e);
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 0);
}

}  // namespace
}  // namespace instar::vdi
