// qed_header_test.cc: the QED header decoder, bdrv_qed_do_open()'s checks in qemu's order, the
// offset validity rules and qemu's cluster numbering, and the probe.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/qed/header.h"

namespace instar::qed {
namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

constexpr uint64_t kFileLength = 0x50000;  // header + 4-cluster L1 table at 64 KiB clusters

// What `qemu-img create -f qed x.qed 10M` writes.
std::vector<uint8_t> qemu_header() {
  std::vector<uint8_t> b(kHeaderBytes, 0);
  std::memcpy(b.data(), "QED", 4);
  put32(b, 0x04, 65536);
  put32(b, 0x08, 4);
  put32(b, 0x0c, 1);
  put64(b, 0x28, 65536);
  put64(b, 0x30, 10u << 20);
  return b;
}

Header decoded(const std::vector<uint8_t>& b) {
  return decode_header(Bytes(b.data(), b.size()));
}

ErrorCode refusal(const std::vector<uint8_t>& b, uint64_t file_length = kFileLength) {
  Geometry g;
  return validate(decoded(b), file_length, &g).code();
}

TEST(QedHeaderTest, DecodesTheLittleEndianFields) {
  std::vector<uint8_t> b = qemu_header();
  put64(b, 0x10, 5);
  put64(b, 0x18, 0x1122334455667788);
  put64(b, 0x20, 0x99);
  put32(b, 0x38, 64);
  put32(b, 0x3c, 7);
  const Header h = decoded(b);
  EXPECT_EQ(h.magic, kMagic);
  EXPECT_EQ(h.cluster_size, 65536u);
  EXPECT_EQ(h.table_size, 4u);
  EXPECT_EQ(h.header_size, 1u);
  EXPECT_EQ(h.features, 5u);
  EXPECT_EQ(h.compat_features, 0x1122334455667788u);
  EXPECT_EQ(h.autoclear_features, 0x99u);
  EXPECT_EQ(h.l1_table_offset, 65536u);
  EXPECT_EQ(h.image_size, 10u << 20);
  EXPECT_EQ(h.backing_filename_offset, 64u);
  EXPECT_EQ(h.backing_filename_size, 7u);
}

TEST(QedHeaderTest, ShortInputDecodesAsZeros) {
  const std::vector<uint8_t> b(10, 0xff);
  EXPECT_EQ(decoded(b).magic, 0u);
}

TEST(QedHeaderTest, AcceptsQemusImageAndDerivesItsGeometry) {
  Geometry g;
  ASSERT_TRUE(validate(decoded(qemu_header()), kFileLength + 100, &g).ok());
  EXPECT_EQ(g.file_size, kFileLength);  // rounded down to a cluster
  EXPECT_EQ(g.table_nelems, 32768u);
  EXPECT_EQ(g.l2_shift, 16u);
  EXPECT_EQ(g.l1_shift, 31u);
  EXPECT_EQ(g.header_bytes, 65536u);
}

// bdrv_getlength() counts whole sectors: a file 512 bytes or less short of a cluster boundary
// ends at that boundary.
TEST(QedHeaderTest, FileSizeCountsWholeSectors) {
  Geometry g;
  ASSERT_TRUE(validate(decoded(qemu_header()), kFileLength + 65536 - 511, &g).ok());
  EXPECT_EQ(g.file_size, kFileLength + 65536);
  ASSERT_TRUE(validate(decoded(qemu_header()), kFileLength + 65536 - 512, &g).ok());
  EXPECT_EQ(g.file_size, kFileLength);
}

TEST(QedHeaderTest, ChecksInQemusOrder) {
  std::vector<uint8_t> b = qemu_header();
  b[0] = 'X';
  put32(b, 0x04, 3);  // also a bad cluster size: the magic is checked first
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_NOT_QED);
  b[0] = 'Q';
  put64(b, 0x10, 0x38);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_UNSUPPORTED_FEATURES);
  Geometry g;
  EXPECT_EQ(validate(decoded(b), kFileLength, &g).arg(0), 0x38u);
  put64(b, 0x10, 0);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_CLUSTER_SIZE);
  put32(b, 0x04, 65536);
  put32(b, 0x08, 3);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_TABLE_SIZE);
  put32(b, 0x08, 4);
  put64(b, 0x30, 1000);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_IMAGE_SIZE);
  put64(b, 0x30, 1024);
  put64(b, 0x28, 65536 + 512);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_TABLE_OFFSET);
  put64(b, 0x28, 65536);
  put32(b, 0x0c, 0x10000);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_TABLE_OFFSET);  // L1 inside the header
  put64(b, 0x28, 0x20000000000);
  EXPECT_EQ(refusal(b, 0x30000000000), instar_guest_ErrorCode_ERROR_QED_HEADER_SIZE);
  put32(b, 0x0c, 1);
  put64(b, 0x28, 65536);
  put64(b, 0x10, kFeatureBackingFile);
  put32(b, 0x38, 65000);
  put32(b, 0x3c, 537);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_BACKING_NAME_OFFSET);
  put32(b, 0x3c, 536);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put32(b, 0x0c, 2);
  put64(b, 0x28, 0x20000);
  put32(b, 0x38, 64);
  put32(b, 0x3c, 4096);
  EXPECT_EQ(refusal(b, 0x60000), instar_guest_ErrorCode_ERROR_QED_BACKING_NAME_READ);
  put32(b, 0x3c, 4095);
  EXPECT_EQ(refusal(b, 0x60000), instar_guest_ErrorCode_ERROR_NONE);
}

