// header_test.cc: decode_header and qemu's header checks, field by field.
#include "guest/formats/qcow2/header.h"

#include <gtest/gtest.h>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar::qcow2 {
namespace {

using test::put_be32;
using test::put_be64;
using test::Qcow2ImageBuilder;

Header decoded(const std::vector<uint8_t>& image) {
  return decode_header(image.data());
}

TEST(HeaderTest, DecodesEveryV3Field) {
  Qcow2ImageBuilder b;
  b.size = 1ull << 30;
  b.crypt_method = 2;
  b.incompatible_features = 0x1b;
  b.compatible_features = 1;
  b.autoclear_features = 3;
  b.refcount_order = 6;
  b.compression_type = 1;
  b.backing_file = "base";
  b.nb_snapshots = 2;
  b.snapshots_offset = 0x40000;
  const Header h = decoded(b.build());
  EXPECT_EQ(h.magic, 0x514649fbu);
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.backing_file_offset, 0x78u);  // 112 + end marker
  EXPECT_EQ(h.backing_file_size, 4u);
  EXPECT_EQ(h.cluster_bits, 16u);
  EXPECT_EQ(h.size, 1ull << 30);
  EXPECT_EQ(h.crypt_method, 2u);
  EXPECT_EQ(h.l1_size, 4u);  // extended L2 (bit 4): 16-byte L2 entries
  EXPECT_EQ(h.l1_table_offset, 0x30000u);
  EXPECT_EQ(h.refcount_table_offset, 0x10000u);
  EXPECT_EQ(h.refcount_table_clusters, 1u);
  EXPECT_EQ(h.nb_snapshots, 2u);
  EXPECT_EQ(h.snapshots_offset, 0x40000u);
  EXPECT_EQ(h.incompatible_features, 0x1bu);
  EXPECT_EQ(h.compatible_features, 1u);
  EXPECT_EQ(h.autoclear_features, 3u);
  EXPECT_EQ(h.refcount_order, 6u);
  EXPECT_EQ(h.header_length, 112u);
  EXPECT_EQ(h.compression_type, 1u);
  EXPECT_EQ(h.extensions_end(), 0x78u);
}

TEST(HeaderTest, V2IgnoresV3FieldsAndImpliesDefaults) {
  Qcow2ImageBuilder b;
  b.version = 2;
  std::vector<uint8_t> image = b.build();
  put_be64(image, 72, ~0ull);  // would be incompatible features in v3
  image[104] = 7;
  const Header h = decoded(image);
  EXPECT_EQ(h.incompatible_features, 0u);
  EXPECT_EQ(h.refcount_order, 4u);
  EXPECT_EQ(h.header_length, 72u);
  EXPECT_EQ(h.compression_type, 0u);
  EXPECT_TRUE(check_header_basics(h).ok());
}

TEST(HeaderTest, HeaderLength104ImpliesZlib) {
  Qcow2ImageBuilder b;
  b.header_length = 104;
  std::vector<uint8_t> image = b.build();
  image[104] = 9;  // not part of a 104-byte header
  const Header h = decoded(image);
  EXPECT_EQ(h.compression_type, 0u);
  EXPECT_TRUE(check_header_basics(h).ok());
  EXPECT_TRUE(check_header_layout(h).ok());
}

struct HeaderCase {
  const char* name;
  void (*edit)(Header&);
  bool layout;  // checked by check_header_layout (else check_header_basics)
  instar_guest_ErrorCode code;
};

class HeaderCheckTest : public testing::TestWithParam<HeaderCase> {};

TEST_P(HeaderCheckTest, FailsWithQemusError) {
  Header h = decoded(Qcow2ImageBuilder().build());
  ASSERT_TRUE(check_header_basics(h).ok());
  ASSERT_TRUE(check_header_layout(h).ok());
  GetParam().edit(h);
  const Status s = GetParam().layout ? check_header_layout(h) : check_header_basics(h);
  EXPECT_EQ(s.code(), GetParam().code);
}

