// info_qemu_img_test.cc: info over images the real qemu-img 7.2 creates, field by field.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";

class QemuImgInfoTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kQemuImg, X_OK) != 0) GTEST_SKIP() << "qemu-img not installed";
    char pattern[] = "/tmp/instar-info-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // Runs `qemu-img <args>` inside the temp dir; returns its exit status.
  int try_qemu_img(const std::string& args) {
    const std::string cmd = "cd '" + dir_ + "' && " + kQemuImg + " " + args + " >/dev/null 2>&1";
    return std::system(cmd.c_str());
  }
  void qemu_img(const std::string& args) { ASSERT_EQ(try_qemu_img(args), 0) << args; }

  std::vector<instar_guest_GuestMessage> info(const std::string& name) {
    return run_info_op(read_file(dir_ + "/" + name));
  }

  // The ImageInfo of `name`, with the message count checked against its announcements.
  instar_guest_ImageInfo image_info(const std::string& name) {
    const auto m = info(name);
    EXPECT_GE(m.size(), 2u);
    if (m.size() < 2 || m[0].which_body != instar_guest_GuestMessage_info_tag) {
      ADD_FAILURE() << name << ": no ImageInfo (error "
                    << (m.empty() ? -1 : static_cast<int>(m[0].body.error.code)) << ")";
      return instar_guest_ImageInfo_init_zero;
    }
    const auto& q = m[0].body.info.qcow2;
    EXPECT_EQ(m.size(), 2u + q.nb_snapshots + q.nb_bitmaps);
    EXPECT_EQ(m.back().which_body, instar_guest_GuestMessage_done_tag);
    return m[0].body.info;
  }

  std::string dir_;
};

TEST_F(QemuImgInfoTest, V2) {
  qemu_img("create -q -f qcow2 -o compat=0.10 v2.qcow2 16M");
  const auto i = image_info("v2.qcow2");
  EXPECT_EQ(i.format, instar_guest_Format_FORMAT_QCOW2);
  EXPECT_EQ(i.virtual_size, 16u << 20);
  EXPECT_EQ(i.cluster_size, 65536u);
  EXPECT_EQ(i.qcow2.version, 2u);
  EXPECT_EQ(i.qcow2.refcount_order, 4u);
  EXPECT_EQ(i.qcow2.header_length, 72u);
  EXPECT_EQ(i.qcow2.l1_table_offset, 0x30000u);
}

TEST_F(QemuImgInfoTest, V3Variants) {
  qemu_img("create -q -f qcow2 v3.qcow2 16M");
  qemu_img("create -q -f qcow2 -o extended_l2=on l2.qcow2 16M");
  qemu_img("create -q -f qcow2 -o compression_type=zstd zstd.qcow2 16M");
  qemu_img("create -q -f qcow2 -o lazy_refcounts=on lazy.qcow2 16M");
  qemu_img("create -q -f qcow2 small.qcow2 1000");
  auto i = image_info("v3.qcow2");
  EXPECT_EQ(i.qcow2.version, 3u);
  EXPECT_EQ(i.qcow2.header_length, 112u);
  EXPECT_EQ(i.qcow2.incompatible_features, 0u);
  EXPECT_EQ(i.qcow2.compatible_features, 0u);
  EXPECT_EQ(i.qcow2.compression_type, 0u);
  i = image_info("l2.qcow2");
  EXPECT_EQ(i.qcow2.incompatible_features, 16u);
  i = image_info("zstd.qcow2");
  EXPECT_EQ(i.qcow2.compression_type, 1u);
  EXPECT_EQ(i.qcow2.incompatible_features, 8u);
  i = image_info("lazy.qcow2");
  EXPECT_EQ(i.qcow2.compatible_features, 1u);
  EXPECT_EQ(image_info("small.qcow2").virtual_size, 1024u);
}

TEST_F(QemuImgInfoTest, RefcountWidths) {
  for (int order = 0; order <= 6; ++order) {
    const std::string name = "rc" + std::to_string(order) + ".qcow2";
    qemu_img("create -q -f qcow2 -o refcount_bits=" + std::to_string(1 << order) + " " + name +
             " 16M");
    EXPECT_EQ(image_info(name).qcow2.refcount_order, static_cast<uint32_t>(order)) << name;
  }
}

TEST_F(QemuImgInfoTest, ClusterSizes) {
  qemu_img("create -q -f qcow2 -o cluster_size=512 c512.qcow2 16M");
  qemu_img("create -q -f qcow2 -o cluster_size=2M c2m.qcow2 16M");
  auto i = image_info("c512.qcow2");
  EXPECT_EQ(i.cluster_size, 512u);
  EXPECT_EQ(i.qcow2.l1_size, 512u);
  EXPECT_EQ(i.qcow2.l1_table_offset, 0x600u);
  i = image_info("c2m.qcow2");
  EXPECT_EQ(i.cluster_size, 2u << 20);
  EXPECT_EQ(i.qcow2.cluster_bits, 21u);
}

TEST_F(QemuImgInfoTest, BackingFileAndFormat) {
  qemu_img("create -q -f qcow2 base.qcow2 16M");
  qemu_img("create -q -f qcow2 -b base.qcow2 -F qcow2 ov.qcow2");
  const auto i = image_info("ov.qcow2");
  EXPECT_TRUE(i.qcow2.has_backing_file);
  EXPECT_EQ(as_string(i.qcow2.backing_file), "base.qcow2");
  EXPECT_TRUE(i.qcow2.has_backing_format);
  EXPECT_EQ(as_string(i.qcow2.backing_format), "qcow2");
  EXPECT_EQ(i.virtual_size, 16u << 20);
}

