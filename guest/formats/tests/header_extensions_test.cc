// header_extensions_test.cc: the extension walk: known magics, skipping, bounds and qemu's errors.
#include "guest/formats/qcow2/header_extensions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_image_builder.h"

namespace instar::qcow2 {
namespace {

using test::put_be32;
using test::put_be64;

class Extensions {
 public:
  Extensions& add(uint32_t magic, const std::vector<uint8_t>& data) {
    put_be32(area_, at_, magic);
    put_be32(area_, at_ + 4, static_cast<uint32_t>(data.size()));
    for (size_t i = 0; i < data.size(); ++i) area_.at(at_ + 8 + i) = data[i];
    at_ += 8 + ((data.size() + 7) & ~size_t{7});
    return *this;
  }
  Extensions& add(uint32_t magic, const std::string& s) {
    return add(magic, std::vector<uint8_t>(s.begin(), s.end()));
  }
  Status parse(HeaderExtensions* out, uint32_t crypt_method = 0, uint64_t autoclear = 1,
               uint64_t end = 4096) const {
    ExtensionContext c;
    c.version = 3;
    c.cluster_size = 4096;
    c.crypt_method = crypt_method;
    c.autoclear_features = autoclear;
    return parse_header_extensions(Bytes(area_.data(), area_.size()), 112, end, c, out);
  }
  std::vector<uint8_t>& area() { return area_; }

 private:
  std::vector<uint8_t> area_ = std::vector<uint8_t>(4096 + 8, 0);
  uint64_t at_ = 112;
};

TEST(HeaderExtensionsTest, ReadsKnownExtensionsAndSkipsUnknownOnes) {
  std::vector<uint8_t> crypto(16), bitmaps(24);
  put_be64(crypto, 0, 0x40000);
  put_be64(crypto, 8, 0x1f9000);
  put_be32(bitmaps, 0, 2);
  put_be64(bitmaps, 8, 64);
  put_be64(bitmaps, 16, 0x5000);
  Extensions e;
  e.add(kExtensionBackingFormat, "qcow2")
      .add(0x12345678, std::vector<uint8_t>(13, 0xff))
      .add(kExtensionDataFile, "data.raw")
      .add(kExtensionCryptoHeader, crypto)
      .add(kExtensionFeatureTable, std::vector<uint8_t>(96, 1))
      .add(kExtensionBitmaps, bitmaps);
  HeaderExtensions out;
  ASSERT_TRUE(e.parse(&out, 2).ok());
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(out.backing_format.data), out.backing_format.size),
      "qcow2");
  EXPECT_EQ(out.data_file.size, 8u);
  EXPECT_TRUE(out.has_crypto_header);
  EXPECT_EQ(out.crypto_header_offset, 0x40000u);
  EXPECT_EQ(out.crypto_header_length, 0x1f9000u);
  EXPECT_EQ(out.feature_table.size, 96u);
  EXPECT_EQ(out.nb_bitmaps, 2u);
  EXPECT_EQ(out.bitmap_directory_size, 64u);
  EXPECT_EQ(out.bitmap_directory_offset, 0x5000u);
}

TEST(HeaderExtensionsTest, StopsAtTheEndMarker) {
  Extensions e;
  e.add(0, std::vector<uint8_t>{}).add(kExtensionBackingFormat, "ignored");
  HeaderExtensions out;
  ASSERT_TRUE(e.parse(&out).ok());
  EXPECT_FALSE(out.has_backing_format);
}

TEST(HeaderExtensionsTest, LengthBeyondTheAreaIsTooLarge) {
  Extensions e;
  e.add(0x1234, std::vector<uint8_t>(8));
  put_be32(e.area(), 116, 4096 - 120 + 1);
  HeaderExtensions out;
  EXPECT_EQ(e.parse(&out).code(), instar_guest_ErrorCode_ERROR_HEADER_EXTENSION_TOO_LARGE);
  put_be32(e.area(), 116, 4096 - 120);  // exactly fills the area
  EXPECT_TRUE(e.parse(&out).ok());
}

TEST(HeaderExtensionsTest, HeaderStraddlingTheEndIsTooLarge) {
  Extensions e;
  e.add(0x1234, std::vector<uint8_t>(8));
  HeaderExtensions out;
  EXPECT_EQ(e.parse(&out, 0, 1, 116).code(),
            instar_guest_ErrorCode_ERROR_HEADER_EXTENSION_TOO_LARGE);
}

TEST(HeaderExtensionsTest, BackingFormatOf16BytesIsRefused) {
  HeaderExtensions out;
  EXPECT_TRUE(Extensions().add(kExtensionBackingFormat, std::string(15, 'f')).parse(&out).ok());
  const Status s = Extensions().add(kExtensionBackingFormat, std::string(16, 'f')).parse(&out);
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_BACKING_FORMAT_TOO_LONG);
}

TEST(HeaderExtensionsTest, BitmapsIgnoredWithoutAutoclearBit) {
  std::vector<uint8_t> bitmaps(24);
  put_be32(bitmaps, 4, 99);  // not even looked at
  HeaderExtensions out;
  ASSERT_TRUE(Extensions().add(kExtensionBitmaps, bitmaps).parse(&out, 0, 0).ok());
  EXPECT_TRUE(out.bitmaps_ignored);
  EXPECT_EQ(out.nb_bitmaps, 0u);
}

TEST(HeaderExtensionsTest, BitmapDirectoryTooLarge) {
  std::vector<uint8_t> bitmaps(24);
  put_be32(bitmaps, 0, 1);
  put_be64(bitmaps, 8, 1024ull * 65535 + 1);
  HeaderExtensions out;
  const Status s = Extensions().add(kExtensionBitmaps, bitmaps).parse(&out);
  EXPECT_EQ(s.code(), instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_TOO_LARGE);
  EXPECT_EQ(s.arg(0), 1024ull * 65535 + 1);
}

TEST(HeaderExtensionsTest, UntilNul) {
  const uint8_t bytes[] = {'a', 'b', 0, 'c'};
  EXPECT_EQ(until_nul(Bytes(bytes, 4)).size, 2u);
  EXPECT_EQ(until_nul(Bytes(bytes, 1)).size, 1u);
}

}  // namespace
}  // namespace instar::qcow2
