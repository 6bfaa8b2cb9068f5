// info_test.cc: run_op(kInfo) over builder images: decoded fields, and one-field corruptions in
// the style of qemu-iotests 080 mapped to the error qemu 7.2 reports.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"
#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

using Messages = std::vector<instar_guest_GuestMessage>;

// By value: callers often pass a temporary message list.
instar_guest_ImageInfo expect_info(const Messages& m) {
  EXPECT_FALSE(m.empty());
  EXPECT_EQ(m.front().which_body, instar_guest_GuestMessage_info_tag)
      << "error code " << m.front().body.error.code;
  EXPECT_EQ(m.back().which_body, instar_guest_GuestMessage_done_tag);
  EXPECT_EQ(m.back().body.done.status, 0);
  return m.front().body.info;
}

instar_guest_Error expect_error(const Messages& m) {
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.front().which_body, instar_guest_GuestMessage_error_tag);
  EXPECT_EQ(m.back().which_body, instar_guest_GuestMessage_done_tag);
  EXPECT_EQ(m.back().body.done.status, 1);
  return m.front().body.error;
}

TEST(InfoTest, PlainV3Image) {
  Qcow2ImageBuilder b;
  b.add_feature_table();
  const Messages m = run_info_op(b.build());
  ASSERT_EQ(m.size(), 2u);
  const instar_guest_ImageInfo& info = expect_info(m);
  EXPECT_EQ(info.format, instar_guest_Format_FORMAT_QCOW2);
  EXPECT_EQ(info.virtual_size, 16u << 20);
  EXPECT_EQ(info.cluster_size, 65536u);
  ASSERT_TRUE(info.has_qcow2);
  EXPECT_EQ(info.qcow2.version, 3u);
  EXPECT_EQ(info.qcow2.cluster_bits, 16u);
  EXPECT_EQ(info.qcow2.refcount_order, 4u);
  EXPECT_EQ(info.qcow2.header_length, 112u);
  EXPECT_EQ(info.qcow2.l1_size, 1u);
  EXPECT_EQ(info.qcow2.l1_table_offset, 3u * 65536);
  EXPECT_EQ(info.qcow2.refcount_table_offset, 65536u);
  EXPECT_EQ(info.qcow2.refcount_table_clusters, 1u);
  EXPECT_EQ(info.qcow2.size, 16u << 20);
  EXPECT_FALSE(info.qcow2.has_backing_file);
  EXPECT_FALSE(info.qcow2.has_data_file);
  EXPECT_EQ(info.qcow2.nb_snapshots, 0u);
  EXPECT_EQ(info.qcow2.nb_bitmaps, 0u);
}

TEST(InfoTest, V2ImageGetsImpliedFields) {
  Qcow2ImageBuilder b;
  b.version = 2;
  const instar_guest_ImageInfo& info = expect_info(run_info_op(b.build()));
  EXPECT_EQ(info.qcow2.version, 2u);
  EXPECT_EQ(info.qcow2.refcount_order, 4u);
  EXPECT_EQ(info.qcow2.header_length, 72u);
}

TEST(InfoTest, VirtualSizeIsRoundedDownToSectors) {
  Qcow2ImageBuilder b;
  b.size = 1000;
  const instar_guest_ImageInfo& info = expect_info(run_info_op(b.build()));
  EXPECT_EQ(info.virtual_size, 512u);
  EXPECT_EQ(info.qcow2.size, 1000u);
}

TEST(InfoTest, BackingFileAndFormat) {
  Qcow2ImageBuilder b;
  b.backing_file = "base.qcow2";
  b.add_backing_format("qcow2");
  const Messages m = run_info_op(b.build());
  const instar_guest_ImageInfo& info = expect_info(m);
  EXPECT_TRUE(info.qcow2.has_backing_file);
  EXPECT_EQ(as_string(info.qcow2.backing_file), "base.qcow2");
  EXPECT_TRUE(info.qcow2.has_backing_format);
  EXPECT_EQ(as_string(info.qcow2.backing_format), "qcow2");
}

