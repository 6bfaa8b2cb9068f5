// qemu-img info, human and JSON, for every example of reference §2, from hand-filled messages.
#include "engine/render/info_render.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>

#include "engine/render/snapshot_table.h"

namespace instar::render {
namespace {

constexpr uint64_t kMiB16 = 16777216;

// A fresh 16M qcow2 as `qemu-img create -f qcow2 [-o compat=0.10]` makes it.
DecodedImage Qcow2(uint32_t version) {
  DecodedImage d;
  d.info.set_format(guest::FORMAT_QCOW2);
  d.info.set_virtual_size(kMiB16);
  d.info.set_cluster_size(65536);
  guest::Qcow2Info* q = d.info.mutable_qcow2();
  q->set_version(version);
  q->set_cluster_bits(16);
  q->set_refcount_order(4);
  return d;
}

HostFacts Facts(const std::string& name, int64_t actual = 200704) {
  HostFacts f;
  f.filename = name;
  f.actual_size = actual;
  return f;
}

ImageInfo Build(const DecodedImage& d, const HostFacts& f) {
  std::optional<ImageInfo> info = BuildImageInfo(d, f);
  EXPECT_TRUE(info.has_value());
  return info.value_or(ImageInfo{});
}

std::string Human(const DecodedImage& d, const HostFacts& f) {
  return RenderInfoHuman(Build(d, f), DefaultProfile());
}

std::string Json(const DecodedImage& d, const HostFacts& f) {
  return RenderInfoJson(Build(d, f), DefaultProfile());
}

// The v3 format-specific human block with no extras.
const char kV3Specific[] =
    "Format specific information:\n"
    "    compat: 1.1\n"
    "    compression type: zlib\n"
    "    lazy refcounts: false\n"
    "    refcount bits: 16\n"
    "    corrupt: false\n"
    "    extended l2: false\n";

class InfoRender : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    if (tz != nullptr) saved_tz_ = tz;
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::string saved_tz_;
  bool had_tz_ = false;
};

TEST_F(InfoRender, Qcow2V2) {
  const DecodedImage d = Qcow2(2);
  EXPECT_EQ(Human(d, Facts("v2.qcow2")),
            "image: v2.qcow2\n"
            "file format: qcow2\n"
            "virtual size: 16 MiB (16777216 bytes)\n"
            "disk size: 196 KiB\n"
            "cluster_size: 65536\n"
            "Format specific information:\n"
            "    compat: 0.10\n"
            "    compression type: zlib\n"
            "    refcount bits: 16\n");
  EXPECT_EQ(Json(d, Facts("v2.qcow2")),
            "{\n"
            "    \"virtual-size\": 16777216,\n"
            "    \"filename\": \"v2.qcow2\",\n"
            "    \"cluster-size\": 65536,\n"
            "    \"format\": \"qcow2\",\n"
            "    \"actual-size\": 200704,\n"
            "    \"format-specific\": {\n"
            "        \"type\": \"qcow2\",\n"
            "        \"data\": {\n"
            "            \"compat\": \"0.10\",\n"
            "            \"compression-type\": \"zlib\",\n"
            "            \"refcount-bits\": 16\n"
            "        }\n"
            "    },\n"
            "    \"dirty-flag\": false\n"
            "}\n");
}

TEST_F(InfoRender, Qcow2V3) {
  const DecodedImage d = Qcow2(3);
  EXPECT_EQ(Human(d, Facts("v3.qcow2")), std::string("image: v3.qcow2\n"
                                                     "file format: qcow2\n"
                                                     "virtual size: 16 MiB (16777216 bytes)\n"
                                                     "disk size: 196 KiB\n"
                                                     "cluster_size: 65536\n") +
                                             kV3Specific);
  EXPECT_EQ(Json(d, Facts("v3.qcow2")),
            "{\n"
            "    \"virtual-size\": 16777216,\n"
            "    \"filename\": \"v3.qcow2\",\n"
            "    \"cluster-size\": 65536,\n"
            "    \"format\": \"qcow2\",\n"
            "    \"actual-size\": 200704,\n"
            "    \"format-specific\": {\n"
            "        \"type\": \"qcow2\",\n"
            "        \"data\": {\n"
            "            \"compat\": \"1.1\",\n"
            "            \"compression-type\": \"zlib\",\n"
            "            \"lazy-refcounts\": false,\n"
            "            \"refcount-bits\": 16,\n"
            "            \"corrupt\": false,\n"
            "            \"extended-l2\": false\n"
            "        }\n"
            "    },\n"
            "    \"dirty-flag\": false\n"
            "}\n");
}

TEST_F(InfoRender, Qcow2V3OneLineVariants) {
  DecodedImage lazy = Qcow2(3);
  lazy.info.mutable_qcow2()->set_compatible_features(1);
  EXPECT_NE(Human(lazy, Facts("x")).find("    lazy refcounts: true\n"), std::string::npos);
  EXPECT_NE(Json(lazy, Facts("x")).find("\"lazy-refcounts\": true,"), std::string::npos);

  DecodedImage l2 = Qcow2(3);
  l2.info.mutable_qcow2()->set_incompatible_features(1u << 4);
  EXPECT_NE(Human(l2, Facts("x")).find("    extended l2: true\n"), std::string::npos);

  DecodedImage zstd = Qcow2(3);
  zstd.info.mutable_qcow2()->set_compression_type(1);
  zstd.info.mutable_qcow2()->set_incompatible_features(1u << 3);
  EXPECT_NE(Human(zstd, Facts("x")).find("    compression type: zstd\n"), std::string::npos);

  for (uint32_t order = 0; order <= 6; ++order) {
    DecodedImage rb = Qcow2(3);
    rb.info.mutable_qcow2()->set_refcount_order(order);
    EXPECT_NE(Human(rb, Facts("x")).find("    refcount bits: " + std::to_string(1 << order) + "\n"),
              std::string::npos);
  }
}

TEST_F(InfoRender, BackingFile) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_has_backing_file(true);
  d.info.mutable_qcow2()->set_backing_file("v3.qcow2");
  d.info.mutable_qcow2()->set_has_backing_format(true);
  d.info.mutable_qcow2()->set_backing_format("qcow2");
  EXPECT_EQ(Human(d, Facts("ov.qcow2")), std::string("image: ov.qcow2\n"
                                                     "file format: qcow2\n"
                                                     "virtual size: 16 MiB (16777216 bytes)\n"
                                                     "disk size: 196 KiB\n"
                                                     "cluster_size: 65536\n"
                                                     "backing file: v3.qcow2\n"
                                                     "backing file format: qcow2\n") +
                                             kV3Specific);
  EXPECT_EQ(Json(d, Facts("ov.qcow2")),
            "{\n"
            "    \"backing-filename-format\": \"qcow2\",\n"
            "    \"virtual-size\": 16777216,\n"
            "    \"filename\": \"ov.qcow2\",\n"
            "    \"cluster-size\": 65536,\n"
            "    \"format\": \"qcow2\",\n"
            "    \"actual-size\": 200704,\n"
            "    \"format-specific\": {\n"
            "        \"type\": \"qcow2\",\n"
            "        \"data\": {\n"
            "            \"compat\": \"1.1\",\n"
            "            \"compression-type\": \"zlib\",\n"
            "            \"lazy-refcounts\": false,\n"
            "            \"refcount-bits\": 16,\n"
            "            \"corrupt\": false,\n"
            "            \"extended-l2\": false\n"
            "        }\n"
            "    },\n"
            "    \"full-backing-filename\": \"v3.qcow2\",\n"
            "    \"backing-filename\": \"v3.qcow2\",\n"
            "    \"dirty-flag\": false\n"
            "}\n");

