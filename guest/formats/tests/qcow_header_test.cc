// qcow_header_test.cc: the qcow (v1) header decoder, qcow_open()'s checks in qemu's order, the
// geometry, compressed entries and the probe.
#include <gtest/gtest.h>

#include <vector>

#include "guest/formats/qcow/header.h"

namespace instar::qcow {
namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

// What `qemu-img create -f qcow x.qcow 4M` writes: 4 KiB clusters, 512 L2 entries.
std::vector<uint8_t> qemu_header() {
  std::vector<uint8_t> b(kHeaderBytes, 0);
  put32(b, 0x00, kMagic);
  put32(b, 0x04, 1);
  put64(b, 0x18, 4u << 20);
  b[0x20] = 12;
  b[0x21] = 9;
  put64(b, 0x28, 0x30);
  return b;
}

Header decoded(const std::vector<uint8_t>& b) {
  return decode_header(Bytes(b.data(), b.size()));
}

ErrorCode refusal(const std::vector<uint8_t>& b, bool no_io = false) {
  Geometry g;
  return validate(decoded(b), no_io, &g).code();
}

TEST(QcowHeaderTest, DecodesQemuHeader) {
  std::vector<uint8_t> b = qemu_header();
  put64(b, 0x08, 0x30);
  put32(b, 0x10, 9);
  const Header h = decoded(b);
  EXPECT_EQ(h.magic, kMagic);
  EXPECT_EQ(h.version, 1u);
  EXPECT_EQ(h.backing_file_offset, 0x30u);
  EXPECT_EQ(h.backing_file_size, 9u);
  EXPECT_EQ(h.size, 4u << 20);
  EXPECT_EQ(h.cluster_bits, 12);
  EXPECT_EQ(h.l2_bits, 9);
  EXPECT_EQ(h.l1_table_offset, 0x30u);
  Geometry g;
  ASSERT_TRUE(validate(h, false, &g).ok());
  EXPECT_EQ(g.cluster_size, 4096u);
  EXPECT_EQ(g.l2_entries, 512u);
  EXPECT_EQ(g.l1_entries, 2u);  // 2 MiB per L2 table
  EXPECT_EQ(g.length, 4u << 20);
}

TEST(QcowHeaderTest, ShortInputDecodesAsZeros) {
  EXPECT_EQ(decode_header(Bytes(nullptr, 0)).magic, 0u);
}

TEST(QcowHeaderTest, ChecksInQemuOrder) {
  std::vector<uint8_t> b = qemu_header();
  b[0x20] = 0;  // every later field bad too: the first check wins
  put32(b, 0x04, 2);
  put32(b, 0x00, 0);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_NOT_QCOW);
  put32(b, 0x00, kMagic);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_VERSION);
  put32(b, 0x04, 1);
  put64(b, 0x18, 1);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_SIZE_TOO_SMALL);
  put64(b, 0x18, 2);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_CLUSTER_SIZE);
  for (uint8_t bits : {8, 17}) {
    b[0x20] = bits;
    EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_CLUSTER_SIZE);
  }
  b[0x20] = 9;
  for (uint8_t bits : {5, 14}) {
    b[0x21] = bits;
    EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_L2_SIZE);
  }
  b[0x21] = 6;
  put32(b, 0x24, 2);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_CRYPT_METHOD);
  put32(b, 0x24, 1);  // AES: the key is asked for before the size is looked at
  put64(b, 0x18, ~uint64_t{0});
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  EXPECT_EQ(refusal(b, true), instar_guest_ErrorCode_ERROR_QCOW1_TOO_LARGE);
  put32(b, 0x24, 0);
  put64(b, 0x18, 2);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
}

TEST(QcowHeaderTest, SizeLimits) {
  std::vector<uint8_t> b = qemu_header();
  put64(b, 0x18, ~uint64_t{0} - (uint64_t{1} << 21) + 1);  // just past UINT64_MAX - span
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_TOO_LARGE);
  // INT_MAX / 8 L1 entries of 2 MiB fit; one more does not.
  put64(b, 0x18, uint64_t{0x7fffffff / 8} << 21);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put64(b, 0x18, (uint64_t{0x7fffffff / 8} << 21) + 1);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_TOO_LARGE);
  // Sizes are cut to whole sectors.
  put64(b, 0x18, 1000);
  Geometry g;
  ASSERT_TRUE(validate(decoded(b), false, &g).ok());
  EXPECT_EQ(g.length, 512u);
  EXPECT_EQ(g.l1_entries, 1u);
}

TEST(QcowHeaderTest, TableReadsPastMaxLength) {
  std::vector<uint8_t> b = qemu_header();
  put64(b, 0x28, kMaxLength - 16);  // two L1 entries end exactly there
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put64(b, 0x28, kMaxLength - 8);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
  put64(b, 0x28, 0x30);
  put64(b, 0x08, kMaxLength);
  put32(b, 0x10, 1);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
  put32(b, 0x10, 1024);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QCOW1_BACKING_NAME_TOO_LONG);
  put64(b, 0x08, 0);  // no backing file: its size is not looked at
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
}

TEST(QcowHeaderTest, CompressedExtent) {
  // 4 KiB clusters: the size sits in bits 51..62.
  const uint64_t entry = kCompressed | (uint64_t{300} << 51) | 0x12345;
  const CompressedExtent e = compressed_extent(entry, 12);
  EXPECT_EQ(e.offset, 0x12345u);
  EXPECT_EQ(e.size, 300u);
}

TEST(QcowHeaderTest, Probe) {
  std::vector<uint8_t> b = qemu_header();
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  EXPECT_EQ(probe(Bytes(b.data(), kHeaderBytes - 1)), 0);
  put32(b, 0x04, 2);
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 0);
}

}  // namespace
}  // namespace instar::qcow
