// writer_test.cc: the writer's encodings against the byte examples in the reference (§7).
#include <gtest/gtest.h>

#include "property-tests/writer/be_bytes.h"
#include "property-tests/writer/qcow2_writer.h"
#include "property-tests/writer/refcount_codec.h"

namespace instar::props {
namespace {

// Reference: a fresh 4-cluster image's refblock begins rb1 0f, rb2 55, rb4 1111, rb8 01010101,
// rb16 0001x4, rb32 00000001x4, rb64 0000000000000001x4.
TEST(RefcountCodec, FourClustersWithRefcountOneMatchQemu) {
  const std::vector<std::vector<uint8_t>> expected = {
      {0x0f}, {0x55}, {0x11, 0x11}, {1, 1, 1, 1}, {0, 1, 0, 1, 0, 1, 0, 1},
  };
  for (uint32_t order = 0; order < expected.size(); ++order) {
    const uint32_t bits = 1u << order;
    std::vector<uint8_t> block(64);
    for (uint64_t i = 0; i < 4; ++i) set_refcount(block.data(), i, bits, 1);
    const std::vector<uint8_t>& want = expected[order];
    EXPECT_EQ(std::vector<uint8_t>(block.begin(), block.begin() + want.size()), want)
        << "bits " << bits;
  }
}

TEST(RefcountCodec, SubByteEntriesDoNotDisturbNeighbours) {
  for (uint32_t bits : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
    std::vector<uint8_t> block(64);
    const uint64_t max = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    for (uint64_t i = 0; i < 8; ++i) set_refcount(block.data(), i, bits, max);
    set_refcount(block.data(), 3, bits, 0);
    for (uint64_t i = 0; i < 8; ++i) {
      EXPECT_EQ(get_refcount(block.data(), i, bits), i == 3 ? 0 : max) << bits << " " << i;
    }
  }
}

// Reference: "The plain v3 table is @0x70 with the end @0x1f8"; fresh create layout.
TEST(Qcow2Writer, PlainV3HeaderMatchesQemuCreate) {
  Model m;
  m.virtual_size = 16u << 20;
  const WrittenImage w = write_image(normalize(m));
  EXPECT_EQ(load_be(w.bytes, 0, 4), 0x514649fbu);
  EXPECT_EQ(load_be(w.bytes, 100, 4), 112u);
  ASSERT_EQ(w.layout.extensions.size(), 1u);
  EXPECT_EQ(w.layout.extensions[0].offset, 0x70u);
  EXPECT_EQ(w.layout.extensions_end, 0x1f8u);
  EXPECT_EQ(load_be(w.bytes, 36, 4), 1u);  // l1_size for 16 MiB with 64 KiB clusters
  EXPECT_EQ(w.layout.refcounts, (std::vector<uint64_t>{1, 1, 1, 1}));
}

// Reference: "The v2 backing case has fmt @0x48, end @0x58, name @0x60".
TEST(Qcow2Writer, V2BackingLayoutMatchesQemu) {
  Model m;
  m.version = 2;
  m.virtual_size = 1u << 20;
  m.backing_file = "base.raw";
  m.backing_format = "raw";
  const WrittenImage w = write_image(normalize(m));
  ASSERT_EQ(w.layout.extensions.size(), 1u);
  EXPECT_EQ(w.layout.extensions[0].offset, 0x48u);
  EXPECT_EQ(w.layout.extensions_end, 0x58u);
  EXPECT_EQ(w.layout.backing_file_offset, 0x60u);
}

// Reference: compressed entries like 0x400000000005004f (64 KiB clusters, no extra sector).
TEST(Qcow2Writer, CompressedEntryEncodesOffsetAndSectors) {
  Model m;
  m.virtual_size = 1u << 20;
  m.clusters.push_back({0, ClusterKind::kCompressed, {PatternKind::kFill, 7}, 0, 0});
  const WrittenImage w = write_image(normalize(m));
  const ClusterPlacement& p = w.layout.clusters.at(0);
  ASSERT_EQ(p.kind, ClusterKind::kCompressed);
  const uint64_t entry = load_be(w.bytes, p.l2_entry_offset, 8);
  EXPECT_EQ(entry & kCompressedFlag, kCompressedFlag);
  EXPECT_EQ(entry & kCopied, 0u);
  EXPECT_EQ(entry & ((uint64_t{1} << 54) - 1), p.host_offset);
  EXPECT_EQ((entry >> 54) & 0xff,
            (p.host_offset + p.compressed_size - 1) / 512 - p.host_offset / 512);
}

}  // namespace
}  // namespace instar::props