TEST(InfoTest, NamesStopAtTheFirstNul) {
  Qcow2ImageBuilder b;
  b.backing_file = std::string("ab\0cd", 5);
  b.add_data_file(std::string("df\0x", 4));
  b.incompatible_features = 4;
  const instar_guest_ImageInfo& info = expect_info(run_info_op(b.build()));
  EXPECT_EQ(as_string(info.qcow2.backing_file), "ab");
  EXPECT_EQ(as_string(info.qcow2.data_file), "df");
}

TEST(InfoTest, SnapshotsFollowTheInfo) {
  Qcow2ImageBuilder b;
  SnapshotSpec s1{"1", "s1", 1795393728, 258544000, 3723456789000, 0, 1536, ~uint64_t{0}, 24};
  SnapshotSpec s2{"2", "second", 5, 6, 7, 0, 0, 42, 24};
  SnapshotSpec s3{"3", "old", 0, 0, 0, 777, 0, 0, 16};  // no icount
  SnapshotSpec s4{"10", "", 0, 0, 0, 4096, 0, 0, 0};    // 32-bit vm state size
  b.snapshots = {s1, s2, s3, s4};
  const Messages m = run_info_op(b.build());
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(expect_info(m).qcow2.nb_snapshots, 4u);
  const instar_guest_Snapshot& a = m[1].body.snapshot;
  ASSERT_EQ(m[1].which_body, instar_guest_GuestMessage_snapshot_tag);
  EXPECT_EQ(as_string(a.id), "1");
  EXPECT_EQ(as_string(a.name), "s1");
  EXPECT_EQ(a.date_sec, 1795393728u);
  EXPECT_EQ(a.date_nsec, 258544000u);
  EXPECT_EQ(a.vm_clock_nsec, 3723456789000u);
  EXPECT_EQ(a.vm_state_size, 1536u);
  EXPECT_FALSE(a.has_icount);
  EXPECT_TRUE(m[2].body.snapshot.has_icount);
  EXPECT_EQ(m[2].body.snapshot.icount, 42u);
  EXPECT_FALSE(m[3].body.snapshot.has_icount);
  EXPECT_EQ(m[4].body.snapshot.vm_state_size, 4096u);
  EXPECT_EQ(as_string(m[4].body.snapshot.id), "10");
}

// qcow2_snapshot_list() refuses an image with an external data file (-ENOTSUP) and qemu-img info
// leaves the list out; the table is still read at open, so its errors still end the open.
TEST(InfoTest, AnImageWithADataFileListsNoSnapshots) {
  Qcow2ImageBuilder b;
  b.incompatible_features = 4;
  b.add_data_file("df");
  b.snapshots = {SnapshotSpec{"1", "s", 0, 0, 0, 0, 0, 0, 24}};
  b.bitmaps = {BitmapSpec{"b0", 16, 2, 1, 1}};
  for (const uint32_t flags : {uint32_t{0}, uint32_t{abi::kOpFlagNoIo}}) {
    const Messages m = run_info_op(b.build(), abi::ImageFormat::kProbe, flags);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(expect_info(m).qcow2.nb_snapshots, 0u);
    EXPECT_EQ(m[1].which_body, instar_guest_GuestMessage_bitmap_tag);
  }
  Qcow2ImageBuilder bad = b;
  bad.snapshots = {SnapshotSpec{"1", "s", 0, 0, 0, 0, 0, 0, 2048}};  // extra data over 1 KiB
  EXPECT_EQ(expect_error(run_info_op(bad.build())).code,
            instar_guest_ErrorCode_ERROR_SNAPSHOT_EXTRA_TOO_LARGE);
}

