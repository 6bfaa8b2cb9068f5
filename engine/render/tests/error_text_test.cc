// Error texts of guest error codes and the diagnostic framing (reference §8).
#include "engine/render/error_text.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace instar::render {
namespace {

guest::Error Err(guest::ErrorCode code, std::initializer_list<uint64_t> args = {},
                 const std::string& name = "") {
  guest::Error e;
  e.set_code(code);
  for (uint64_t a : args) e.add_args(a);
  e.set_name(name);
  return e;
}

// Codes appended to guest.proto later are looked up by name, so this test builds against a proto
// that lacks them; their expectations then check the "unknown code" fallback is not hit.
guest::Error Err(const std::string& name, std::initializer_list<uint64_t> args = {},
                 const std::string& image_name = "") {
  guest::ErrorCode code = guest::ERROR_NONE;
  if (!guest::ErrorCode_Parse(name, &code)) ADD_FAILURE() << name << " is not in guest.proto";
  return Err(code, args, image_name);
}

std::string Open(const guest::Error& e, const std::string& file = "x.qcow2") {
  return OpenErrorText("qemu-img", file, GuestErrorText(e));
}

TEST(ErrorText, ReferenceTable) {
  EXPECT_EQ(Open(Err(guest::ERROR_HEADER_TOO_SHORT), "trunc50.qcow2"),
            "qemu-img: Could not open 'trunc50.qcow2': qcow2 header too short\n");
  EXPECT_EQ(Open(Err(guest::ERROR_NOT_QCOW2), "empty.img"),
            "qemu-img: Could not open 'empty.img': Image is not in qcow2 format\n");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_QCOW_V1)).message,
            "Cluster size must be between 512 and 64k");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_VERSION, {4})).message,
            "Unsupported qcow2 version 4");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_VERSION, {255})).message,
            "Unsupported qcow2 version 255");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_VERSION, {0xFFFFFFFFu})).message,
            "Unsupported qcow2 version 4294967295");  // PRIu32
  for (uint64_t bits : {8, 22, 31}) {
    EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_CLUSTER_SIZE, {bits})).message,
              "Unsupported cluster size: 2^" + std::to_string(bits));
  }
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_REFCOUNT_TABLE_OFFSET_INVALID)).message,
            "Reference count table offset invalid");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_L1_TOO_LARGE)).message, "Active L1 table too large");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_L1_TOO_SMALL)).message, "L1 table is too small");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_L1_OFFSET_INVALID)).message,
            "Active L1 table offset invalid");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_NO_REFCOUNT_TABLE)).message,
            "Image does not contain a reference count table");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_REFCOUNT_TABLE_TOO_LARGE)).message,
            "Reference count table too large");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_REFCOUNT_ORDER_TOO_LARGE)).message,
            "Reference count entry width too large; may not exceed 64 bits");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_HEADER_EXCEEDS_CLUSTER)).message,
            "qcow2 header exceeds cluster size");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_HEADER_EXTENSION_TOO_LARGE)).message,
            "Header extension too large");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_ENCRYPTION, {3})).message,
            "Unsupported encryption method 3");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_SNAPSHOT_OFFSET_INVALID)).message,
            "Snapshot table offset invalid");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_SNAPSHOT_TABLE_TOO_LARGE)).message,
            "Snapshot table too large");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_BACKING_NAME_TOO_LONG)).message,
            "Backing file name too long");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNKNOWN_COMPRESSION_TYPE, {2})).message,
            "qcow2: unknown compression type: 2");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_COMPRESSION_BIT_NOT_SET)).message,
            "qcow2: Compression type incompatible feature bit must be set");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_IMAGE_TOO_LARGE)).message, "Image is too big");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_DATA_FILE_REQUIRED)).message,
            "'data-file' is required for this image");
}

