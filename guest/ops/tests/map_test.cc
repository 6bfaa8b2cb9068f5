// map_test.cc: the map op over images the real qemu-img 7.2 makes, in memory: qemu's block status
// per layer, depth through chains, merging, batching and the requested range.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "guest/ops/compare_image.h"
#include "guest/ops/map.h"
#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";
constexpr const char* kQemuIo = "/usr/bin/qemu-io";
constexpr uint32_t kDataAlloc = kBlockData | kBlockOffsetValid | kBlockAllocated;

struct Extent {
  uint64_t start, length;
  uint32_t depth, flags;
  uint64_t offset;
  bool operator==(const Extent&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Extent& e) {
  return os << "{" << e.start << "+" << e.length << " d" << e.depth << " f" << e.flags << " @"
            << e.offset << "}";
}

struct MapRun {
  std::vector<Extent> extents;
  uint64_t length = 0;
  uint32_t extent_messages = 0;
  instar_guest_MapEnd end = instar_guest_MapEnd_MAP_END_UNSPECIFIED;
  int error = 0;
  int done = -1;
};

class MapTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kQemuImg, X_OK) != 0 || access(kQemuIo, X_OK) != 0) {
      GTEST_SKIP() << "qemu-img/qemu-io not installed";
    }
    char pattern[] = "/tmp/instar-map-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  void sh(const std::string& cmd) {
    const std::string full = "cd '" + dir_ + "' && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  void img(const std::string& args) { sh(std::string(kQemuImg) + " " + args); }
  void io(const std::string& args) { sh(std::string(kQemuIo) + " " + args); }

  // Maps the chain `files` (top first; every image is qcow2 but a ".raw" one) over
  // [start, start + length).
  MapRun map(const std::vector<std::string>& files, uint64_t start = 0,
             uint64_t length = abi::kMapNoMaxLength) {
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(abi::Op::kMap);
    op.input_device[0] = 0;
    op.input_device[1] = abi::kNoDevice;
    op.map_start = start;
    op.map_length = length;
    op.chain_length[0] = static_cast<uint32_t>(files.size());
    std::vector<std::vector<uint8_t>> devices;
    for (size_t k = 0; k < files.size(); ++k) {
      devices.push_back(read_file(dir_ + "/" + files[k]));
      abi::ChainLink& link = op.chain[0][k];
      link.device = static_cast<uint32_t>(k);
      const bool raw = files[k].ends_with(".raw");
      link.format = static_cast<uint32_t>(raw ? abi::ImageFormat::kRaw : abi::ImageFormat::kQcow2);
      link.data_device = abi::kNoDevice;
      link.extent_device = abi::kNoDevice;
    }
    op.input_format[0] = op.chain[0][0].format;
    MapRun r;
    for (const auto& m : run_op_on(op, devices)) {
      switch (m.which_body) {
        case instar_guest_GuestMessage_map_begin_tag:
          r.length = m.body.map_begin.length;
          break;
        case instar_guest_GuestMessage_map_extents_tag:
          ++r.extent_messages;
          for (pb_size_t i = 0; i < m.body.map_extents.extents_count; ++i) {
            const auto& e = m.body.map_extents.extents[i];
            r.extents.push_back({e.start, e.length, e.depth, e.flags, e.offset});
          }
          break;
        case instar_guest_GuestMessage_map_result_tag:
          r.end = m.body.map_result.end;
          break;
        case instar_guest_GuestMessage_error_tag:
          r.error = m.body.error.code;
          break;
        case instar_guest_GuestMessage_done_tag:
          r.done = m.body.done.status;
          break;
      }
    }
    return r;
  }

  std::string dir_;
};

TEST_F(MapTest, DataZeroAndUnallocatedClustersOfOneImage) {
  img("create -q -f qcow2 a.qcow2 4M");
  io("-c 'write -P 1 1M 1M' -c 'write -z 3M 64k' a.qcow2");
  const MapRun r = map({"a.qcow2"});
  EXPECT_EQ(r.end, instar_guest_MapEnd_MAP_COMPLETE);
  EXPECT_EQ(r.done, 0);
  EXPECT_EQ(r.length, 4u << 20);
  const std::vector<Extent> want = {
      {0, 1u << 20, 0, kBlockZero, 0},
      {1u << 20, 1u << 20, 0, kDataAlloc, 0x50000},
      {2u << 20, 1u << 20, 0, kBlockZero, 0},
      {3u << 20, 64u << 10, 0, kBlockZero | kBlockAllocated, 0},
      {(3u << 20) + (64u << 10), (1u << 20) - (64u << 10), 0, kBlockZero, 0},
  };
  EXPECT_EQ(r.extents, want);
}