  // Relative to the image's directory, unnormalised.
  d.info.mutable_qcow2()->set_backing_file("../v3.qcow2");
  const std::string sub = Human(d, Facts("sub/ov.qcow2"));
  EXPECT_NE(sub.find("backing file: ../v3.qcow2 (actual path: sub/../v3.qcow2)\n"),
            std::string::npos);
  EXPECT_NE(Json(d, Facts("sub/ov.qcow2")).find("\"full-backing-filename\": \"sub/../v3.qcow2\""),
            std::string::npos);
  d.info.mutable_qcow2()->set_backing_file("v3.qcow2");
  EXPECT_NE(Human(d, Facts("/tmp/x/nf.qcow2")).find("(actual path: /tmp/x/v3.qcow2)"),
            std::string::npos);

  // The host's own resolution wins over the derived one.
  HostFacts host = Facts("ov.qcow2");
  host.full_backing_filename = "elsewhere/v3.qcow2";
  EXPECT_NE(Human(d, host).find("backing file: v3.qcow2 (actual path: elsewhere/v3.qcow2)\n"),
            std::string::npos);

  // Hidden backing-format extension: no format line, no JSON key.
  d.info.mutable_qcow2()->set_has_backing_format(false);
  d.info.mutable_qcow2()->clear_backing_format();
  EXPECT_EQ(Human(d, Facts("ov.qcow2")).find("backing file format"), std::string::npos);
  EXPECT_EQ(Json(d, Facts("ov.qcow2")).find("backing-filename-format"), std::string::npos);
}

