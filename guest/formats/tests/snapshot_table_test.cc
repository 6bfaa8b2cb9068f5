// snapshot_table_test.cc: snapshot entries decoded through the windowed reader.
#include "guest/formats/qcow2/snapshot_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar::qcow2 {
namespace {

struct Table {
  std::vector<uint8_t> image;
  MemoryBlockSource source{Bytes()};
  std::vector<uint8_t> window = std::vector<uint8_t>(4096);
  std::vector<uint8_t> scratch = std::vector<uint8_t>(kSnapshotNameScratchSize);
  explicit Table(std::vector<uint8_t> bytes)
      : image(std::move(bytes)), source(Bytes(image.data(), image.size())) {}
};

TEST(SnapshotTableTest, DecodesEntriesAcrossWindowRefills) {
  test::Qcow2ImageBuilder b;
  for (int i = 0; i < 40; ++i) {
    b.snapshots.push_back(test::SnapshotSpec{
        std::to_string(i + 1), std::string(100 + i, 'a' + i % 26), static_cast<uint32_t>(i), 7, 9,
        0, uint64_t(i) * 512, static_cast<uint64_t>(i), 24});
  }
  Table t(b.build());
  WindowedReader reader(t.source, MutableBytes(t.window.data(), t.window.size()));
  SnapshotTableReader table(reader, 4 * 65536, 40,
                            MutableBytes(t.scratch.data(), t.scratch.size()));
  for (int i = 0; i < 40; ++i) {
    Snapshot s;
    ASSERT_TRUE(table.next(&s).ok()) << i;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.id.data), s.id.size),
              std::to_string(i + 1));
    EXPECT_EQ(s.name.size, 100u + i);
    EXPECT_EQ(s.date_sec, static_cast<uint32_t>(i));
    EXPECT_EQ(s.vm_state_size, uint64_t(i) * 512);
    EXPECT_TRUE(s.has_icount);
    EXPECT_EQ(s.icount, static_cast<uint64_t>(i));
    EXPECT_TRUE(s.has_disk_size);
    EXPECT_EQ(s.disk_size, 16u << 20);
  }
  EXPECT_TRUE(table.done());
}

TEST(SnapshotTableTest, EntriesBeyondEofReadAsZero) {
  std::vector<uint8_t> image(4096, 0);
  Table t(image);
  WindowedReader reader(t.source, MutableBytes(t.window.data(), t.window.size()));
  SnapshotTableReader table(reader, 1 << 20, 2, MutableBytes(t.scratch.data(), t.scratch.size()));
  Snapshot s;
  ASSERT_TRUE(table.next(&s).ok());
  EXPECT_EQ(s.id.size, 0u);
  EXPECT_FALSE(s.has_icount);
  EXPECT_EQ(s.vm_state_size, 0u);
}

TEST(SnapshotTableTest, ExtraDataOverTheLimit) {
  test::Qcow2ImageBuilder b;
  b.snapshots = {test::SnapshotSpec{"1", "x", 0, 0, 0, 0, 0, 0, 1024}};
  Table ok(b.build());
  WindowedReader r1(ok.source, MutableBytes(ok.window.data(), ok.window.size()));
  SnapshotTableReader t1(r1, 4 * 65536, 1, MutableBytes(ok.scratch.data(), ok.scratch.size()));
  Snapshot s;
  EXPECT_TRUE(t1.next(&s).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.name.data), s.name.size), "x");

  b.snapshots[0].extra_data_size = 1025;
  Table bad(b.build());
  WindowedReader r2(bad.source, MutableBytes(bad.window.data(), bad.window.size()));
  SnapshotTableReader t2(r2, 4 * 65536, 1, MutableBytes(bad.scratch.data(), bad.scratch.size()));
  const Status status = t2.next(&s);
  EXPECT_EQ(status.code(), instar_guest_ErrorCode_ERROR_SNAPSHOT_EXTRA_TOO_LARGE);
  EXPECT_EQ(status.arg(0), 0u);
}

TEST(SnapshotTableTest, DecodeEntryHeader) {
  std::vector<uint8_t> raw(40, 0);
  test::put_be64(raw, 0, 0x50000);
  test::put_be32(raw, 8, 3);
  test::put_be16(raw, 12, 4);
  test::put_be16(raw, 14, 5);
  test::put_be32(raw, 32, 77);
  test::put_be32(raw, 36, 16);
  const SnapshotEntryHeader h = decode_snapshot_entry_header(raw.data());
  EXPECT_EQ(h.l1_table_offset, 0x50000u);
  EXPECT_EQ(h.l1_size, 3u);
  EXPECT_EQ(h.id_str_size, 4u);
  EXPECT_EQ(h.name_size, 5u);
  EXPECT_EQ(h.vm_state_size, 77u);
  EXPECT_EQ(h.extra_data_size, 16u);
}

}  // namespace
}  // namespace instar::qcow2