TEST_F(QemuImgInfoTest, ExternalDataFile) {
  qemu_img("create -q -f qcow2 -o data_file=df.raw df.qcow2 16M");
  qemu_img("create -q -f qcow2 -o data_file=dfr.raw,data_file_raw=on dfr.qcow2 1M");
  auto i = image_info("df.qcow2");
  EXPECT_TRUE(i.qcow2.has_data_file);
  EXPECT_EQ(as_string(i.qcow2.data_file), "df.raw");
  EXPECT_EQ(i.qcow2.incompatible_features & 4, 4u);
  EXPECT_EQ(i.qcow2.autoclear_features & 2, 0u);
  i = image_info("dfr.qcow2");
  EXPECT_EQ(as_string(i.qcow2.data_file), "dfr.raw");
  EXPECT_EQ(i.qcow2.autoclear_features & 2, 2u);
}

TEST_F(QemuImgInfoTest, Snapshots) {
  qemu_img("create -q -f qcow2 snap.qcow2 16M");
  qemu_img("snapshot -c s1 snap.qcow2");
  qemu_img("snapshot -c second_snapshot_with_long_name snap.qcow2");
  const auto m = info("snap.qcow2");
  ASSERT_EQ(m.size(), 4u);
  ASSERT_EQ(m[0].which_body, instar_guest_GuestMessage_info_tag);
  EXPECT_EQ(m[0].body.info.qcow2.nb_snapshots, 2u);
  ASSERT_EQ(m[1].which_body, instar_guest_GuestMessage_snapshot_tag);
  ASSERT_EQ(m[2].which_body, instar_guest_GuestMessage_snapshot_tag);
  EXPECT_EQ(as_string(m[1].body.snapshot.id), "1");
  EXPECT_EQ(as_string(m[1].body.snapshot.name), "s1");
  EXPECT_EQ(as_string(m[2].body.snapshot.id), "2");
  EXPECT_EQ(as_string(m[2].body.snapshot.name), "second_snapshot_with_long_name");
  for (int k = 1; k <= 2; ++k) {
    const auto& s = m[k].body.snapshot;
    EXPECT_EQ(s.vm_state_size, 0u);
    EXPECT_EQ(s.vm_clock_nsec, 0u);
    EXPECT_TRUE(s.has_icount);
    EXPECT_EQ(s.icount, 0u);
    EXPECT_GT(s.date_sec, 1600000000u);
  }
}

TEST_F(QemuImgInfoTest, Bitmaps) {
  qemu_img("create -q -f qcow2 bm.qcow2 16M");
  qemu_img("bitmap --add bm.qcow2 b0");
  qemu_img("bitmap --add -g 128k --disable bm.qcow2 b1");
  const auto m = info("bm.qcow2");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].body.info.qcow2.nb_bitmaps, 2u);
  EXPECT_EQ(m[0].body.info.qcow2.autoclear_features & 1, 1u);
  ASSERT_EQ(m[1].which_body, instar_guest_GuestMessage_bitmap_tag);
  EXPECT_EQ(as_string(m[1].body.bitmap.name), "b0");
  EXPECT_EQ(m[1].body.bitmap.granularity_bits, 16u);
  EXPECT_EQ(m[1].body.bitmap.flags, 2u);  // auto
  EXPECT_EQ(as_string(m[2].body.bitmap.name), "b1");
  EXPECT_EQ(m[2].body.bitmap.granularity_bits, 17u);
  EXPECT_EQ(m[2].body.bitmap.flags, 0u);
}

TEST_F(QemuImgInfoTest, SnapshotsAndBitmapsTogether) {
  qemu_img("create -q -f qcow2 both.qcow2 16M");
  qemu_img("snapshot -c s1 both.qcow2");
  qemu_img("bitmap --add both.qcow2 b0");
  const auto m = info("both.qcow2");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].which_body, instar_guest_GuestMessage_snapshot_tag);
  EXPECT_EQ(m[2].which_body, instar_guest_GuestMessage_bitmap_tag);
}

TEST_F(QemuImgInfoTest, LuksEncrypted) {
  // LUKS creation benchmarks PBKDF2 with the thread CPU clock and fails at random with "Unable to
  // get accurate CPU usage" on some machines; retry, then skip rather than fail.
  const std::string create =
      "create -q -f qcow2 --object secret,id=sec0,data=abc123 "
      "-o encrypt.format=luks,encrypt.key-secret=sec0 luks.qcow2 16M";
  int rc = -1;
  for (int attempt = 0; attempt < 5 && rc != 0; ++attempt) rc = try_qemu_img(create);
  if (rc != 0) GTEST_SKIP() << "qemu-img could not create a LUKS image here";
  const auto i = image_info("luks.qcow2");
  EXPECT_EQ(i.qcow2.crypt_method, 2u);
  EXPECT_TRUE(i.qcow2.has_crypto_header);
  EXPECT_EQ(i.qcow2.crypto_header_offset, 0x40000u);
  EXPECT_GT(i.qcow2.crypto_header_length, 0u);
  EXPECT_EQ(i.virtual_size, 16u << 20);
}

TEST_F(QemuImgInfoTest, RawAndForcedRaw) {
  qemu_img("create -q -f raw r.raw 16M");
  qemu_img("create -q -f qcow2 q.qcow2 16M");
  const auto raw = image_info("r.raw");
  EXPECT_EQ(raw.format, instar_guest_Format_FORMAT_RAW);
  EXPECT_EQ(raw.virtual_size, 16u << 20);
  const auto m = run_info_op(read_file(dir_ + "/q.qcow2"), abi::ImageFormat::kRaw);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].body.info.format, instar_guest_Format_FORMAT_RAW);
  EXPECT_EQ(m[0].body.info.virtual_size, 197120u);
}

}  // namespace
}  // namespace instar::test