TEST_F(InfoRender, DataFile) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_incompatible_features(1u << 2);
  d.info.mutable_qcow2()->set_has_data_file(true);
  d.info.mutable_qcow2()->set_data_file("df.raw");
  EXPECT_EQ(Human(d, Facts("df.qcow2")),
            "image: df.qcow2\n"
            "file format: qcow2\n"
            "virtual size: 16 MiB (16777216 bytes)\n"
            "disk size: 196 KiB\n"
            "cluster_size: 65536\n"
            "Format specific information:\n"
            "    compat: 1.1\n"
            "    compression type: zlib\n"
            "    lazy refcounts: false\n"
            "    refcount bits: 16\n"
            "    data file: df.raw\n"
            "    data file raw: false\n"
            "    corrupt: false\n"
            "    extended l2: false\n");
  EXPECT_NE(Json(d, Facts("df.qcow2"))
                .find("            \"refcount-bits\": 16,\n"
                      "            \"data-file\": \"df.raw\",\n"
                      "            \"data-file-raw\": false,\n"),
            std::string::npos);
  d.info.mutable_qcow2()->set_autoclear_features(1u << 1);
  EXPECT_NE(Human(d, Facts("df.qcow2")).find("    data file raw: true\n"), std::string::npos);
}

TEST_F(InfoRender, EncryptedAes) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_crypt_method(1);
  EXPECT_EQ(Human(d, Facts("aes.qcow2")),
            "image: aes.qcow2\n"
            "file format: qcow2\n"
            "virtual size: 16 MiB (16777216 bytes)\n"
            "disk size: 196 KiB\n"
            "encrypted: yes\n"
            "cluster_size: 65536\n"
            "Format specific information:\n"
            "    compat: 1.1\n"
            "    compression type: zlib\n"
            "    lazy refcounts: false\n"
            "    refcount bits: 16\n"
            "    encrypt:\n"
            "        format: aes\n"
            "    corrupt: false\n"
            "    extended l2: false\n");
  const std::string json = Json(d, Facts("aes.qcow2"));
  EXPECT_NE(json.find("            \"encrypt\": {\n"
                      "                \"format\": \"aes\"\n"
                      "            },\n"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("    \"encrypted\": true,\n    \"dirty-flag\": false\n"), std::string::npos);
}

