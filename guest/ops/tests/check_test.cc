// check_test.cc: the check op over qemu-img-made images and crafted corruptions (reference §3).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine/render/check_lines.h"
#include "guest/lib/bytes.h"
#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";

struct Outcome {
  bool ok = false;
  std::string diagnostics;
  instar_guest_CheckResult result = instar_guest_CheckResult_init_zero;
};

Outcome check(const std::vector<uint8_t>& image) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kCheck);
  const auto messages = run_op_on(op, {image});
  Outcome out;
  // The lines as the host renders them from the guest's codes and numbers.
  render::CheckLines lines;
  for (const auto& m : messages) {
    if (m.which_body == instar_guest_GuestMessage_check_diagnostics_tag) {
      const auto& d = m.body.check_diagnostics;
      EXPECT_EQ(lines.AppendWords({d.words, d.words_count}), "");
    } else if (m.which_body == instar_guest_GuestMessage_check_snapshot_line_tag) {
      const auto& l = m.body.check_snapshot_line;
      EXPECT_EQ(lines.AppendSnapshotLine(static_cast<uint64_t>(l.line), as_string(l.id),
                                         as_string(l.name), l.value),
                "");
    } else if (m.which_body == instar_guest_GuestMessage_check_result_tag) {
      out.result = m.body.check_result;
      out.ok = true;
    }
  }
  lines.Render([&out](std::string_view line) { out.diagnostics += line; });
  EXPECT_FALSE(messages.empty());
  if (!messages.empty()) {
    EXPECT_EQ(messages.back().which_body, instar_guest_GuestMessage_done_tag);
  }
  return out;
}

class CheckTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kQemuImg, X_OK) != 0) GTEST_SKIP() << "qemu-img not installed";
    char pattern[] = "/tmp/instar-check-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    // The reference's base image: 16M v3, 128k written: L2 @0x40000, data in clusters 5 and 6.
    run("qemu-img create -q -f qcow2 b.qcow2 16M && qemu-io -c 'write -P 1 0 128k' b.qcow2");
    base_ = read_file(dir_ + "/b.qcow2");
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  void run(const std::string& commands) {
    const std::string cmd = "cd '" + dir_ + "' && (" + commands + ") >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << commands;
  }
  // Patches one big-endian u64 of a copy of the base image.
  std::vector<uint8_t> patched(uint64_t offset, uint64_t value) const {
    std::vector<uint8_t> image = base_;
    store_be64(image.data() + offset, value);
    return image;
  }

  static constexpr uint64_t kL1 = 0x30000;
  static constexpr uint64_t kL2 = 0x40000;
  static constexpr uint64_t kRefTable = 0x10000;
  static constexpr uint64_t kRefBlock = 0x20000;
  std::string dir_;
  std::vector<uint8_t> base_;
};

TEST_F(CheckTest, CleanImage) {
  const Outcome o = check(base_);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics, "");
  EXPECT_EQ(o.result.format, instar_guest_Format_FORMAT_QCOW2);
  EXPECT_EQ(o.result.corruptions + o.result.leaks + o.result.check_errors, 0u);
  EXPECT_EQ(o.result.allocated_clusters, 2u);
  EXPECT_EQ(o.result.total_clusters, 256u);
  EXPECT_EQ(o.result.image_end_offset, 458752u);
}

TEST_F(CheckTest, RawHasNoCheck) {
  run("truncate -s 1M r.raw");
  const Outcome o = check(read_file(dir_ + "/r.raw"));
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.result.format, instar_guest_Format_FORMAT_RAW);
}

struct Crafted {
  const char* name;
  uint64_t offset;  // where the u64 goes
  uint64_t value;
  const char* diagnostics;
  uint64_t corruptions, leaks, check_errors, end_offset;
};

