// Renders hand-filled messages for images made by the real qemu-img and compares with its info.
// The messages come from the known creation parameters, not from a parser, so this proves the
// renderer against the binary on its own. Skipped when qemu-img is not installed.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/render/info_render.h"
#include "engine/render/tests/live_support.h"

namespace instar::render {
namespace {

using live::RunShell;
using live::ShellQuote;

DecodedImage Qcow2(uint32_t version, uint64_t size, uint32_t cluster_bits = 16) {
  DecodedImage d;
  d.info.set_format(guest::FORMAT_QCOW2);
  d.info.set_virtual_size(size);
  d.info.set_cluster_size(uint64_t{1} << cluster_bits);
  guest::Qcow2Info* q = d.info.mutable_qcow2();
  q->set_version(version);
  q->set_cluster_bits(cluster_bits);
  q->set_refcount_order(4);
  return d;
}

void SetBacking(DecodedImage& d, const std::string& name, const std::string& fmt) {
  d.info.mutable_qcow2()->set_has_backing_file(true);
  d.info.mutable_qcow2()->set_backing_file(name);
  d.info.mutable_qcow2()->set_has_backing_format(true);
  d.info.mutable_qcow2()->set_backing_format(fmt);
}

// The integer after `"key": ` at or after `from` in qemu's JSON, for the few volatile values
// (snapshot dates) the test cannot know in advance.
uint64_t JsonNumber(const std::string& json, const std::string& key, size_t from = 0) {
  const size_t at = json.find("\"" + key + "\": ", from);
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + key.size() + 4, nullptr, 10);
}

class InfoLive : public ::testing::Test {
 protected:
  void SetUp() override {
    qemu_img_ = live::FindQemuImg().value_or("");
    if (qemu_img_.empty()) GTEST_SKIP() << "qemu-img not installed";
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_EQ(RunShell("mkdir " + ShellQuote(dir_.path() + "/sub")).status, 0);
    setenv("TZ", "UTC", 1);
    tzset();
  }

  // Runs `qemu-img <args>` inside the scratch directory.
  live::CommandResult QemuImg(const std::string& args) {
    return RunShell("cd " + ShellQuote(dir_.path()) + " && " + qemu_img_ + " " + args);
  }

  void Create(const std::string& args) {
    ASSERT_EQ(QemuImg("create -q " + args).status, 0) << args;
  }

  HostFacts Facts(const std::string& name) {
    HostFacts f;
    f.filename = name;
    f.actual_size = live::AllocatedBytes(dir_.path() + "/" + name);
    return f;
  }

  // Compares human and JSON output of `qemu-img info name` with the render of `d`.
  void ExpectSame(const std::string& name, const DecodedImage& d) {
    const std::optional<ImageInfo> info = BuildImageInfo(d, Facts(name));
    ASSERT_TRUE(info.has_value()) << name;
    const auto human = QemuImg("info " + ShellQuote(name));
    ASSERT_EQ(human.status, 0) << name;
    EXPECT_EQ(RenderInfoHuman(*info, DefaultProfile()), human.out) << name;
    const auto json = QemuImg("info --output=json " + ShellQuote(name));
    ASSERT_EQ(json.status, 0) << name;
    EXPECT_EQ(RenderInfoJson(*info, DefaultProfile()), json.out) << name;
  }

