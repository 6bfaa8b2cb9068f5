// qcow2_writer_layout_test.cc: the writer's layout facts that need no qemu-img (the observed
// layout in shared/reference/qemu-img-7.2.md section 7), over a MemoryBlockSink.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "guest/formats/qcow2/header_writer.h"
#include "guest/formats/qcow2/refcount_allocator.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/lib/arena.h"
#include "guest/lib/memory_block_sink.h"

namespace instar::qcow2 {
namespace {

class WriterLayoutTest : public testing::Test {
 protected:
  WriterLayoutTest() : file_(64u << 20), arena_memory_(16u << 20) {}

  Bytes create(const Qcow2CreateOptions& o, Qcow2Writer::CacheSlots slots = {}) {
    Arena arena(arena_memory_.data(), arena_memory_.size());
    sink_ = std::make_unique<MemoryBlockSink>(MutableBytes(file_.data(), file_.size()));
    Qcow2Writer writer(*sink_, sink_.get(), arena);
    EXPECT_TRUE(writer.create(o, slots).ok());
    EXPECT_TRUE(writer.finish().ok());
    return sink_->contents();
  }

  std::vector<uint8_t> file_;
  std::vector<uint8_t> arena_memory_;
  std::unique_ptr<MemoryBlockSink> sink_;
};

TEST_F(WriterLayoutTest, Fresh16MiB) {
  Qcow2CreateOptions o;
  o.size = 16u << 20;
  const Bytes f = create(o);
  ASSERT_EQ(f.size, 196616u);  // ends exactly behind the one-entry L1 table
  EXPECT_EQ(load_be32(f.data), 0x514649fbu);
  EXPECT_EQ(load_be32(f.data + 4), 3u);
  EXPECT_EQ(load_be64(f.data + 24), 16u << 20);
  EXPECT_EQ(load_be32(f.data + 36), 1u);             // l1_size
  EXPECT_EQ(load_be64(f.data + 40), 0x30000u);       // l1_table_offset
  EXPECT_EQ(load_be64(f.data + 48), 0x10000u);       // refcount_table_offset
  EXPECT_EQ(load_be32(f.data + 100), 112u);          // header_length
  EXPECT_EQ(load_be32(f.data + 0x70), 0x6803f857u);  // feature table first
  EXPECT_EQ(load_be32(f.data + 0x74), 384u);
  EXPECT_EQ(load_be64(f.data + 0x1f8), 0u);  // end marker
  EXPECT_EQ(load_be64(f.data + 0x10000), 0x20000u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(load_be16(f.data + 0x20000 + 2 * i), 1u);
  EXPECT_EQ(load_be16(f.data + 0x20008), 0u);
}

TEST_F(WriterLayoutTest, BackingNameFollowsTheEndMarker) {
  static const uint8_t kName[] = {'b', '.', 'q', 'c', 'o', 'w', '2'};
  static const uint8_t kFmt[] = {'q', 'c', 'o', 'w', '2'};
  Qcow2CreateOptions o;
  o.size = 16u << 20;
  o.has_backing_file = true;
  o.backing_file = Bytes(kName, sizeof kName);
  o.has_backing_fmt = true;
  o.backing_fmt = Bytes(kFmt, sizeof kFmt);
  Bytes f = create(o);
  EXPECT_EQ(load_be32(f.data + 0x70), 0xe2792acau);  // backing format
  EXPECT_EQ(load_be32(f.data + 0x80), 0x6803f857u);  // feature table
  EXPECT_EQ(load_be64(f.data + 8), 0x210u);          // backing_file_offset
  EXPECT_EQ(load_be32(f.data + 16), sizeof kName);
  o.compat_v3 = false;
  f = create(o);
  EXPECT_EQ(load_be32(f.data + 0x48), 0xe2792acau);
  EXPECT_EQ(load_be64(f.data + 8), 0x60u);
}

TEST_F(WriterLayoutTest, OneBitRefcountsPackFromTheLowBit) {
  Qcow2CreateOptions o;
  o.size = 16u << 20;
  o.refcount_bits = 1;
  const Bytes f = create(o);
  EXPECT_EQ(f[0x20000], 0x0f);
}

// 512-byte clusters with 64-bit refcounts: the L1 needs more refcount blocks than the first
// table holds, and the table grows behind them (rt = 0x400, 0x40600, ..., rt[8] = 0x40800).
TEST_F(WriterLayoutTest, RefcountTableGrowsAsQemus) {
  Qcow2CreateOptions o;
  o.size = 1ull << 30;
  o.cluster_size = 512;
  o.refcount_bits = 64;
  const Bytes f = create(o);
  const uint64_t rt = load_be64(f.data + 48);
  EXPECT_EQ(load_be64(f.data + rt), 0x400u);
  EXPECT_EQ(load_be64(f.data + rt + 8), 0x40600u);
  EXPECT_EQ(load_be64(f.data + rt + 64), 0x40800u);
}

TEST_F(WriterLayoutTest, RefcountMetadataSizeReachesAFixedPoint) {
  // 1000 clusters of 64k with 16-bit refcounts: one block, one table cluster.
  const RefcountMetadataSize m = refcount_metadata_size(1000, 65536, 4, false);
  EXPECT_EQ(m.refblock_count, 1u);
  EXPECT_EQ(m.bytes, 2u * 65536);
}

// Too few cache slots and no way to read an evicted table back: a clear error, not a wrong file.
TEST_F(WriterLayoutTest, EvictedTableWithoutReadBackFails) {
  Arena arena(arena_memory_.data(), arena_memory_.size());
  MemoryBlockSink sink(MutableBytes(file_.data(), file_.size()));
  Qcow2Writer writer(sink, nullptr, arena);
  Qcow2CreateOptions o;
  o.size = 4ull << 30;
  ASSERT_TRUE(writer.create(o, Qcow2Writer::CacheSlots{1, 1}).ok());
  std::vector<uint8_t> data(65536, 0xab);
  const Bytes cluster(data.data(), data.size());
  // Each L2 table maps 512 MiB: the second write evicts the first table, the third needs it.
  ASSERT_TRUE(writer.write(0, cluster).ok());
  ASSERT_TRUE(writer.write(1ull << 30, cluster).ok());
  EXPECT_EQ(writer.write(65536, cluster).code(), instar_guest_ErrorCode_ERROR_INTERNAL);
}

TEST_F(WriterLayoutTest, HeaderThatDoesNotFitIsRefused) {
  std::vector<uint8_t> name(600, 'n');
  Qcow2CreateOptions o;
  o.size = 1u << 20;
  o.cluster_size = 512;
  o.has_backing_file = true;
  o.backing_file = Bytes(name.data(), name.size());
  Arena arena(arena_memory_.data(), arena_memory_.size());
  MemoryBlockSink sink(MutableBytes(file_.data(), file_.size()));
  Qcow2Writer writer(sink, &sink, arena);
  EXPECT_EQ(writer.create(o).code(), instar_guest_ErrorCode_ERROR_CREATE_HEADER_NO_SPACE);
}

}  // namespace
}  // namespace instar::qcow2