TEST_F(CheckTest, CraftedCorruptions) {
  // 16-bit refcounts: cluster n's refcount is the u16 at kRefBlock + 2n (patched as part of a
  // u64 covering clusters 4..7: refcounts 1,1,1,0 originally).
  const Crafted cases[] = {
      {"leak", kL2 + 8, 0, "Leaked cluster 6 refcount=1 reference=0\n", 0, 1, 0, 458752},
      {"refcount 5 = 0", kRefBlock + 8, 0x0001000000010000,
       "ERROR cluster 5 refcount=0 reference=1\n"
       "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000050000 refcount=0\n",
       2, 0, 0, 458752},
      {"refcount 5 = 2", kRefBlock + 8, 0x0001000200010000,
       "Leaked cluster 5 refcount=2 reference=1\n"
       "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000050000 refcount=2\n",
       1, 1, 0, 458752},
      {"COPIED clear", kL2, 0x50000, "ERROR OFLAG_COPIED data cluster: l2_entry=50000 refcount=1\n",
       1, 0, 0, 458752},
      {"misaligned", kL2, 0x8000000000050200,
       "ERROR offset=50200: Data cluster is not properly aligned; L2 entry corrupted.\n"
       "ERROR cluster 6 refcount=1 reference=2\n",
       2, 0, 0, 458752},
      {"past EOF", kL2, 0x8000000000100000,
       "ERROR: counting reference for region exceeding the end of the file by one cluster or "
       "more: offset 0x100000 size 0x10000\n"
       "Leaked cluster 5 refcount=1 reference=0\n"
       "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000100000 refcount=0\n",
       2, 1, 0, 458752},
      {"L2 reserved", kL2, 0x8100000000050000,
       "ERROR found l2 entry with reserved bits set: 8100000000050000\n", 1, 0, 0, 458752},
      {"L2 to cluster 0", kL2, 0x8000000000000000, "Leaked cluster 5 refcount=1 reference=0\n", 0,
       1, 0, 458752},
      {"L1 reserved", kL1, 0x8100000000040000,
       "ERROR found L1 entry with reserved bits set: 8100000000040000\n", 1, 0, 0, 458752},
      {"L1 COPIED clear", kL1, 0x40000,
       "ERROR OFLAG_COPIED L2 cluster: l1_index=0 l1_entry=40000 refcount=1\n", 1, 0, 0, 458752},
      {"reftable 0", kRefTable, 0,
       "ERROR cluster 0 refcount=0 reference=1\nERROR cluster 1 refcount=0 reference=1\n"
       "ERROR cluster 3 refcount=0 reference=1\nERROR cluster 4 refcount=0 reference=1\n"
       "ERROR cluster 5 refcount=0 reference=1\nERROR cluster 6 refcount=0 reference=1\n"
       "ERROR OFLAG_COPIED L2 cluster: l1_index=0 l1_entry=8000000000040000 refcount=0\n"
       "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000050000 refcount=0\n"
       "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000060000 refcount=0\n",
       9, 0, 0, 458752},
  };
  for (const Crafted& c : cases) {
    const Outcome o = check(patched(c.offset, c.value));
    ASSERT_TRUE(o.ok) << c.name;
    EXPECT_EQ(o.diagnostics, c.diagnostics) << c.name;
    EXPECT_EQ(o.result.corruptions, c.corruptions) << c.name;
    EXPECT_EQ(o.result.leaks, c.leaks) << c.name;
    EXPECT_EQ(o.result.check_errors, c.check_errors) << c.name;
    EXPECT_EQ(o.result.image_end_offset, c.end_offset) << c.name;
  }
}

TEST_F(CheckTest, ExternalDataFileClustersCountAsRefcountOne) {
  // Data clusters live in the data file, so the image file's refcounts do not cover them: qemu
  // takes their refcount as 1. The cluster at guest 512k sits at data-file offset 0x80000, past
  // the image file's end, where a lookup in the image's refcounts would find 0.
  run("qemu-img create -q -f qcow2 -o data_file=d.raw d.qcow2 1M && "
      "qemu-io -c 'write -P 1 512k 64k' d.qcow2");
  std::vector<uint8_t> image = read_file(dir_ + "/d.qcow2");
  const Outcome clean = check(image);
  ASSERT_TRUE(clean.ok);
  EXPECT_EQ(clean.diagnostics, "");
  EXPECT_EQ(clean.result.corruptions, 0u);

  const uint64_t l1 = load_be64(image.data() + 40);
  const uint64_t l2 = load_be64(image.data() + l1) & 0x00fffffffffffe00;
  ASSERT_EQ(load_be64(image.data() + l2 + 8 * 8), 0x8000000000080000u);
  store_be64(image.data() + l2 + 8 * 8, 0x80000);  // COPIED clear
  const Outcome o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics, "ERROR OFLAG_COPIED data cluster: l2_entry=80000 refcount=1\n");
  EXPECT_EQ(o.result.corruptions, 1u);
}

TEST_F(CheckTest, UnalignedRefblockIsAnInternalError) {
  const Outcome o = check(patched(kRefTable, 0x20200));
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics.substr(0, 88),
            "ERROR refcount block 0 is not cluster aligned; refcount table entry corrupted\n"
            "qcow2: Ima");
  EXPECT_NE(o.diagnostics.find("qcow2: Image is corrupt: Refblock offset 0x20200 unaligned "
                               "(reftable index: 0); further non-fatal corruption events will "
                               "be suppressed\nCan't get refcount for cluster 0: Input/output "
                               "error\n"),
            std::string::npos);
  EXPECT_EQ(o.result.check_errors, 7u);
  EXPECT_EQ(o.result.corruptions, 1u);
  EXPECT_EQ(o.result.image_end_offset, 65536u);
}