TEST(InfoTest, BitmapsFollowTheSnapshots) {
  Qcow2ImageBuilder b;
  b.snapshots = {SnapshotSpec{"1", "s", 0, 0, 0, 0, 0, 0, 24}};
  b.bitmaps = {BitmapSpec{"b0", 16, 2, 1, 1}, BitmapSpec{"b1", 17, 0, 1, 1}};
  const Messages m = run_info_op(b.build());
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(expect_info(m).qcow2.nb_bitmaps, 2u);
  EXPECT_EQ(m[1].which_body, instar_guest_GuestMessage_snapshot_tag);
  ASSERT_EQ(m[2].which_body, instar_guest_GuestMessage_bitmap_tag);
  EXPECT_EQ(as_string(m[2].body.bitmap.name), "b0");
  EXPECT_EQ(m[2].body.bitmap.granularity_bits, 16u);
  EXPECT_EQ(m[2].body.bitmap.flags, 2u);
  EXPECT_EQ(as_string(m[3].body.bitmap.name), "b1");
  EXPECT_EQ(m[3].body.bitmap.granularity_bits, 17u);
}

TEST(InfoTest, BitmapsExtensionWithoutAutoclearBitIsIgnored) {
  Qcow2ImageBuilder b;
  b.bitmaps = {BitmapSpec{"b0", 16, 2, 1, 1}};
  std::vector<uint8_t> image = b.build();
  put_be64(image, 88, 0);  // autoclear bit 0 clear: a bitmap-unaware program wrote the image
  const instar_guest_ImageInfo& info = expect_info(run_info_op(image));
  EXPECT_EQ(info.qcow2.nb_bitmaps, 0u);
  EXPECT_TRUE(info.qcow2.bitmaps_extension_ignored);
}

TEST(InfoTest, EmptyFileIsRaw) {
  const Messages m = run_info_op({});
  const instar_guest_ImageInfo& info = expect_info(m);
  EXPECT_EQ(info.format, instar_guest_Format_FORMAT_RAW);
  EXPECT_EQ(info.virtual_size, 0u);
  EXPECT_EQ(info.cluster_size, 0u);
  EXPECT_FALSE(info.has_qcow2);
}

TEST(InfoTest, RawSizeIsRoundedUpToSectors) {
  EXPECT_EQ(expect_info(run_info_op(std::vector<uint8_t>(1000, 7))).virtual_size, 1024u);
}

TEST(InfoTest, QcowMagicForcedToRawIsRaw) {
  const std::vector<uint8_t> image = Qcow2ImageBuilder().build();
  const Messages m = run_info_op(image, abi::ImageFormat::kRaw);
  const instar_guest_ImageInfo& info = expect_info(m);
  EXPECT_EQ(info.format, instar_guest_Format_FORMAT_RAW);
  EXPECT_EQ(info.virtual_size, (image.size() + 511) / 512 * 512);
}

TEST(InfoTest, TruncatedTo4096StillDescribes) {
  std::vector<uint8_t> image = Qcow2ImageBuilder().build();
  image.resize(4096);
  EXPECT_EQ(expect_info(run_info_op(image)).virtual_size, 16u << 20);
}

TEST(InfoTest, EncryptedAndDataFileImagesDescribe) {
  Qcow2ImageBuilder b;
  b.crypt_method = 1;
  b.incompatible_features = 4;
  b.add_data_file("data.raw");
  const instar_guest_ImageInfo& info = expect_info(run_info_op(b.build()));
  EXPECT_EQ(info.qcow2.crypt_method, 1u);
  EXPECT_TRUE(info.qcow2.has_data_file);
  EXPECT_EQ(as_string(info.qcow2.data_file), "data.raw");
}

// --- errors -------------------------------------------------------------------------------------

struct Corruption {
  const char* name;
  std::function<std::vector<uint8_t>()> image;
  instar_guest_ErrorCode code;
  std::vector<uint64_t> args;
  std::string names;  // Error.name, or Error.feature_names joined with ", "
  abi::ImageFormat format = abi::ImageFormat::kProbe;
};