TEST(QedHeaderTest, ClusterAndTableSizeLimits) {
  std::vector<uint8_t> b = qemu_header();
  for (uint32_t bad : {0u, 2048u, 4096u * 3, 128u << 20}) {
    put32(b, 0x04, bad);
    EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_CLUSTER_SIZE) << bad;
  }
  put32(b, 0x04, 65536);
  for (uint32_t bad : {0u, 3u, 32u}) {
    put32(b, 0x08, bad);
    EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_TABLE_SIZE) << bad;
  }
}

// qed_check_table_offset()'s overflow check also refuses every one-cluster table.
TEST(QedHeaderTest, OneClusterTablesAreNeverValid) {
  std::vector<uint8_t> b = qemu_header();
  put32(b, 0x08, 1);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_TABLE_OFFSET);
}

// qed_max_image_size() wraps in 64 bits: with 4 MiB clusters and 16-cluster tables it is 0.
TEST(QedHeaderTest, MaxImageSizeWrapsAsQemus) {
  std::vector<uint8_t> b = qemu_header();
  put32(b, 0x04, 4u << 20);
  put32(b, 0x08, 16);
  put64(b, 0x28, 4u << 20);
  put64(b, 0x30, 512);
  EXPECT_EQ(refusal(b, 80u << 20), instar_guest_ErrorCode_ERROR_QED_IMAGE_SIZE);
  put64(b, 0x30, 0);
  EXPECT_EQ(refusal(b, 80u << 20), instar_guest_ErrorCode_ERROR_NONE);
  put32(b, 0x04, 65536);
  put32(b, 0x08, 4);
  put64(b, 0x28, 65536);
  put64(b, 0x30, uint64_t{1} << 46);  // (2^15)^2 * 2^16 = 2^46: the largest size
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_NONE);
  put64(b, 0x30, (uint64_t{1} << 46) + 512);
  EXPECT_EQ(refusal(b), instar_guest_ErrorCode_ERROR_QED_IMAGE_SIZE);
}

TEST(QedHeaderTest, OffsetValidity) {
  Header h = decoded(qemu_header());
  Geometry g;
  ASSERT_TRUE(validate(h, kFileLength, &g).ok());
  EXPECT_FALSE(valid_cluster_offset(h, g, 0));  // the header
  EXPECT_TRUE(valid_cluster_offset(h, g, 0x10000));
  EXPECT_FALSE(valid_cluster_offset(h, g, 0x10200));      // unaligned
  EXPECT_FALSE(valid_cluster_offset(h, g, kFileLength));  // past the (rounded) end
  EXPECT_TRUE(valid_table_offset(h, g, 0x10000));
  EXPECT_FALSE(valid_table_offset(h, g, 0x20000));            // its last cluster is past the end
  EXPECT_FALSE(valid_table_offset(h, g, ~uint64_t{0xffff}));  // wraps
}

// qed_bytes_to_clusters() divides by cluster_size - 1: cluster numbers drift by one every
// cluster_size - 1 clusters, which check's leak count inherits.
TEST(QedHeaderTest, BytesToClustersIsQemus) {
  Header h = decoded(qemu_header());
  h.cluster_size = 4096;
  EXPECT_EQ(bytes_to_clusters(h, 0), 0u);
  EXPECT_EQ(bytes_to_clusters(h, 1), 1u);
  EXPECT_EQ(bytes_to_clusters(h, 4096), 1u);
  EXPECT_EQ(bytes_to_clusters(h, 4094u * 4096), 4094u);
  EXPECT_EQ(bytes_to_clusters(h, 4095u * 4096), 4096u);
}

TEST(QedHeaderTest, Probe) {
  std::vector<uint8_t> b = qemu_header();
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 100);
  EXPECT_EQ(probe(Bytes(b.data(), 63)), 0);
  b[1] = 'F';
  EXPECT_EQ(probe(Bytes(b.data(), b.size())), 0);
}

}  // namespace
}  // namespace instar::qed