  std::string qemu_img_;
  live::ScratchDir dir_;
};

constexpr uint64_t k16M = 16777216;

TEST_F(InfoLive, Qcow2CreateOptions) {
  Create("-f qcow2 v3.qcow2 16M");
  ExpectSame("v3.qcow2", Qcow2(3, k16M));

  Create("-f qcow2 -o compat=0.10 v2.qcow2 16M");
  ExpectSame("v2.qcow2", Qcow2(2, k16M));

  Create("-f qcow2 -o lazy_refcounts=on lazy.qcow2 16M");
  DecodedImage lazy = Qcow2(3, k16M);
  lazy.info.mutable_qcow2()->set_compatible_features(1);
  ExpectSame("lazy.qcow2", lazy);

  Create("-f qcow2 -o extended_l2=on l2.qcow2 16M");
  DecodedImage l2 = Qcow2(3, k16M);
  l2.info.mutable_qcow2()->set_incompatible_features(1u << 4);
  ExpectSame("l2.qcow2", l2);

  Create("-f qcow2 -o compression_type=zstd zstd.qcow2 16M");
  DecodedImage zstd = Qcow2(3, k16M);
  zstd.info.mutable_qcow2()->set_incompatible_features(1u << 3);
  zstd.info.mutable_qcow2()->set_compression_type(1);
  ExpectSame("zstd.qcow2", zstd);

  for (uint32_t order : {0u, 3u, 6u}) {
    const std::string name = "rb" + std::to_string(order) + ".qcow2";
    Create("-f qcow2 -o refcount_bits=" + std::to_string(1u << order) + " " + name + " 16M");
    DecodedImage rb = Qcow2(3, k16M);
    rb.info.mutable_qcow2()->set_refcount_order(order);
    ExpectSame(name, rb);
  }

  for (uint32_t bits : {9u, 21u}) {
    const std::string name = "cs" + std::to_string(bits) + ".qcow2";
    Create("-f qcow2 -o cluster_size=" + std::to_string(1u << bits) + " " + name + " 1000");
    ExpectSame(name, Qcow2(3, 1024, bits));  // the size is rounded up to 512
  }

  Create("-f qcow2 -o cluster_size=2M big.qcow2 5P");
  ExpectSame("big.qcow2", Qcow2(3, 5ULL << 50, 21));
}

TEST_F(InfoLive, BackingFiles) {
  Create("-f qcow2 v3.qcow2 16M");
  Create("-f qcow2 -b v3.qcow2 -F qcow2 ov.qcow2");
  DecodedImage ov = Qcow2(3, k16M);
  SetBacking(ov, "v3.qcow2", "qcow2");
  ExpectSame("ov.qcow2", ov);

  Create("-f qcow2 -b ../v3.qcow2 -F qcow2 sub/ov.qcow2");
  DecodedImage sub = Qcow2(3, k16M);
  SetBacking(sub, "../v3.qcow2", "qcow2");
  ExpectSame("sub/ov.qcow2", sub);

  Create("-f qcow2 -o compat=0.10 -b v3.qcow2 -F qcow2 ov2.qcow2");
  DecodedImage v2 = Qcow2(2, k16M);
  SetBacking(v2, "v3.qcow2", "qcow2");
  ExpectSame("ov2.qcow2", v2);

  // Chain: sub/top.qcow2 -> ../ov.qcow2 -> v3.qcow2; each element named as resolved from its
  // parent, exactly as qemu-img info --backing-chain walks it.
  Create("-f qcow2 -b ../ov.qcow2 -F qcow2 sub/top.qcow2");
  DecodedImage top = Qcow2(3, k16M);
  SetBacking(top, "../ov.qcow2", "qcow2");
  const ImageInfo a = *BuildImageInfo(top, Facts("sub/top.qcow2"));
  const ImageInfo b = *BuildImageInfo(ov, Facts(*a.full_backing_filename));
  const ImageInfo c = *BuildImageInfo(Qcow2(3, k16M), Facts(*b.full_backing_filename));
  const auto human = QemuImg("info --backing-chain sub/top.qcow2");
  ASSERT_EQ(human.status, 0);
  EXPECT_EQ(
      JoinChainHuman({RenderInfoHuman(a, DefaultProfile()), RenderInfoHuman(b, DefaultProfile()),
                      RenderInfoHuman(c, DefaultProfile())}),
      human.out);
  const auto json = QemuImg("info --backing-chain --output=json sub/top.qcow2");
  ASSERT_EQ(json.status, 0);
  EXPECT_EQ(RenderChainJson({a, b, c}, DefaultProfile()), json.out);
  // One image with --backing-chain is still a JSON array.
  const auto single = QemuImg("info --backing-chain --output=json v3.qcow2");
  EXPECT_EQ(RenderChainJson({*BuildImageInfo(Qcow2(3, k16M), Facts("v3.qcow2"))}, DefaultProfile()),
            single.out);
}

TEST_F(InfoLive, DataFileEncryptionDirty) {
  Create("-f qcow2 -o data_file=df.raw df.qcow2 16M");
  DecodedImage df = Qcow2(3, k16M);
  df.info.mutable_qcow2()->set_incompatible_features(1u << 2);
  df.info.mutable_qcow2()->set_has_data_file(true);
  df.info.mutable_qcow2()->set_data_file("df.raw");
  ExpectSame("df.qcow2", df);

  Create("-f qcow2 -o data_file=dfr.raw,data_file_raw=on dfr.qcow2 16M");
  DecodedImage dfr = df;
  dfr.info.mutable_qcow2()->set_data_file("dfr.raw");
  dfr.info.mutable_qcow2()->set_autoclear_features(1u << 1);
  ExpectSame("dfr.qcow2", dfr);

  Create(
      "-f qcow2 --object secret,id=sec0,data=abc123 "
      "-o encrypt.format=aes,encrypt.key-secret=sec0 aes.qcow2 16M");
  DecodedImage aes = Qcow2(3, k16M);
  aes.info.mutable_qcow2()->set_crypt_method(1);
  ExpectSame("aes.qcow2", aes);

  // Set the dirty bit (incompatible_features is big-endian at 72; bit 0 is byte 79).
  Create("-f qcow2 dirty.qcow2 16M");
  ASSERT_EQ(RunShell("printf '\\001' | dd of=" + ShellQuote(dir_.path() + "/dirty.qcow2") +
                     " bs=1 seek=79 conv=notrunc status=none")
                .status,
            0);
  DecodedImage dirty = Qcow2(3, k16M);
  dirty.info.mutable_qcow2()->set_incompatible_features(1);
  ExpectSame("dirty.qcow2", dirty);
}

TEST_F(InfoLive, SnapshotsAndBitmaps) {
  Create("-f qcow2 snap.qcow2 16M");
  ASSERT_EQ(QemuImg("snapshot -c s1 snap.qcow2").status, 0);
  ASSERT_EQ(QemuImg("snapshot -c second_snapshot_with_long_name snap.qcow2").status, 0);
  // The creation times are the only values not known in advance: read them back.
  const std::string json = QemuImg("info --output=json snap.qcow2").out;
  DecodedImage snap = Qcow2(3, k16M);
  const char* names[] = {"s1", "second_snapshot_with_long_name"};
  size_t from = 0;
  for (int i = 0; i < 2; ++i) {
    from = json.find("\"id\": \"" + std::to_string(i + 1) + "\"");
    const size_t object_start = json.rfind('{', from);
    guest::Snapshot s;
    s.set_id(std::to_string(i + 1));
    s.set_name(names[i]);
    s.set_date_sec(static_cast<uint32_t>(JsonNumber(json, "date-sec", object_start)));
    s.set_date_nsec(static_cast<uint32_t>(JsonNumber(json, "date-nsec", object_start)));
    s.set_has_icount(true);
    s.set_icount(0);
    snap.snapshots.push_back(s);
  }
  snap.info.mutable_qcow2()->set_nb_snapshots(2);
  ExpectSame("snap.qcow2", snap);

  Create("-f qcow2 bm.qcow2 16M");
  ASSERT_EQ(QemuImg("bitmap --add bm.qcow2 b0").status, 0);
  ASSERT_EQ(QemuImg("bitmap --add -g 128k --disable bm.qcow2 b1").status, 0);
  DecodedImage bm = Qcow2(3, k16M);
  bm.info.mutable_qcow2()->set_autoclear_features(1);
  bm.info.mutable_qcow2()->set_nb_bitmaps(2);
  guest::Bitmap b0;
  b0.set_name("b0");
  b0.set_granularity_bits(16);
  b0.set_flags(2);
  guest::Bitmap b1;
  b1.set_name("b1");
  b1.set_granularity_bits(17);
  bm.bitmaps = {b0, b1};
  ExpectSame("bm.qcow2", bm);
}

TEST_F(InfoLive, RawAndOddFilenames) {
  Create("-f raw r.raw 16M");
  DecodedImage raw;
  raw.info.set_format(guest::FORMAT_RAW);
  raw.info.set_virtual_size(k16M);
  ExpectSame("r.raw", raw);

  // JSON escaping of the filename, end to end.
  const std::string odd = "t\xc3\xa9\"q\tx\x01\xf0\x9f\x98\x80.raw";
  ASSERT_EQ(RunShell("truncate -s 1000 " + ShellQuote(dir_.path() + "/" + odd)).status, 0);
  DecodedImage small;
  small.info.set_format(guest::FORMAT_RAW);
  small.info.set_virtual_size(1024);
  ExpectSame(odd, small);
  const std::string odd2 = "n\nr\rb\bf\fs\x7f\\.raw";
  ASSERT_EQ(RunShell("truncate -s 0 " + ShellQuote(dir_.path() + "/" + odd2)).status, 0);
  small.info.set_virtual_size(0);
  ExpectSame(odd2, small);
}

}  // namespace
}  // namespace instar::render