std::vector<uint8_t> with(std::function<void(Qcow2ImageBuilder&)> edit) {
  Qcow2ImageBuilder b;
  edit(b);
  return b.build();
}

std::vector<uint8_t> poked(std::function<void(std::vector<uint8_t>&)> poke,
                           std::function<void(Qcow2ImageBuilder&)> edit = nullptr) {
  Qcow2ImageBuilder b;
  if (edit) edit(b);
  std::vector<uint8_t> image = b.build();
  poke(image);
  return image;
}

class CorruptionTest : public testing::TestWithParam<Corruption> {};

TEST_P(CorruptionTest, ReportsQemusError) {
  const Corruption& c = GetParam();
  const Messages m = run_info_op(c.image(), c.format);
  const instar_guest_Error& e = expect_error(m);
  EXPECT_EQ(e.code, c.code);
  EXPECT_EQ(std::vector<uint64_t>(e.args, e.args + e.args_count), c.args);
  std::string names = as_string(e.name);
  for (pb_size_t i = 0; i < e.feature_names_count; ++i) {
    names += (names.empty() ? "" : ", ") + as_string(e.feature_names[i]);
  }
  EXPECT_EQ(names, c.names);
}

using C = Corruption;
#define E(x) instar_guest_ErrorCode_ERROR_##x
const Corruption kCorruptions[] = {
    C{"NotQcow2WhenForced",
      [] { return std::vector<uint8_t>(4096, 0); },
      E(NOT_QCOW2),
      {},
      "",
      abi::ImageFormat::kQcow2},
    C{"EmptyFileForcedQcow2",
      [] { return std::vector<uint8_t>(); },
      E(NOT_QCOW2),
      {},
      "",
      abi::ImageFormat::kQcow2},
    // The qcow v1 driver reads crypt_method's (zero) high byte as cluster_bits.
    C{"Version1",
      [] { return with([](auto& b) { b.version = 1; }); },
      E(QCOW1_CLUSTER_SIZE),
      {},
      ""},
    C{"Version1Forced",
      [] { return with([](auto& b) { b.version = 1; }); },
      E(UNSUPPORTED_VERSION),
      {1},
      "",
      abi::ImageFormat::kQcow2},
    C{"Version4",
      [] { return with([](auto& b) { b.version = 4; }); },
      E(UNSUPPORTED_VERSION),
      {4},
      ""},
    C{"ClusterBits8",
      [] { return poked([](auto& i) { put_be32(i, 20, 8); }); },
      E(UNSUPPORTED_CLUSTER_SIZE),
      {8},
      ""},
    C{"ClusterBits22",
      [] { return poked([](auto& i) { put_be32(i, 20, 22); }); },
      E(UNSUPPORTED_CLUSTER_SIZE),
      {22},
      ""},
    C{"TruncatedTo50",
      [] {
        auto i = with([](auto&) {});
        i.resize(50);
        return i;
      },
      E(HEADER_TOO_SHORT),
      {},
      ""},
    C{"HeaderLength100",
      [] { return poked([](auto& i) { put_be32(i, 100, 100); }); },
      E(HEADER_TOO_SHORT),
      {},
      ""},
    C{"HeaderLengthHuge",
      [] { return poked([](auto& i) { put_be32(i, 100, 0x20000); }); },
      E(HEADER_EXCEEDS_CLUSTER),
      {},
      ""},
    C{"HeaderLength120",
      [] {
        return poked([](auto& i) { put_be32(i, 100, 120); },
                     [](auto& b) { b.add_feature_table(); });
      },
      E(HEADER_EXTENSION_TOO_LARGE),
      {},
      ""},
    C{"HugeExtension",
      [] {
        return poked([](auto& i) { put_be32(i, 112 + 4, 0xffffff00); },
                     [](auto& b) {
                       b.extensions.push_back({0x12345678, {1, 2, 3}});
                     });
      },
      E(HEADER_EXTENSION_TOO_LARGE),
      {},
      ""},
    C{"BackingOffsetBeyondCluster",
      [] { return poked([](auto& i) { put_be64(i, 8, 0x10001); }); },
      E(BACKING_FILE_OFFSET_INVALID),
      {},
      ""},
    C{"CompressionType2",
      [] { return poked([](auto& i) { i[104] = 2; }); },
      E(UNKNOWN_COMPRESSION_TYPE),
      {2},
      ""},
    C{"ZstdWithoutBit",
      [] { return poked([](auto& i) { i[104] = 1; }); },
      E(COMPRESSION_BIT_NOT_SET),
      {},
      ""},
    C{"ZlibWithBit",
      [] { return with([](auto& b) { b.incompatible_features = 8; }); },
      E(COMPRESSION_BIT_SET_FOR_ZLIB),
      {},
      ""},
    C{"UnknownIncompatibleBitNoTable",
      [] { return with([](auto& b) { b.incompatible_features = 0x20; }); },
      E(UNSUPPORTED_FEATURES),
      {0x20},
      ""},
    C{"UnknownIncompatibleHighBit",
      [] { return with([](auto& b) { b.incompatible_features = 0x8000000000000001ull; }); },
      E(UNSUPPORTED_FEATURES),
      {0x8000000000000000ull},
      ""},
    C{"UnknownIncompatibleBitsNamed",
      [] {
        return with([](auto& b) {
          b.incompatible_features = 0x60;
          b.add_feature_names({{0, 0, "dirty bit"}, {1, 5, "compat five"}, {0, 5, "future five"}});
        });
      },
      E(UNSUPPORTED_FEATURES),
      {0x40},
      "future five"},
    C{"UnknownIncompatibleTableStopsAtEmptyName",
      [] {
        return with([](auto& b) {
          b.incompatible_features = 0x60;
          b.add_feature_names({{0, 5, "five"}, {0, 0, ""}, {0, 6, "six"}});
        });
      },
      E(UNSUPPORTED_FEATURES),
      {0x40},
      "five"},
    C{"SubclusterTooSmall",
      [] {
        return with([](auto& b) {
          b.cluster_bits = 12;
          b.incompatible_features = 16;
        });
      },
      E(UNSUPPORTED_SUBCLUSTER_SIZE),
      {128},
      ""},
    C{"RefcountOrder7",
      [] { return with([](auto& b) { b.refcount_order = 7; }); },
      E(REFCOUNT_ORDER_TOO_LARGE),
      {},
      ""},
    C{"NoRefcountTable",
      [] { return with([](auto& b) { b.refcount_table_clusters = 0; }); },
      E(NO_REFCOUNT_TABLE),
      {},
      ""},
    C{"RefcountTableTooLarge",
      [] { return with([](auto& b) { b.refcount_table_clusters = 0x1000000; }); },
      E(REFCOUNT_TABLE_TOO_LARGE),
      {},
      ""},
    C{"RefcountTableMisaligned",
      [] { return with([](auto& b) { b.refcount_table_offset = 0x10001; }); },
      E(REFCOUNT_TABLE_OFFSET_INVALID),
      {},
      ""},
    C{"ClusterBits21OnA64kImage",
      [] { return poked([](auto& i) { put_be32(i, 20, 21); }); },
      E(REFCOUNT_TABLE_OFFSET_INVALID),
      {},
      ""},
    C{"RefcountTableBeyondInt64",
      [] { return with([](auto& b) { b.refcount_table_offset = 0x7fffffffffff0000ll; }); },
      E(REFCOUNT_TABLE_OFFSET_INVALID),
      {},
      ""},
    C{"TooManySnapshots",
      [] { return with([](auto& b) { b.nb_snapshots = 70000; }); },
      E(SNAPSHOT_TABLE_TOO_LARGE),
      {},
      ""},
    C{"SnapshotOffsetMisaligned",
      [] {
        return with([](auto& b) {
          b.nb_snapshots = 1;
          b.snapshots_offset = 0x30001;
        });
      },
      E(SNAPSHOT_OFFSET_INVALID),
      {},
      ""},
    C{"L1TooLarge",
      [] { return with([](auto& b) { b.l1_size = 0x400001; }); },
      E(L1_TOO_LARGE),
      {},
      ""},
    C{"L1TooSmall", [] { return with([](auto& b) { b.l1_size = 0; }); }, E(L1_TOO_SMALL), {}, ""},
    C{"L1OffsetMisaligned",
      [] { return with([](auto& b) { b.l1_table_offset = 0x30001; }); },
      E(L1_OFFSET_INVALID),
      {},
      ""},
    C{"ImageTooBig",
      [] {
        return with([](auto& b) {
          b.cluster_bits = 9;
          b.size = 1ull << 62;
          b.l1_size = 0;
        });
      },
      E(IMAGE_TOO_LARGE),
      {},
      ""},
    // Small enough for qcow2's L1 arithmetic (it wraps), too big for qemu's int64_t sectors.
    C{"SectorCountOverflow",
      [] { return with([](auto& b) { b.size = ~uint64_t{511}; }); },
      E(TOTAL_SECTORS_OVERFLOW),
      {},
      ""},
    C{"CryptMethod3",
      [] { return with([](auto& b) { b.crypt_method = 3; }); },
      E(UNSUPPORTED_ENCRYPTION),
      {3},
      ""},
    C{"BackingFormatTooLong",
      [] { return with([](auto& b) { b.add_backing_format("0123456789abcdef"); }); },
      E(BACKING_FORMAT_TOO_LONG),
      {16, 16},
      ""},
    C{"CryptoHeaderWithoutLuks",
      [] {
        return with([](auto& b) {
          b.extensions.push_back({0x0537be77, std::vector<uint8_t>(16)});
        });
      },
      E(CRYPTO_HEADER_UNEXPECTED),
      {},
      ""},
    C{"CryptoHeaderWrongSize",
      [] {
        return with([](auto& b) {
          b.crypt_method = 2;
          b.extensions.push_back({0x0537be77, std::vector<uint8_t>(8)});
        });
      },
      E(CRYPTO_HEADER_SIZE),
      {8, 16},
      ""},
    C{"CryptoHeaderMisaligned",
      [] {
        return with([](auto& b) {
          std::vector<uint8_t> data(16);
          put_be64(data, 0, 0x10200);
          b.crypt_method = 2;
          b.extensions.push_back({0x0537be77, data});
        });
      },
      E(CRYPTO_HEADER_OFFSET_MISALIGNED),
      {0x10200, 0x10000},
      ""},
    C{"DataFileRequired",
      [] { return with([](auto& b) { b.incompatible_features = 4; }); },
      E(DATA_FILE_REQUIRED),
      {},
      ""},
    C{"DataFileRawWithoutDataFile",
      [] { return with([](auto& b) { b.autoclear_features = 2; }); },
      E(DATA_FILE_RAW_WITHOUT_DATA_FILE),
      {},
      ""},
    C{"BackingNameTooLong",
      [] {
        return with([](auto& b) {
          b.backing_file = "base";
          b.backing_file_size = 1024;
        });
      },
      E(BACKING_NAME_TOO_LONG),
      {},
      ""},
    C{"BackingNamePastCluster",
      [] {
        return poked([](auto& i) {
          put_be64(i, 8, 0xff00);
          put_be32(i, 16, 0x101);
        });
      },
      E(BACKING_NAME_TOO_LONG),
      {},
      ""},
    C{"SnapshotExtraTooLarge",
      [] {
        return with([](auto& b) {
          b.snapshots = {SnapshotSpec{"1", "a", 0, 0, 0, 0, 0, 0, 24},
                         SnapshotSpec{"2", "b", 0, 0, 0, 0, 0, 0, 1025}};
        });
      },
      E(SNAPSHOT_EXTRA_TOO_LARGE),
      {1},
      ""},
    C{"BitmapsExtensionBadLength",
      [] {
        return with([](auto& b) {
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, std::vector<uint8_t>(16)});
        });
      },
      E(BITMAPS_EXT_INVALID_LENGTH),
      {},
      ""},
    C{"BitmapsExtensionZeroBitmaps",
      [] {
        return with([](auto& b) {
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, std::vector<uint8_t>(24)});
        });
      },
      E(BITMAPS_ZERO),
      {},
      ""},
    C{"BitmapsReservedNonZero",
      [] {
        return with([](auto& b) {
          std::vector<uint8_t> data(24);
          put_be32(data, 0, 1);
          put_be32(data, 4, 1);
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, data});
        });
      },
      E(BITMAPS_EXT_RESERVED_NONZERO),
      {},
      ""},
    C{"TooManyBitmaps",
      [] {
        return with([](auto& b) {
          std::vector<uint8_t> data(24);
          put_be32(data, 0, 65536);
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, data});
        });
      },
      E(BITMAPS_TOO_MANY),
      {65536, 65535},
      ""},
    C{"BitmapDirectoryMisaligned",
      [] {
        return with([](auto& b) {
          std::vector<uint8_t> data(24);
          put_be32(data, 0, 1);
          put_be64(data, 8, 32);
          put_be64(data, 16, 0x10008);
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, data});
        });
      },
      E(BITMAP_DIRECTORY_OFFSET_INVALID),
      {},
      ""},
    C{"BitmapDirectorySizeZero",
      [] {
        return with([](auto& b) {
          std::vector<uint8_t> data(24);
          put_be32(data, 0, 1);
          put_be64(data, 16, 0x50000);
          b.autoclear_features = 1;
          b.extensions.push_back({0x23852875, data});
        });
      },
      E(BITMAP_DIRECTORY_SIZE_ZERO),
      {},
      ""},
    C{"BitmapGranularityTooSmall",
      [] { return with([](auto& b) {
             b.bitmaps = {BitmapSpec{"tiny", 8, 2, 1, 1}};
           }); },
      E(BITMAP_CONSTRAINTS),
      {},
      "tiny"},
    C{"BitmapTableTooSmallForDisk",
      [] {
        // 1 cluster of bitmap at 512-byte granularity covers 256 MiB; the disk is 1 GiB.
        return with([](auto& b) {
          b.size = 1ull << 30;
          b.bitmaps = {BitmapSpec{"b", 9, 0, 1, 1}};
        });
      },
      E(BITMAP_CONSTRAINTS),
      {},
      "b"},
    C{"BitmapWrongType",
      [] { return with([](auto& b) {
             b.bitmaps = {BitmapSpec{"t", 16, 0, 1, 2}};
           }); },
      E(BITMAP_CONSTRAINTS),
      {},
      "t"},
    C{"MoreBitmapsThanHeader",
      [] {
        return poked([](auto& i) { put_be32(i, 112 + 8, 1); },
                     [](auto& b) {
                       b.bitmaps = {BitmapSpec{"a"}, BitmapSpec{"b"}};
                     });
      },
      E(BITMAPS_MORE_THAN_HEADER),
      {},
      ""},
    C{"LessBitmapsThanHeader",
      [] {
        return poked([](auto& i) { put_be32(i, 112 + 8, 3); },
                     [](auto& b) {
                       b.bitmaps = {BitmapSpec{"a"}, BitmapSpec{"b"}};
                     });
      },
      E(BITMAPS_LESS_THAN_HEADER),
      {},
      ""},
    C{"BrokenBitmapDirectory",
      [] {
        return poked([](auto& i) { put_be64(i, 112 + 8 + 8, 20); },
                     [](auto& b) { b.bitmaps = {BitmapSpec{"a"}}; });
      },
      E(BITMAP_DIRECTORY_BROKEN),
      {},
      ""},
    C{"BitmapExtraData",
      [] {
        // 24 + 9 name bytes pad to 40, leaving room for 4 bytes of extra data.
        return poked([](auto& i) { put_be32(i, 5 * 65536 + 20, 4); },
                     [](auto& b) { b.bitmaps = {BitmapSpec{"abcdefghi"}}; });
      },
      E(BITMAP_EXTRA_DATA),
      {},
      ""},
};
#undef E