#define E(x) instar_guest_ErrorCode_ERROR_##x
const HeaderCase kCases[] = {
    {"Magic", [](Header& h) { h.magic = 0; }, false, E(NOT_QCOW2)},
    {"Version0", [](Header& h) { h.version = 0; }, false, E(UNSUPPORTED_VERSION)},
    {"Version4", [](Header& h) { h.version = 4; }, false, E(UNSUPPORTED_VERSION)},
    {"ClusterBits8", [](Header& h) { h.cluster_bits = 8; }, false, E(UNSUPPORTED_CLUSTER_SIZE)},
    {"ClusterBits22", [](Header& h) { h.cluster_bits = 22; }, false, E(UNSUPPORTED_CLUSTER_SIZE)},
    {"ClusterBitsHuge", [](Header& h) { h.cluster_bits = 0xffffffff; }, false,
     E(UNSUPPORTED_CLUSTER_SIZE)},
    {"HeaderLength103", [](Header& h) { h.header_length = 103; }, false, E(HEADER_TOO_SHORT)},
    {"HeaderLengthAboveCluster", [](Header& h) { h.header_length = 0x10001; }, false,
     E(HEADER_EXCEEDS_CLUSTER)},
    {"BackingOffset", [](Header& h) { h.backing_file_offset = 0x10001; }, false,
     E(BACKING_FILE_OFFSET_INVALID)},
    {"Compression2", [](Header& h) { h.compression_type = 2; }, false, E(UNKNOWN_COMPRESSION_TYPE)},
    {"ZstdNoBit", [](Header& h) { h.compression_type = 1; }, false, E(COMPRESSION_BIT_NOT_SET)},
    {"ZlibBit", [](Header& h) { h.incompatible_features = 8; }, false,
     E(COMPRESSION_BIT_SET_FOR_ZLIB)},
    {"Subcluster",
     [](Header& h) {
       h.cluster_bits = 13;
       h.incompatible_features = 16;
     },
     true, E(UNSUPPORTED_SUBCLUSTER_SIZE)},
    {"RefcountOrder7", [](Header& h) { h.refcount_order = 7; }, true, E(REFCOUNT_ORDER_TOO_LARGE)},
    {"NoRefcountTable", [](Header& h) { h.refcount_table_clusters = 0; }, true,
     E(NO_REFCOUNT_TABLE)},
    {"RefcountTableTooLarge", [](Header& h) { h.refcount_table_clusters = 129; }, true,
     E(REFCOUNT_TABLE_TOO_LARGE)},
    {"RefcountTableMisaligned", [](Header& h) { h.refcount_table_offset = 512; }, true,
     E(REFCOUNT_TABLE_OFFSET_INVALID)},
    {"SnapshotsTooMany", [](Header& h) { h.nb_snapshots = 65537; }, true,
     E(SNAPSHOT_TABLE_TOO_LARGE)},
    {"SnapshotsMisaligned", [](Header& h) { h.snapshots_offset = 8; }, true,
     E(SNAPSHOT_OFFSET_INVALID)},
    {"SnapshotsBeyondInt64", [](Header& h) { h.snapshots_offset = 1ull << 63; }, true,
     E(SNAPSHOT_OFFSET_INVALID)},
    {"L1TooLarge", [](Header& h) { h.l1_size = 0x400001; }, true, E(L1_TOO_LARGE)},
    {"L1Misaligned", [](Header& h) { h.l1_table_offset = 0x30001; }, true, E(L1_OFFSET_INVALID)},
    {"L1TooSmall", [](Header& h) { h.l1_size = 0; }, true, E(L1_TOO_SMALL)},
    {"ImageTooBig",
     [](Header& h) {
       h.size = 1ull << 62;
       h.cluster_bits = 9;
     },
     true, E(IMAGE_TOO_LARGE)},
    {"Crypt3", [](Header& h) { h.crypt_method = 3; }, true, E(UNSUPPORTED_ENCRYPTION)},
};
#undef E

INSTANTIATE_TEST_SUITE_P(Qcow2, HeaderCheckTest, testing::ValuesIn(kCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(HeaderTest, L1SizeLimitIsInclusive) {
  Header h = decoded(Qcow2ImageBuilder().build());
  h.l1_size = 0x400000;
  EXPECT_TRUE(check_header_layout(h).ok());
}

// qemu-img check opens with BDRV_O_CHECK: no refcount table is then for the check to report
// (as corruptions), not an open error; the other layout errors stay.
TEST(HeaderTest, CheckModeAcceptsAMissingRefcountTable) {
  Header h = decoded(Qcow2ImageBuilder().build());
  h.refcount_table_clusters = 0;
  EXPECT_EQ(check_header_layout(h).code(), instar_guest_ErrorCode_ERROR_NO_REFCOUNT_TABLE);
  EXPECT_TRUE(check_header_layout(h, OpenMode::kCheck).ok());
  h.refcount_table_offset = 512;
  EXPECT_EQ(check_header_layout(h, OpenMode::kCheck).code(),
            instar_guest_ErrorCode_ERROR_REFCOUNT_TABLE_OFFSET_INVALID);
}

TEST(HeaderTest, CheckModeLeavesTheSnapshotTableToTheCheck) {
  Header h = decoded(Qcow2ImageBuilder().build());
  h.nb_snapshots = 0xffffffffu;
  EXPECT_EQ(check_header_layout(h).code(), instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_LARGE);
  EXPECT_TRUE(check_header_layout(h, OpenMode::kCheck).ok());
  EXPECT_EQ(validate_snapshot_table(h).code(),
            instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_LARGE);
  h.nb_snapshots = 1;
  h.snapshots_offset = 0x30001;
  EXPECT_EQ(validate_snapshot_table(h).code(),
            instar_guest_ErrorCode_ERROR_SNAPSHOT_OFFSET_INVALID);
}

TEST(HeaderTest, SizeNearTwoToThe64WrapsLikeQemu) {
  // qemu's size_to_l1() wraps: the L1 needed for 2^64-1 bytes computes as 0.
  Header h = decoded(Qcow2ImageBuilder().build());
  h.size = ~0ull;
  EXPECT_TRUE(check_header_layout(h).ok());
  EXPECT_EQ(h.virtual_size(), ~0ull & ~511ull);
}

}  // namespace
}  // namespace instar::qcow2
