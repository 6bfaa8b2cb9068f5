// bitmap_directory_test.cc: directory entry decoding and check_dir_entry()'s constraints.
#include "guest/formats/qcow2/bitmap_directory.h"

#include <gtest/gtest.h>

#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar::qcow2 {
namespace {

BitmapDirectoryEntry valid_entry() {
  BitmapDirectoryEntry e;
  e.bitmap_table_offset = 0x60000;
  e.bitmap_table_size = 1;
  e.flags = kBitmapFlagAuto;
  e.type = kBitmapTypeDirtyTracking;
  e.granularity_bits = 16;
  e.name_size = 2;
  return e;
}

constexpr uint64_t kCluster = 65536;
constexpr uint64_t kDisk = 16 << 20;

TEST(BitmapDirectoryTest, DecodesEntry) {
  std::vector<uint8_t> raw(24, 0);
  test::put_be64(raw, 0, 0x60000);
  test::put_be32(raw, 8, 2);
  test::put_be32(raw, 12, 3);
  raw[16] = 1;
  raw[17] = 17;
  test::put_be16(raw, 18, 5);
  test::put_be32(raw, 20, 0);
  const BitmapDirectoryEntry e = decode_bitmap_directory_entry(raw.data());
  EXPECT_EQ(e.bitmap_table_offset, 0x60000u);
  EXPECT_EQ(e.bitmap_table_size, 2u);
  EXPECT_EQ(e.flags, 3u);
  EXPECT_EQ(e.type, 1u);
  EXPECT_EQ(e.granularity_bits, 17u);
  EXPECT_EQ(e.name_size, 5u);
}

TEST(BitmapDirectoryTest, Constraints) {
  EXPECT_TRUE(bitmap_entry_satisfies_constraints(valid_entry(), kCluster, kDisk));
  auto fails = [](void (*edit)(BitmapDirectoryEntry&)) {
    BitmapDirectoryEntry e = valid_entry();
    edit(e);
    return !bitmap_entry_satisfies_constraints(e, kCluster, kDisk);
  };
  EXPECT_TRUE(fails([](auto& e) { e.bitmap_table_size = 0; }));
  EXPECT_TRUE(fails([](auto& e) { e.bitmap_table_offset = 0; }));
  EXPECT_TRUE(fails([](auto& e) { e.bitmap_table_offset = 0x60200; }));
  EXPECT_TRUE(fails([](auto& e) { e.bitmap_table_size = kBitmapMaxTableSize + 1; }));
  EXPECT_TRUE(fails([](auto& e) { e.granularity_bits = 8; }));
  EXPECT_TRUE(fails([](auto& e) { e.granularity_bits = 32; }));
  EXPECT_TRUE(fails([](auto& e) { e.flags = 4; }));
  EXPECT_TRUE(fails([](auto& e) { e.name_size = 1024; }));
  EXPECT_TRUE(fails([](auto& e) { e.type = 2; }));
  EXPECT_TRUE(fails([](auto& e) { e.bitmap_table_size = 8193; }));  // > 512 MiB of bitmap
  // Too small for the disk only matters while the bitmap is consistent.
  BitmapDirectoryEntry small = valid_entry();
  small.granularity_bits = 9;
  EXPECT_FALSE(bitmap_entry_satisfies_constraints(small, kCluster, 1ull << 30));
  small.flags |= kBitmapFlagInUse;
  EXPECT_TRUE(bitmap_entry_satisfies_constraints(small, kCluster, 1ull << 30));
}

TEST(BitmapDirectoryTest, WalksDirectoryBuiltByTheBuilder) {
  test::Qcow2ImageBuilder b;
  b.bitmaps = {test::BitmapSpec{"first", 16, 2, 1, 1}, test::BitmapSpec{"second", 20, 1, 1, 1}};
  const std::vector<uint8_t> image = b.build();
  MemoryBlockSource source(Bytes(image.data(), image.size()));
  std::vector<uint8_t> window(4096), scratch(kBitmapNameScratchSize);
  WindowedReader reader(source, MutableBytes(window.data(), window.size()));
  BitmapDirectoryReader dir(reader, 5 * kCluster, 64, 2, kCluster, kDisk,
                            MutableBytes(scratch.data(), scratch.size()));
  ASSERT_TRUE(dir.start().ok());
  Bitmap bm;
  ASSERT_TRUE(dir.next(&bm).ok());
  EXPECT_EQ(bm.name.size, 5u);
  EXPECT_EQ(bm.granularity_bits, 16u);
  EXPECT_EQ(bm.flags, 2u);
  ASSERT_FALSE(dir.at_end());
  ASSERT_TRUE(dir.next(&bm).ok());
  EXPECT_EQ(bm.name.size, 6u);
  EXPECT_EQ(bm.flags, 1u);
  EXPECT_TRUE(dir.at_end());
  EXPECT_TRUE(dir.finish().ok());
}

TEST(BitmapDirectoryTest, HugeExtraDataReportsExtraDataLikeQemu) {
  // 24 + 0 + 0xfffffff8 truncates to a small int in qemu, so the entry is not "broken".
  test::Qcow2ImageBuilder b;
  b.bitmaps = {test::BitmapSpec{"x", 16, 2, 1, 1}};
  std::vector<uint8_t> image = b.build();
  test::put_be32(image, 5 * kCluster + 20, 0xfffffff0);
  MemoryBlockSource source(Bytes(image.data(), image.size()));
  std::vector<uint8_t> window(4096), scratch(kBitmapNameScratchSize);
  WindowedReader reader(source, MutableBytes(window.data(), window.size()));
  BitmapDirectoryReader dir(reader, 5 * kCluster, 32, 1, kCluster, kDisk,
                            MutableBytes(scratch.data(), scratch.size()));
  Bitmap bm;
  EXPECT_EQ(dir.next(&bm).code(), instar_guest_ErrorCode_ERROR_BITMAP_EXTRA_DATA);
}

}  // namespace
}  // namespace instar::qcow2
