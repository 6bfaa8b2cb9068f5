// vhdx_structures_test.cc: the VHDX decoders (CRC32C, headers, region table, metadata table,
// geometry, log entry checks) against qemu 7.2's rules, on tables built here as qemu writes them.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/formats/vhdx/log.h"
#include "guest/formats/vhdx/structures.h"

namespace instar::vhdx {
namespace {

using Buf = std::vector<uint8_t>;

void put16(Buf& b, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(Buf& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(Buf& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void seal(Buf& b) {
  put32(b, 4, 0);
  put32(b, 4, crc32c(0xffffffff, Bytes(b.data(), b.size())));
}
Bytes bytes(const Buf& b) {
  return Bytes(b.data(), b.size());
}

constexpr uint8_t kBat[16] = {0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                              0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08};
constexpr uint8_t kMeta[16] = {0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
                               0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e};
constexpr uint8_t kItems[5][16] = {{0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d, 0xb3, 0xb6,
                                    0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b},
                                   {0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11,
                                    0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8},
                                   {0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45, 0x93, 0xef,
                                    0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46},
                                   {0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47, 0xba, 0x47,
                                    0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f},
                                   {0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44, 0x9c, 0xc9,
                                    0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56}};

Buf header(uint64_t sequence) {
  Buf b(kHeaderSize, 0);
  std::memcpy(b.data(), "head", 4);
  put64(b, 8, sequence);
  put16(b, 0x42, 1);
  put32(b, 0x44, 1 << 20);
  put64(b, 0x48, 1 << 20);
  seal(b);
  return b;
}

Buf region_table() {
  Buf b(kRegionTableSize, 0);
  std::memcpy(b.data(), "regi", 4);
  put32(b, 8, 2);
  std::memcpy(&b[16], kBat, 16);
  put64(b, 32, 2 << 20);
  put32(b, 40, 1 << 20);
  put32(b, 44, 1);
  std::memcpy(&b[48], kMeta, 16);
  put64(b, 64, 3 << 20);
  put32(b, 72, 1 << 20);
  put32(b, 76, 1);
  seal(b);
  return b;
}

Buf metadata_table() {
  Buf b(kMetadataTableSize, 0);
  std::memcpy(b.data(), "metadata", 8);
  put16(b, 10, 5);
  for (int i = 0; i < 5; ++i) {
    std::memcpy(&b[32 + 32 * i], kItems[i], 16);
    put32(b, 32 + 32 * i + 16, 0x10000 + 8 * i);
    put32(b, 32 + 32 * i + 24, 4);
  }
  return b;
}

TEST(VhdxCrc, IsCastagnoli) {
  const char* text = "123456789";
  EXPECT_EQ(crc32c(0xffffffff, Bytes(reinterpret_cast<const uint8_t*>(text), 9)), 0xe3069283u);
}

TEST(VhdxHeader, PicksTheHigherSequence) {
  Header h;
  ASSERT_TRUE(select_header(bytes(header(7)), bytes(header(8)), &h).ok());
  EXPECT_EQ(h.sequence, 8u);
  ASSERT_TRUE(select_header(bytes(header(9)), bytes(header(8)), &h).ok());
  EXPECT_EQ(h.sequence, 9u);
  EXPECT_EQ(h.log_offset, 1u << 20);
}

TEST(VhdxHeader, OneValidHeaderIsEnough) {
  Buf bad = header(100);
  bad[20] ^= 1;  // checksum now wrong
  Header h;
  ASSERT_TRUE(select_header(bytes(bad), bytes(header(3)), &h).ok());
  EXPECT_EQ(h.sequence, 3u);
  Buf version = header(100);
  put16(version, 0x42, 2);
  seal(version);
  ASSERT_TRUE(select_header(bytes(header(3)), bytes(version), &h).ok());
  EXPECT_EQ(h.sequence, 3u);
}

TEST(VhdxHeader, EqualSequencesNeedIdenticalHeaders) {
  Header h;
  EXPECT_TRUE(select_header(bytes(header(5)), bytes(header(5)), &h).ok());
  Buf other = header(5);
  put32(other, 0x44, 2 << 20);
  seal(other);
  EXPECT_EQ(select_header(bytes(header(5)), bytes(other), &h).code(),
            instar_guest_ErrorCode_ERROR_VHDX_NO_VALID_HEADER);
  Buf bad = header(5);
  bad[0] = 'x';
  seal(bad);
  EXPECT_EQ(select_header(bytes(bad), bytes(bad), &h).code(),
            instar_guest_ErrorCode_ERROR_VHDX_NO_VALID_HEADER);
}

TEST(VhdxRegions, OverlapSearchesNewestFirst) {
  Regions r;
  r.add(100, 50);
  r.add(120, 10);
  EXPECT_EQ(r.overlap(125, 1), 1);
  EXPECT_EQ(r.overlap(140, 5), 0);
  EXPECT_EQ(r.overlap(150, 5), -1);
  EXPECT_EQ(r.overlap(0, 100), -1);
  // An empty region still overlaps a range spanning it (qemu's test).
  Regions e;
  e.add(10, 0);
  EXPECT_EQ(e.overlap(5, 10), 0);
}

TEST(VhdxRegionTable, DecodesBatAndMetadata) {
  Regions r;
  r.add(1 << 20, 1 << 20);
  RegionTable t;
  ASSERT_TRUE(decode_region_table(bytes(region_table()), &r, &t).ok());
  EXPECT_EQ(t.bat.offset, 2u << 20);
  EXPECT_EQ(t.metadata.offset, 3u << 20);
  EXPECT_EQ(r.count, 3u);
}

Status table_with(void (*edit)(Buf&), bool reseal = true) {
  Buf b = region_table();
  edit(b);
  if (reseal) seal(b);
  Regions r;
  r.add(1 << 20, 1 << 20);
  RegionTable t;
  return decode_region_table(bytes(b), &r, &t);
}

TEST(VhdxRegionTable, Refusals) {
  EXPECT_EQ(table_with([](Buf& b) { b[100] = 1; }, false).arg(0), kReasonRegionChecksum);
  EXPECT_EQ(table_with([](Buf& b) { b[0] = 'x'; }).arg(0), kReasonRegionSignature);
  EXPECT_EQ(table_with([](Buf& b) { put32(b, 8, 2048); }).arg(0), kReasonRegionCount);
  EXPECT_EQ(table_with([](Buf& b) { std::memcpy(&b[48], kBat, 16); }).arg(0),
            kReasonRegionDuplicate);
  EXPECT_EQ(table_with([](Buf& b) { put32(b, 8, 1); }).arg(0), kReasonRegionMissing);
  const Status required = table_with([](Buf& b) { b[48] = 0; });
  EXPECT_EQ(required.code(), instar_guest_ErrorCode_ERROR_VHDX_ENOTSUP);
  const Status overlap = table_with([](Buf& b) { put64(b, 32, 1 << 20); });
  EXPECT_EQ(overlap.code(), instar_guest_ErrorCode_ERROR_VHDX_REGION_OVERLAP);
  EXPECT_EQ(overlap.arg(0), 1u << 20);
  EXPECT_EQ(overlap.arg(3), 2u << 20);
}

TEST(VhdxMetadata, FindsTheFiveItems) {
  MetadataTable m;
  ASSERT_TRUE(decode_metadata_table(bytes(metadata_table()), &m).ok());
  EXPECT_EQ(m.file_parameters, 0x10000u);
  EXPECT_EQ(m.virtual_disk_size, 0x10008u);
  EXPECT_EQ(m.logical_sector_size, 0x10018u);
  EXPECT_EQ(m.physical_sector_size, 0x10020u);
}

TEST(VhdxMetadata, Refusals) {
  MetadataTable m;
  Buf b = metadata_table();
  b[0] = 'x';
  EXPECT_EQ(decode_metadata_table(bytes(b), &m).arg(0), kReasonMetadataSignature);
  b = metadata_table();
  put16(b, 10, 2048);  // 2047 entries still fit the 64 KiB after the 32-byte header
  EXPECT_EQ(decode_metadata_table(bytes(b), &m).arg(0), kReasonMetadataCount);
  b = metadata_table();
  std::memcpy(&b[64], kItems[0], 16);
  EXPECT_EQ(decode_metadata_table(bytes(b), &m).arg(0), kReasonMetadataDuplicate);
  b = metadata_table();
  b[64] ^= 0xff;
  EXPECT_EQ(decode_metadata_table(bytes(b), &m).arg(0), kReasonMetadataRequired);
  put32(b, 64 + 24, 0);  // not required: then it is simply missing
  EXPECT_EQ(decode_metadata_table(bytes(b), &m).arg(0), kReasonMetadataMissing);
}

TEST(VhdxGeometry, QemuDefaults) {
  Geometry g;
  ASSERT_TRUE(derive_geometry(8 << 20, 64 << 20, 512, &g).ok());
  EXPECT_EQ(g.chunk_ratio, 512u);
  EXPECT_EQ(g.bat_entries, 8u);
  EXPECT_EQ(g.total_sectors, (64u << 20) / 512);
  ASSERT_TRUE(derive_geometry(1 << 20, 4096ull << 20, 512, &g).ok());
  EXPECT_EQ(g.chunk_ratio, 4096u);
  EXPECT_EQ(g.bat_entries, 4096u);  // 4096 payload entries, no bitmap entry before the last
  EXPECT_EQ(bat_index(g, (4096ull << 20) / 512 - 1), 4095u);
  ASSERT_TRUE(derive_geometry(1 << 20, 4097ull << 20, 512, &g).ok());
  EXPECT_EQ(g.bat_entries, 4098u);
  EXPECT_EQ(bat_index(g, (4096ull << 20) / 512), 4097u);
}

TEST(VhdxGeometry, Refusals) {
  Geometry g;
  EXPECT_EQ(derive_geometry(4096, 1 << 20, 512, &g).arg(0), kReasonBlockSize);
  EXPECT_EQ(derive_geometry(512u << 20, 1 << 20, 512, &g).arg(0), kReasonBlockSize);
  EXPECT_EQ(derive_geometry(1 << 20, 1 << 20, 4096, &g).code(),
            instar_guest_ErrorCode_ERROR_VHDX_ENOTSUP);
  EXPECT_EQ(derive_geometry(3 << 20, 1 << 20, 512, &g).arg(0), kReasonGeometry);
  // qemu's u32 block count wraps: 2^32 + 1 blocks count as one.
  ASSERT_TRUE(derive_geometry(8 << 20, (1ull << 55) + (8 << 20), 512, &g).ok());
  EXPECT_EQ(g.bat_entries, 1u);
  ASSERT_TRUE(derive_geometry(8 << 20, 0, 512, &g).ok());
  EXPECT_EQ(g.bat_entries, 0xffffffffu >> 9);
}

TEST(VhdxLog, EntryHeaderChecks) {
  uint8_t guid[16] = {1, 2, 3};
  Buf b(64, 0);
  std::memcpy(b.data(), "loge", 4);
  put32(b, 8, 8192);
  put64(b, 16, 1);
  put32(b, 24, 1);
  std::memcpy(&b[32], guid, 16);
  LogEntryHeader h = decode_log_entry_header(bytes(b));
  EXPECT_TRUE(log_entry_header_valid(h, 1 << 20, guid));
  EXPECT_FALSE(log_entry_header_valid(h, 4096, guid));  // longer than the log
  h.entry_length = 100;
  EXPECT_FALSE(log_entry_header_valid(h, 1 << 20, guid));
  h.entry_length = 8192;
  h.sequence = 0;
  EXPECT_FALSE(log_entry_header_valid(h, 1 << 20, guid));
  h.sequence = 1;
  h.descriptor_count = 257;
  EXPECT_FALSE(log_entry_header_valid(h, 1 << 20, guid));
  h.descriptor_count = 1;
  uint8_t other[16] = {};
  EXPECT_FALSE(log_entry_header_valid(h, 1 << 20, other));
  EXPECT_EQ(descriptor_sectors(0), 1u);
  EXPECT_EQ(descriptor_sectors(126), 1u);
  EXPECT_EQ(descriptor_sectors(127), 2u);
}

TEST(VhdxLog, DescriptorChecks) {
  Buf d(32, 0);
  std::memcpy(d.data(), "desc", 4);
  put64(d, 16, 8192);
  put64(d, 24, 7);
  EXPECT_TRUE(log_descriptor_valid(bytes(d), 7));
  EXPECT_FALSE(log_descriptor_valid(bytes(d), 8));
  put64(d, 16, 100);
  EXPECT_FALSE(log_descriptor_valid(bytes(d), 7));
  put64(d, 16, 0);
  std::memcpy(d.data(), "zero", 4);
  put64(d, 8, 4096);
  EXPECT_TRUE(log_descriptor_valid(bytes(d), 7));
  put64(d, 8, 4095);
  EXPECT_FALSE(log_descriptor_valid(bytes(d), 7));
  std::memcpy(d.data(), "nope", 4);
  EXPECT_FALSE(log_descriptor_valid(bytes(d), 7));
}

TEST(VhdxProbe, Signature) {
  const uint8_t good[8] = {'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e'};
  EXPECT_EQ(probe(Bytes(good, 8)), 100);
  EXPECT_EQ(probe(Bytes(good, 7)), 0);
  const uint8_t bad[8] = {'v', 'h', 'd', 'x', 'f', 'i', 'l', 'x'};
  EXPECT_EQ(probe(Bytes(bad, 8)), 0);
}

}  // namespace
}  // namespace instar::vhdx