TEST_F(InfoRender, EncryptedLuks) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_crypt_method(2);
  LuksInfo luks;
  luks.cipher_alg = "aes-256";
  luks.cipher_mode = "xts";
  luks.ivgen_alg = "plain64";
  luks.hash_alg = "sha256";
  luks.payload_offset = 2068480;
  luks.master_key_iters = 1638898;
  luks.uuid = "39d6f429-30d7-4590-9dd2-3303980be643";
  for (int i = 0; i < 8; ++i) {
    LuksSlotInfo slot;
    slot.key_offset = 4096 + i * 258048;
    if (i == 0) {
      slot.active = true;
      slot.iters = 6964504;
      slot.stripes = 4000;
    }
    luks.slots.push_back(slot);
  }
  d.luks = luks;
  std::string expected =
      "image: luks.qcow2\n"
      "file format: qcow2\n"
      "virtual size: 16 MiB (16777216 bytes)\n"
      "disk size: 2.19 MiB\n"
      "encrypted: yes\n"
      "cluster_size: 65536\n"
      "Format specific information:\n"
      "    compat: 1.1\n"
      "    compression type: zlib\n"
      "    lazy refcounts: false\n"
      "    refcount bits: 16\n"
      "    encrypt:\n"
      "        ivgen alg: plain64\n"
      "        hash alg: sha256\n"
      "        cipher alg: aes-256\n"
      "        uuid: 39d6f429-30d7-4590-9dd2-3303980be643\n"
      "        format: luks\n"
      "        cipher mode: xts\n"
      "        slots:\n"
      "            [0]:\n"
      "                active: true\n"
      "                iters: 6964504\n"
      "                key offset: 4096\n"
      "                stripes: 4000\n";
  const char* offsets[] = {"262144",  "520192",  "778240", "1036288",
                           "1294336", "1552384", "1810432"};
  for (int i = 1; i < 8; ++i) {
    expected += "            [" + std::to_string(i) + "]:\n                active: false\n" +
                "                key offset: " + offsets[i - 1] + "\n";
  }
  expected +=
      "        payload offset: 2068480\n"
      "        master key iters: 1638898\n"
      "    corrupt: false\n"
      "    extended l2: false\n";
  EXPECT_EQ(Human(d, Facts("luks.qcow2", 2293760)), expected);
  const std::string json = Json(d, Facts("luks.qcow2", 2293760));
  EXPECT_NE(json.find("            \"encrypt\": {\n"
                      "                \"ivgen-alg\": \"plain64\",\n"
                      "                \"hash-alg\": \"sha256\",\n"
                      "                \"cipher-alg\": \"aes-256\",\n"
                      "                \"uuid\": \"39d6f429-30d7-4590-9dd2-3303980be643\",\n"
                      "                \"format\": \"luks\",\n"
                      "                \"cipher-mode\": \"xts\",\n"
                      "                \"slots\": [\n"
                      "                    {\n"
                      "                        \"active\": true,\n"
                      "                        \"iters\": 6964504,\n"
                      "                        \"key-offset\": 4096,\n"
                      "                        \"stripes\": 4000\n"
                      "                    },\n"
                      "                    {\n"
                      "                        \"active\": false,\n"
                      "                        \"key-offset\": 262144\n"
                      "                    },\n"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("                \"payload-offset\": 2068480,\n"
                      "                \"master-key-iters\": 1638898\n"
                      "            },\n"
                      "            \"corrupt\": false,\n"),
            std::string::npos);

  // Without the LUKS details (not in guest.proto yet) only the format is known.
  d.luks.reset();
  EXPECT_NE(Human(d, Facts("luks.qcow2")).find("    encrypt:\n        format: luks\n    corrupt"),
            std::string::npos);
}

DecodedImage WithSnapshots() {
  DecodedImage d = Qcow2(3);
  guest::Snapshot s1;
  s1.set_id("1");
  s1.set_name("s1");
  s1.set_date_sec(1795393728);
  s1.set_date_nsec(258544000);
  s1.set_has_icount(true);
  s1.set_icount(0);
  guest::Snapshot s2 = s1;
  s2.set_id("2");
  s2.set_name("second_snapshot_with_long_name");
  s2.set_date_nsec(300000000);
  d.snapshots = {s1, s2};
  d.info.mutable_qcow2()->set_nb_snapshots(2);
  return d;
}

TEST_F(InfoRender, Snapshots) {
  const DecodedImage d = WithSnapshots();
  EXPECT_EQ(Human(d, Facts("snap.qcow2", 2445312)),
            std::string("image: snap.qcow2\n"
                        "file format: qcow2\n"
                        "virtual size: 16 MiB (16777216 bytes)\n"
                        "disk size: 2.33 MiB\n"
                        "cluster_size: 65536\n"
                        "Snapshot list:\n"
                        "ID        TAG               VM SIZE                DATE     VM CLOCK     "
                        "ICOUNT\n"
                        "1         s1                    0 B 2026-11-23 00:28:48 00:00:00.000    "
                        "      0\n"
                        "2         second_snapshot_with_long_name      0 B 2026-11-23 00:28:48 "
                        "00:00:00.000          0\n") +
                kV3Specific);
}