INSTANTIATE_TEST_SUITE_P(Qcow2, CorruptionTest, testing::ValuesIn(kCorruptions),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(InfoTest, SnapshotTableTooBig) {
  // 520 entries of 40 + 24 + 2 * 65535 bytes pass the 64 MiB table limit at entry 512.
  Qcow2ImageBuilder b;
  const std::string long_name(65535, 'n');
  for (int i = 0; i < 520; ++i) b.snapshots.push_back(SnapshotSpec{long_name, long_name});
  const Messages m = run_info_op(b.build());
  const instar_guest_Error& e = expect_error(m);
  EXPECT_EQ(e.code, instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_BIG);
  ASSERT_EQ(e.args_count, 1);
  EXPECT_EQ(e.args[0], 520u - 511u);
}

TEST(RunOpTest, BadDeviceIndexIsRefused) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kInfo);
  op.input_device[0] = 3;
  const Messages m = run_op_on(op, {{}});
  EXPECT_EQ(expect_error(m).code, instar_guest_ErrorCode_ERROR_BAD_CONFIG);
}

TEST(RunOpTest, UnknownFormatIsRefused) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kInfo);
  op.input_format[0] = 99;
  const Messages m = run_op_on(op, {{}});
  EXPECT_EQ(expect_error(m).code, instar_guest_ErrorCode_ERROR_BAD_CONFIG);
}

