// decompress_test.cc: cluster decompression with qemu's success rules, on arena memory only.
#include "guest/formats/qcow2/decompress.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <vector>

namespace instar::qcow2 {
namespace {

constexpr uint64_t kCluster = 65536;

std::vector<uint8_t> pattern() {
  std::vector<uint8_t> v(kCluster);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>((i * 7) ^ (i >> 9));
  return v;
}

// qcow2_zlib_compress(): raw deflate, 4 KiB window.
std::vector<uint8_t> deflate_raw(const std::vector<uint8_t>& in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(in.size() * 2 + 64);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

class DecompressTest : public testing::Test {
 protected:
  Status run(uint8_t type, const std::vector<uint8_t>& in, uint64_t out_size) {
    out_.assign(out_size, 0xee);
    const uint64_t before = arena_.used();
    const Status s = decompress_cluster(type, Bytes(in.data(), in.size()),
                                        MutableBytes(out_.data(), out_.size()), arena_);
    EXPECT_EQ(arena_.used(), before);
    return s;
  }
  std::vector<uint8_t> memory_ = std::vector<uint8_t>(8 << 20);
  Arena arena_{memory_.data(), memory_.size()};
  std::vector<uint8_t> out_;
};

TEST_F(DecompressTest, ZlibRoundTripWithSectorPadding) {
  const auto data = pattern();
  auto compressed = deflate_raw(data);
  compressed.resize((compressed.size() + 511) / 512 * 512, 0);  // known only to the sector
  ASSERT_TRUE(run(0, compressed, kCluster).ok());
  EXPECT_EQ(out_, data);
}

TEST_F(DecompressTest, ZlibShortOutputFails) {
  auto half = pattern();
  half.resize(kCluster / 2);
  EXPECT_EQ(run(0, deflate_raw(half), kCluster).code(),
            instar_guest_ErrorCode_ERROR_DECOMPRESSION_FAILED);
}

TEST_F(DecompressTest, ZlibGarbageFails) {
  std::vector<uint8_t> garbage(512, 0xff);
  EXPECT_FALSE(run(0, garbage, kCluster).ok());
}

TEST_F(DecompressTest, ZstdRoundTripAndFrames) {
  const auto data = pattern();
  std::vector<uint8_t> compressed(ZSTD_compressBound(data.size()));
  compressed.resize(
      ZSTD_compress(compressed.data(), compressed.size(), data.data(), data.size(), 3));
  compressed.resize((compressed.size() + 511) / 512 * 512, 0);
  ASSERT_TRUE(run(1, compressed, kCluster).ok());
  EXPECT_EQ(out_, data);
  // Two frames of half a cluster each fill the cluster too.
  std::vector<uint8_t> two;
  for (int half = 0; half < 2; ++half) {
    std::vector<uint8_t> frame(ZSTD_compressBound(kCluster / 2));
    frame.resize(ZSTD_compress(frame.data(), frame.size(), data.data() + half * kCluster / 2,
                               kCluster / 2, 3));
    two.insert(two.end(), frame.begin(), frame.end());
  }
  ASSERT_TRUE(run(1, two, kCluster).ok());
  EXPECT_EQ(out_, data);
}

TEST_F(DecompressTest, ZstdTooMuchOrTooLittleFails) {
  const auto data = pattern();
  std::vector<uint8_t> compressed(ZSTD_compressBound(data.size()));
  compressed.resize(
      ZSTD_compress(compressed.data(), compressed.size(), data.data(), data.size(), 3));
  // The frame holds more than the output: not completely flushed.
  EXPECT_FALSE(run(1, compressed, kCluster / 2).ok());
  // Truncated input: no progress before the output is full.
  compressed.resize(compressed.size() / 2);
  EXPECT_FALSE(run(1, compressed, kCluster).ok());
}

TEST_F(DecompressTest, UnknownTypeFails) {
  EXPECT_FALSE(run(2, std::vector<uint8_t>(512), kCluster).ok());
}

}  // namespace
}  // namespace instar::qcow2