TEST_F(InfoRender, SnapshotPatchedEntry) {
  DecodedImage d = WithSnapshots();
  d.snapshots[0].set_vm_clock_nsec(3723456789000ULL);
  d.snapshots[0].set_vm_state_size(1536);
  d.snapshots[0].set_icount(UINT64_MAX);  // -1: no icount
  const std::string human = Human(d, Facts("snap.qcow2", 2445312));
  EXPECT_NE(human.find("\n1         s1                1.5 KiB 2026-11-23 00:28:48 01:02:03.456    "
                       "       \n"),
            std::string::npos)
      << human;
  EXPECT_EQ(Json(d, Facts("snap.qcow2", 2445312)),
            "{\n"
            "    \"snapshots\": [\n"
            "        {\n"
            "            \"vm-clock-nsec\": 456789000,\n"
            "            \"name\": \"s1\",\n"
            "            \"date-sec\": 1795393728,\n"
            "            \"date-nsec\": 258544000,\n"
            "            \"vm-clock-sec\": 3723,\n"
            "            \"id\": \"1\",\n"
            "            \"vm-state-size\": 1536\n"
            "        },\n"
            "        {\n"
            "            \"icount\": 0,\n"
            "            \"vm-clock-nsec\": 0,\n"
            "            \"name\": \"second_snapshot_with_long_name\",\n"
            "            \"date-sec\": 1795393728,\n"
            "            \"date-nsec\": 300000000,\n"
            "            \"vm-clock-sec\": 0,\n"
            "            \"id\": \"2\",\n"
            "            \"vm-state-size\": 0\n"
            "        }\n"
            "    ],\n"
            "    \"virtual-size\": 16777216,\n"
            "    \"filename\": \"snap.qcow2\",\n"
            "    \"cluster-size\": 65536,\n"
            "    \"format\": \"qcow2\",\n"
            "    \"actual-size\": 2445312,\n"
            "    \"format-specific\": {\n"
            "        \"type\": \"qcow2\",\n"
            "        \"data\": {\n"
            "            \"compat\": \"1.1\",\n"
            "            \"compression-type\": \"zlib\",\n"
            "            \"lazy-refcounts\": false,\n"
            "            \"refcount-bits\": 16,\n"
            "            \"corrupt\": false,\n"
            "            \"extended-l2\": false\n"
            "        }\n"
            "    },\n"
            "    \"dirty-flag\": false\n"
            "}\n");
}

TEST_F(InfoRender, SnapshotRowsRunTogether) {
  SnapshotRow row;
  row.id = "1";
  row.name = "s1";
  row.date_sec = 1795393728;
  row.vm_clock_nsec = (100ULL * 3600 + 59) * 1000000000ULL + 999000000ULL;
  row.icount = 123456789012ULL;
  EXPECT_EQ(SnapshotTableRow(row, DefaultProfile()),
            "1         s1                    0 B 2026-11-23 00:28:48100:00:59.999123456789012");
  // Local time applies.
  setenv("TZ", "America/New_York", 1);
  tzset();
  EXPECT_NE(SnapshotTableRow(row, DefaultProfile()).find(" 2026-11-22 19:28:48"),
            std::string::npos);
  // qemu copies id/name into char[128] / char[256].
  row.id = std::string(200, 'i');
  row.name = std::string(300, 'n');
  const std::string long_row = SnapshotTableRow(row, DefaultProfile());
  EXPECT_EQ(long_row.find(std::string(127, 'i') + " " + std::string(255, 'n') + "      0 B"), 0u);
}

TEST_F(InfoRender, DirtyAndCorrupt) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_incompatible_features(1);
  const std::string human = Human(d, Facts("dirty.qcow2"));
  EXPECT_NE(human.find("cluster_size: 65536\ncleanly shut down: no\nFormat specific"),
            std::string::npos);
  EXPECT_NE(Json(d, Facts("dirty.qcow2")).find("\"dirty-flag\": true\n}"), std::string::npos);

  d.info.mutable_qcow2()->set_incompatible_features(2);
  EXPECT_NE(Human(d, Facts("c.qcow2")).find("    corrupt: true\n"), std::string::npos);
  EXPECT_NE(Json(d, Facts("c.qcow2")).find("\"corrupt\": true,"), std::string::npos);
  EXPECT_EQ(Human(d, Facts("c.qcow2")).find("cleanly shut down"), std::string::npos);
}