TEST(ErrorText, UnsupportedFeatures) {
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_FEATURES, {0x20})).message,
            "Unsupported qcow2 feature(s): Unknown incompatible feature: 20");
  guest::Error named = Err(guest::ERROR_UNSUPPORTED_FEATURES, {0x40});
  named.add_feature_names("extended L2 entries");
  EXPECT_EQ(GuestErrorText(named).message,
            "Unsupported qcow2 feature(s): extended L2 entries, Unknown incompatible feature: 40");
  guest::Error only_names = Err(guest::ERROR_UNSUPPORTED_FEATURES, {0});
  only_names.add_feature_names("a");
  only_names.add_feature_names(std::string("b\0tail", 6));  // %.46s stops at the NUL
  EXPECT_EQ(GuestErrorText(only_names).message, "Unsupported qcow2 feature(s): a, b");
}

// Errors carry no text of the guest's wording: a name on a code whose qemu text quotes none is
// never printed (the channel refuses such a message before it gets here).
TEST(ErrorText, PrintsNoNamesWhereQemuQuotesNone) {
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_IO, {0, 512}, "No errors were found")).message,
            "Input/output error");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_INTERNAL, {}, "\x1b]52;c;aGk=\x07")).message,
            "instar: internal error in the sandboxed image parser");
}

TEST(ErrorText, HintsFollowTheMessage) {
  EXPECT_EQ(Open(Err(guest::ERROR_SNAPSHOT_EXTRA_TOO_LARGE, {0}), "s.qcow2"),
            "qemu-img: Could not open 's.qcow2': Too much extra metadata in snapshot table entry "
            "0\nYou can force-remove this extra metadata with qemu-img check -r all\n");
}

// The qcow2 extension/bitmap codes appended to guest.proto; skipped while the proto lacks them.
TEST(ErrorText, AppendedCodes) {
  guest::ErrorCode probe;
  if (!guest::ErrorCode_Parse("ERROR_SNAPSHOT_TABLE_TOO_BIG", &probe)) {
    GTEST_SKIP() << "guest.proto does not have the appended codes yet";
  }
  EXPECT_EQ(GuestErrorText(Err("ERROR_COMPRESSION_BIT_SET_FOR_ZLIB")).message,
            "qcow2: Compression type incompatible feature bit must not be set");
  EXPECT_EQ(Open(Err("ERROR_SNAPSHOT_TABLE_TOO_BIG", {3}), "s.qcow2"),
            "qemu-img: Could not open 's.qcow2': Snapshot table is too big\nYou can force-remove "
            "all 3 overhanging snapshots with qemu-img check -r all\n");
  EXPECT_EQ(GuestErrorText(Err("ERROR_BACKING_FORMAT_TOO_LONG", {20, 16})).message,
            "ERROR: ext_backing_format: len=20 too large (>=16)");
  EXPECT_EQ(GuestErrorText(Err("ERROR_CRYPTO_HEADER_SIZE", {8, 16})).message,
            "CRYPTO header extension size 8, but expected size 16");
  EXPECT_EQ(GuestErrorText(Err("ERROR_CRYPTO_HEADER_OFFSET_MISALIGNED", {4097, 65536})).message,
            "Encryption header offset '4097' is not a multiple of cluster size '65536'");
  EXPECT_EQ(GuestErrorText(Err("ERROR_BITMAPS_TOO_MANY", {70000, 65535})).message,
            "bitmaps_ext: Image has 70000 bitmaps, exceeding the QEMU supported maximum of 65535");
  EXPECT_EQ(GuestErrorText(Err("ERROR_BITMAP_DIRECTORY_TOO_LARGE", {1ULL << 40, 67107840})).message,
            "bitmaps_ext: bitmap directory size (1099511627776) exceeds the maximum supported "
            "size (67107840)");
  EXPECT_EQ(GuestErrorText(Err("ERROR_BITMAP_CONSTRAINTS", {}, "b0")).message,
            "Bitmap 'b0' doesn't satisfy the constraints");
  EXPECT_EQ(GuestErrorText(Err(guest::ERROR_UNSUPPORTED_ENCRYPTION, {0xFFFFFFFFu})).message,
            "Unsupported encryption method -1");  // %d
}