TEST(RunOpTest, UnknownOpsAreUnsupported) {
  for (abi::Op o : {abi::Op::kNone, abi::Op::kTestSpinForever}) {
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(o);
    const Messages m = run_op_on(op, {{}});
    const instar_guest_Error& e = expect_error(m);
    EXPECT_EQ(e.code, instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP);
    ASSERT_EQ(e.args_count, 1);
    EXPECT_EQ(e.args[0], static_cast<uint32_t>(o));
  }
}

// qemu-img info in releases with the CVE-2024-4467 fix opens with BDRV_O_NO_IO and skips the
// data-file step with its refusals: both images are described (qemu-img 7.2.22 prints them, rc 0).
TEST(InfoTest, NoIoOpenDescribesDataFileBitsWithoutADataFile) {
  for (const uint64_t incompat : {uint64_t{0}, uint64_t{4}}) {
    Qcow2ImageBuilder b;
    b.add_feature_table();
    b.incompatible_features = incompat;
    b.autoclear_features = incompat == 0 ? 2 : 0;
    const std::vector<uint8_t> image = b.build();
    const instar_guest_ImageInfo& info =
        expect_info(run_info_op(image, abi::ImageFormat::kProbe, abi::kOpFlagNoIo));
    EXPECT_FALSE(info.qcow2.has_data_file);
    EXPECT_EQ(info.qcow2.incompatible_features, incompat);
    // Without the flag (check, compare, releases before the fix) the step refuses them.
    EXPECT_EQ(expect_error(run_info_op(image)).code,
              incompat ? instar_guest_ErrorCode_ERROR_DATA_FILE_REQUIRED
                       : instar_guest_ErrorCode_ERROR_DATA_FILE_RAW_WITHOUT_DATA_FILE);
  }
}

}  // namespace
}  // namespace instar::test