// qemu-img check opens without looking at the snapshot table (BDRV_O_CHECK); the check's first
// step refuses its count or offset and ends with qcow2_validate_table()'s errno.
TEST_F(CheckTest, SnapshotTableCountOrOffsetEndsTheCheck) {
  std::vector<uint8_t> image = base_;
  store_be32(image.data() + 60, 0xffffffffu);  // nb_snapshots
  store_be64(image.data() + 64, 0x40000);      // snapshots_offset
  Outcome o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.result.snapshot_table_fault,
            instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_TOO_LARGE);
  EXPECT_EQ(o.result.overhanging_snapshots, 0xffffffffu - 65536u);
  EXPECT_EQ(o.result.error_number, 27);  // EFBIG
  EXPECT_EQ(o.result.check_errors, 1u);

  store_be32(image.data() + 60, 1);
  store_be64(image.data() + 64, 0x30001);
  o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.result.snapshot_table_fault,
            instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_OFFSET_INVALID);
  EXPECT_EQ(o.result.overhanging_snapshots, 0u);
  EXPECT_EQ(o.result.error_number, 22);  // EINVAL
}

// Its second step reads the entries: an error there ends the check too (qemu-iotests 261), and a
// v3 entry without the 16 bytes of extra data is a corruption reported before everything else.
TEST_F(CheckTest, SnapshotEntriesEndTheCheckOrCountAsCorruptions) {
  run("qemu-img snapshot -c s1 b.qcow2");
  const std::vector<uint8_t> with_snapshot = read_file(dir_ + "/b.qcow2");
  const uint64_t table = load_be64(with_snapshot.data() + 64);

  std::vector<uint8_t> image = with_snapshot;
  store_be32(image.data() + table + 36, 2000);  // extra_data_size above qemu's 1024
  Outcome o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.result.snapshot_table_fault,
            instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_READ_FAILED);
  EXPECT_EQ(o.result.snapshot_read_error, instar_guest_ErrorCode_ERROR_SNAPSHOT_EXTRA_TOO_LARGE);
  EXPECT_EQ(o.result.snapshot_read_error_arg, 0u);
  EXPECT_EQ(o.result.error_number, 27);  // EFBIG
  EXPECT_EQ(o.result.check_errors, 1u);

  image = with_snapshot;
  store_be32(image.data() + table + 36, 8);  // too little extra data
  o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics, "ERROR snapshot table entry 0 is incomplete\n");
  EXPECT_EQ(o.result.corruptions, 1u);
  EXPECT_EQ(o.result.error_number, 0);

  image = with_snapshot;
  store_be32(image.data() + 60, 3);  // two more entries past the end of the file: zeros
  o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics,
            "ERROR snapshot table entry 1 is incomplete\n"
            "ERROR snapshot table entry 2 is incomplete\n");
  EXPECT_EQ(o.result.corruptions, 2u);
}

TEST_F(CheckTest, TruncatedImage) {
  std::vector<uint8_t> image(base_.begin(), base_.begin() + 4096);
  const Outcome o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics,
            "ERROR: counting reference for region exceeding the end of the file by one cluster "
            "or more: offset 0x30000 size 0x8\n"
            "ERROR: counting reference for region exceeding the end of the file by one cluster "
            "or more: offset 0x10000 size 0x10000\n"
            "ERROR cluster 0 refcount=0 reference=1\n");
  EXPECT_EQ(o.result.corruptions, 3u);
  EXPECT_EQ(o.result.image_end_offset, 65536u);
}

TEST_F(CheckTest, CompressedAndSnapshotStatistics) {
  run("python3 -c \"import random; r=random.Random(7); open('m.raw','wb').write(bytes(1<<20)+"
      "b'A'*(1<<20)+r.randbytes(1<<20)+bytes(1<<20))\" && qemu-img convert -c -O qcow2 m.raw "
      "c.qcow2");
  const Outcome c = check(read_file(dir_ + "/c.qcow2"));
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.diagnostics, "");
  EXPECT_EQ(c.result.allocated_clusters, 32u);
  EXPECT_EQ(c.result.compressed_clusters, 16u);
  EXPECT_EQ(c.result.fragmented_clusters, 16u);
  EXPECT_EQ(c.result.total_clusters, 64u);
  EXPECT_EQ(c.result.image_end_offset, 1441792u);

  run("qemu-img snapshot -c s1 b.qcow2 && qemu-io -c 'write -P 2 0 64k' b.qcow2");
  const Outcome s = check(read_file(dir_ + "/b.qcow2"));
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.diagnostics, "");
  EXPECT_EQ(s.result.corruptions + s.result.leaks, 0u);
  EXPECT_EQ(s.result.allocated_clusters, 2u);
}

TEST_F(CheckTest, RefcountOverflowOneBit) {
  run("qemu-img create -q -f qcow2 -o refcount_bits=1 o.qcow2 16M && "
      "qemu-io -c 'write -P 1 0 128k' o.qcow2");
  std::vector<uint8_t> image = read_file(dir_ + "/o.qcow2");
  store_be64(image.data() + kL2 + 8, 0x8000000000050000);  // two references to cluster 5
  const Outcome o = check(image);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.diagnostics.substr(0, 45), "ERROR: overflow cluster offset=0x50000\nUse qe");
  EXPECT_EQ(o.result.leaks, 1u);  // cluster 6 lost its only reference
}

}  // namespace
}  // namespace instar::test