TEST(ErrorText, EveryCodeHasText) {
  // The lite runtime has no descriptors: walk the enum's range and skip the gaps.
  for (int i = guest::ErrorCode_MIN; i <= guest::ErrorCode_MAX; ++i) {
    if (!guest::ErrorCode_IsValid(i) || i == guest::ERROR_NONE) continue;
    const auto code = static_cast<guest::ErrorCode>(i);
    const ErrorText t = GuestErrorText(Err(code, {1, 2}, "d"));
    EXPECT_FALSE(t.message.empty()) << guest::ErrorCode_Name(code);
    EXPECT_EQ(t.message.find("unknown guest error code"), std::string::npos)
        << guest::ErrorCode_Name(code);
  }
}

TEST(ErrorText, CorruptionAndWarnings) {
  // Each corruption event has its own code: the event text is the host's, the numbers the guest's.
  const ErrorText t = GuestErrorText(Err(guest::ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, {1, 0}));
  EXPECT_EQ(t.preamble,
            "qcow2: Image is corrupt: L2 table offset 0x1 unaligned (L1 index: 0); further "
            "non-fatal corruption events will be suppressed\n");
  EXPECT_EQ(t.message, "Input/output error");
  EXPECT_EQ(CorruptionEventLine("x"), CorruptionEventLine("Image is corrupt: x"));
  EXPECT_EQ(BitmapsIgnoredWarning("qemu-img", 3),
            "qemu-img: warning: a program lacking bitmap support modified this file, so all "
            "bitmaps are now considered inconsistent\nSome clusters may be leaked, run 'qemu-img "
            "check -r' on the image file to fix.");
}

TEST(ErrorText, ProgramName) {
  EXPECT_EQ(ProgramName("/usr/bin/qemu-img"), "qemu-img");
  EXPECT_EQ(ProgramName("./instar"), "instar");
  EXPECT_EQ(ProgramName("instar"), "instar");
  EXPECT_EQ(DiagnosticLine("instar", "Unknown driver 'foo'"), "instar: Unknown driver 'foo'\n");
  EXPECT_EQ(OpenErrorText("instar", "a b", GuestErrorText(Err(guest::ERROR_L1_TOO_SMALL))),
            "instar: Could not open 'a b': L1 table is too small\n");
}

}  // namespace
}  // namespace instar::render

namespace instar::render {
namespace {

// vhdx: error_report() lines before the open error (program-prefixed), and the log replay
// message whose hint quotes the image name again.
TEST(ErrorText, VhdxOpenFailures) {
  EXPECT_EQ(OpenErrorText("qemu-img", "x.vhdx",
                          GuestErrorText(Err(guest::ERROR_VHDX_REGION_OVERLAP, {1, 2, 3, 0}))),
            "qemu-img: VHDX region 1-2 overlaps with region 3-\n"
            "qemu-img: Could not open 'x.vhdx': Could not open 'x.vhdx': Invalid argument\n");
  EXPECT_EQ(OpenErrorText("qemu-img", "d.vhdx", GuestErrorText(Err(guest::ERROR_VHDX_LOG_REPLAY))),
            "qemu-img: Could not open 'd.vhdx': VHDX image file 'd.vhdx' opened read-only, but "
            "contains a log that needs to be replayed\n"
            "To replay the log, run:\nqemu-img check -r all 'd.vhdx'\n");
  EXPECT_EQ(OpenErrorText("p", "f", GuestErrorText(Err(guest::ERROR_VHDX_NO_VALID_HEADER))),
            "p: Could not open 'f': No valid VHDX header found\n");
  EXPECT_EQ(OpenErrorText("p", "f", GuestErrorText(Err(guest::ERROR_VHDX_ENOTSUP, {15}))),
            "p: Could not open 'f': Could not open 'f': Operation not supported\n");
}

}  // namespace
}  // namespace instar::render