TEST_F(InfoRender, Bitmaps) {
  DecodedImage d = Qcow2(3);
  d.info.mutable_qcow2()->set_autoclear_features(1);
  d.info.mutable_qcow2()->set_nb_bitmaps(2);
  guest::Bitmap b0;
  b0.set_name("b0");
  b0.set_granularity_bits(16);
  b0.set_flags(2);  // auto
  guest::Bitmap b1;
  b1.set_name("b1");
  b1.set_granularity_bits(17);
  b1.set_flags(0);
  d.bitmaps = {b0, b1};
  EXPECT_EQ(Human(d, Facts("bm.qcow2")),
            "image: bm.qcow2\n"
            "file format: qcow2\n"
            "virtual size: 16 MiB (16777216 bytes)\n"
            "disk size: 196 KiB\n"
            "cluster_size: 65536\n"
            "Format specific information:\n"
            "    compat: 1.1\n"
            "    compression type: zlib\n"
            "    lazy refcounts: false\n"
            "    bitmaps:\n"
            "        [0]:\n"
            "            flags:\n"
            "                [0]: auto\n"
            "            name: b0\n"
            "            granularity: 65536\n"
            "        [1]:\n"
            "            flags:\n"
            "            name: b1\n"
            "            granularity: 131072\n"
            "    refcount bits: 16\n"
            "    corrupt: false\n"
            "    extended l2: false\n");
  const std::string json = Json(d, Facts("bm.qcow2"));
  EXPECT_NE(json.find("            \"bitmaps\": [\n"
                      "                {\n"
                      "                    \"flags\": [\n"
                      "                        \"auto\"\n"
                      "                    ],\n"
                      "                    \"name\": \"b0\",\n"
                      "                    \"granularity\": 65536\n"
                      "                },\n"
                      "                {\n"
                      "                    \"flags\": [\n"
                      "                    ],\n"
                      "                    \"name\": \"b1\",\n"
                      "                    \"granularity\": 131072\n"
                      "                }\n"
                      "            ],\n"),
            std::string::npos)
      << json;
  // in-use comes before auto.
  d.bitmaps[1].set_flags(3);
  EXPECT_NE(
      Human(d, Facts("bm.qcow2"))
          .find("            flags:\n                [0]: in-use\n                [1]: auto\n"),
      std::string::npos);
}

TEST_F(InfoRender, Raw) {
  DecodedImage d;
  d.info.set_format(guest::FORMAT_RAW);
  d.info.set_virtual_size(kMiB16);
  EXPECT_EQ(Human(d, Facts("r.raw", 4096)),
            "image: r.raw\n"
            "file format: raw\n"
            "virtual size: 16 MiB (16777216 bytes)\n"
            "disk size: 4 KiB\n");
  EXPECT_EQ(Json(d, Facts("r.raw", 4096)),
            "{\n"
            "    \"virtual-size\": 16777216,\n"
            "    \"filename\": \"r.raw\",\n"
            "    \"format\": \"raw\",\n"
            "    \"actual-size\": 4096,\n"
            "    \"dirty-flag\": false\n"
            "}\n");
  HostFacts no_size = Facts("r.raw");
  no_size.actual_size.reset();
  EXPECT_NE(Human(d, no_size).find("disk size: unavailable\n"), std::string::npos);
}

TEST_F(InfoRender, InconsistentMessagesAreRejected) {
  DecodedImage unknown;
  EXPECT_FALSE(BuildImageInfo(unknown, Facts("x")).has_value());
  DecodedImage v4 = Qcow2(4);
  EXPECT_FALSE(BuildImageInfo(v4, Facts("x")).has_value());
  DecodedImage comp = Qcow2(3);
  comp.info.mutable_qcow2()->set_compression_type(2);
  EXPECT_FALSE(BuildImageInfo(comp, Facts("x")).has_value());
}

TEST_F(InfoRender, BackingChain) {
  DecodedImage top = Qcow2(3);
  top.info.mutable_qcow2()->set_has_backing_file(true);
  top.info.mutable_qcow2()->set_backing_file("ov.qcow2");
  top.info.mutable_qcow2()->set_has_backing_format(true);
  top.info.mutable_qcow2()->set_backing_format("qcow2");
  DecodedImage base = Qcow2(3);
  const ImageInfo a = Build(top, Facts("ov2.qcow2"));
  const ImageInfo b = Build(base, Facts("ov.qcow2"));
  const std::string human =
      JoinChainHuman({RenderInfoHuman(a, DefaultProfile()), RenderInfoHuman(b, DefaultProfile())});
  EXPECT_EQ(human,
            RenderInfoHuman(a, DefaultProfile()) + "\n" + RenderInfoHuman(b, DefaultProfile()));
  EXPECT_EQ(human.back(), '\n');
  EXPECT_NE(human.substr(human.size() - 2), "\n\n");

  const std::string json = RenderChainJson({a, b}, DefaultProfile());
  EXPECT_EQ(json.substr(0, 12), "[\n    {\n    ");
  EXPECT_NE(json.find("        \"dirty-flag\": false\n    },\n    {\n"), std::string::npos) << json;
  EXPECT_EQ(json.substr(json.size() - 9), "\n    }\n]\n");
  // A single image is still an array.
  EXPECT_EQ(RenderChainJson({b}, DefaultProfile()).substr(0, 8), "[\n    {\n");
}

}  // namespace
}  // namespace instar::render