TEST_F(MapTest, UnallocatedRangesTakeTheDepthOfTheLayerThatAnswers) {
  img("create -q -f raw base.raw 4M");
  io("-f raw -c 'write -P 1 0 1M' base.raw");
  img("create -q -f qcow2 -b base.raw -F raw top.qcow2");
  io("-c 'write -P 2 512k 64k' top.qcow2");
  const MapRun r = map({"top.qcow2", "base.raw"});
  ASSERT_EQ(r.end, instar_guest_MapEnd_MAP_COMPLETE);
  // Without the host's extent map the raw file is all data (its holes: see the oracle suite).
  const std::vector<Extent> want = {
      {0, 512u << 10, 1, kDataAlloc, 0},
      {512u << 10, 64u << 10, 0, kDataAlloc, 0x50000},
      {576u << 10, (4u << 20) - (576u << 10), 1, kDataAlloc, 576u << 10},
  };
  EXPECT_EQ(r.extents, want);
}

TEST_F(MapTest, CompressedClustersHaveDataButNoOffset) {
  img("create -q -f raw src.raw 1M");
  io("-f raw -c 'write -P 7 0 128k' src.raw");
  img("convert -c -O qcow2 src.raw c.qcow2");
  const MapRun r = map({"c.qcow2"});
  ASSERT_FALSE(r.extents.empty());
  EXPECT_EQ(r.extents[0],
            (Extent{0, 128u << 10, 0, kBlockData | kBlockAllocated | kMapFlagCompressed, 0}));
}

TEST_F(MapTest, AGibibyteOfOneKindIsOneExtentInOneMessage) {
  img("create -q -f qcow2 big.qcow2 1G");
  io("-c 'write -z 0 256M' big.qcow2");
  const MapRun r = map({"big.qcow2"});
  EXPECT_EQ(r.extent_messages, 1u);
  ASSERT_EQ(r.extents.size(), 2u);
  // 4096 zero clusters: one extent, then the unallocated rest.
  EXPECT_EQ(r.extents[0].length, 256u << 20);
  EXPECT_EQ(r.extents[0].flags, kBlockZero | kBlockAllocated);
  EXPECT_EQ(r.extents[1].length, 768u << 20);
}

TEST_F(MapTest, ManyRunsAreBatchedAndTileTheImage) {
  img("create -q -f qcow2 -o cluster_size=4k many.qcow2 4M");
  std::string commands;
  for (int i = 0; i < 300; ++i) commands += " -c 'write -z " + std::to_string(i * 8) + "k 4k'";
  io(commands + " many.qcow2");
  const MapRun r = map({"many.qcow2"});
  ASSERT_EQ(r.end, instar_guest_MapEnd_MAP_COMPLETE);
  EXPECT_EQ(r.extents.size(), 600u);  // 300 zero clusters, each followed by a gap
  EXPECT_EQ(r.extent_messages, (600u + kMapExtentsPerMessage - 1) / kMapExtentsPerMessage);
  uint64_t at = 0;
  for (const Extent& e : r.extents) {
    EXPECT_EQ(e.start, at);
    at += e.length;
  }
  EXPECT_EQ(at, 4u << 20);
}

TEST_F(MapTest, TheWalkCoversOnlyTheRequestedRange) {
  img("create -q -f qcow2 a.qcow2 4M");
  io("-c 'write -P 1 1M 1M' a.qcow2");
  MapRun r = map({"a.qcow2"}, (1u << 20) + 512, 4096);
  ASSERT_EQ(r.extents.size(), 1u);
  EXPECT_EQ(r.extents[0], (Extent{(1u << 20) + 512, 4096, 0, kDataAlloc, 0x50000 + 512}));
  // Past the end, and with a sum beyond INT64_MAX (qemu's int64_t wraps): nothing is walked.
  r = map({"a.qcow2"}, 8u << 20);
  EXPECT_TRUE(r.extents.empty());
  EXPECT_EQ(r.end, instar_guest_MapEnd_MAP_COMPLETE);
  r = map({"a.qcow2"}, 1u << 20, 0x7fffffffffffffffull);
  EXPECT_TRUE(r.extents.empty());
}

TEST_F(MapTest, AnImageThatDoesNotOpenEndsWithOpenFailed) {
  sh("printf 'QFI\\373garbage' > bad.qcow2 && truncate -s 64k bad.qcow2");
  const MapRun r = map({"bad.qcow2"});
  EXPECT_EQ(r.end, instar_guest_MapEnd_MAP_OPEN_FAILED);
  EXPECT_NE(r.error, 0);
  EXPECT_EQ(r.done, 1);
  EXPECT_TRUE(r.extents.empty());
}

}  // namespace
}  // namespace instar::test
