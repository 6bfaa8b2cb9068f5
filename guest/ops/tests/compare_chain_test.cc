// compare_chain_test.cc: compare through backing chains and external data files, over images the
// real qemu-img 7.2 makes, in memory: chain resolution, fall-through, short backing files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "guest/ops/compare_image.h"
#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";
constexpr const char* kQemuIo = "/usr/bin/qemu-io";

struct Link {
  Link(const char* f, abi::ImageFormat fmt = abi::ImageFormat::kProbe, const char* data = "")
      : file(f), format(fmt), data_file(data) {}
  std::string file;
  abi::ImageFormat format;
  std::string data_file;  // empty: none
};

struct Outcome {
  instar_guest_CompareKind kind = instar_guest_CompareKind_COMPARE_KIND_UNSPECIFIED;
  uint64_t offset = 0;
  uint32_t image = 0;
  int error = 0;
};

class CompareChainTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kQemuImg, X_OK) != 0 || access(kQemuIo, X_OK) != 0) {
      GTEST_SKIP() << "qemu-img/qemu-io not installed";
    }
    char pattern[] = "/tmp/instar-chain-compare-XXXXXX";
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

  // Compares chain `a` (top first) with chain `b`; an empty chain table sends the input alone.
  Outcome compare(const std::vector<Link>& a, const std::vector<Link>& b, bool strict = false,
                  bool send_tables = true) {
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(abi::Op::kCompare);
    op.flags = strict ? abi::kOpFlagStrict : 0u;
    std::vector<std::vector<uint8_t>> devices = {read_file(dir_ + "/" + a[0].file),
                                                 read_file(dir_ + "/" + b[0].file)};
    const std::vector<Link>* chains[2] = {&a, &b};
    for (uint32_t i = 0; i < 2; ++i) {
      op.input_device[i] = i;
      op.input_format[i] = static_cast<uint32_t>((*chains[i])[0].format);
      if (!send_tables) continue;
      op.chain_length[i] = static_cast<uint32_t>(chains[i]->size());
      for (size_t k = 0; k < chains[i]->size(); ++k) {
        const Link& link = (*chains[i])[k];
        abi::ChainLink& out = op.chain[i][k];
        if (k == 0) {
          out.device = i;
        } else {
          devices.push_back(read_file(dir_ + "/" + link.file));
          out.device = static_cast<uint32_t>(devices.size() - 1);
        }
        out.format = static_cast<uint32_t>(link.format);
        out.data_device = abi::kNoDevice;
        out.extent_device = abi::kNoDevice;
        if (!link.data_file.empty()) {
          devices.push_back(read_file(dir_ + "/" + link.data_file));
          out.data_device = static_cast<uint32_t>(devices.size() - 1);
        }
      }
    }
    const auto m = run_op_on(op, devices);
    Outcome r;
    for (const auto& message : m) {
      if (message.which_body == instar_guest_GuestMessage_error_tag)
        r.error = message.body.error.code;
      if (message.which_body == instar_guest_GuestMessage_compare_result_tag) {
        r.kind = message.body.compare_result.kind;
        r.offset = message.body.compare_result.offset;
        r.image = message.body.compare_result.image;
      }
    }
    return r;
  }

  // base.raw <- mid.qcow2 <- top.qcow2 (6M, larger than its backing files), and flat.raw.
  void make_three_level_chain() {
    img("create -q -f raw base.raw 4M");
    io("-f raw -c 'write -P 0x11 0 1M' -c 'write -P 0x12 2M 512k' base.raw");
    img("create -q -f qcow2 -b base.raw -F raw mid.qcow2");
    io("-c 'write -P 0x21 512k 1M' -c 'write -z 2M 64k' mid.qcow2");
    img("create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 6M");
    io("-c 'write -P 0x31 3M 64k' top.qcow2");
    img("convert -O raw top.qcow2 flat.raw");
  }

  std::vector<Link> three_levels() const {
    return {{"top.qcow2"},
            {"mid.qcow2", abi::ImageFormat::kQcow2},
            {"base.raw", abi::ImageFormat::kRaw}};
  }

  std::string dir_;
};

TEST_F(CompareChainTest, UnallocatedClustersFallThroughTheChain) {
  make_three_level_chain();
  EXPECT_EQ(compare(three_levels(), {{"flat.raw"}}).kind,
            instar_guest_CompareKind_COMPARE_IDENTICAL);
  EXPECT_EQ(compare({{"flat.raw"}}, three_levels()).kind,
            instar_guest_CompareKind_COMPARE_IDENTICAL);
  // A byte that only the raw base holds (the middle and top leave 2.25M unallocated) ...
  sh("cp flat.raw poked.raw && printf X | dd of=poked.raw bs=1 seek=2400000 conv=notrunc");
  Outcome r = compare(three_levels(), {{"poked.raw"}});
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH);
  EXPECT_EQ(r.offset, 2400000u / 512 * 512);
  // ... and one the middle image's zero cluster hides from the base.
  sh("cp flat.raw poked2.raw && printf X | dd of=poked2.raw bs=1 seek=2097153 conv=notrunc");
  r = compare(three_levels(), {{"poked2.raw"}});
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH);
  EXPECT_EQ(r.offset, 2097152u);
}

TEST_F(CompareChainTest, ShortBackingFileReadsAsZerosBeyondItsEnd) {
  img("create -q -f qcow2 base.qcow2 1M");
  io("-c 'write -P 0x41 0 1M' base.qcow2");
  img("create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 4M");
  io("-c 'write -P 0x42 3M 64k' top.qcow2");
  img("convert -O raw top.qcow2 flat.raw");
  const std::vector<Link> chain = {{"top.qcow2"}, {"base.qcow2", abi::ImageFormat::kQcow2}};
  EXPECT_EQ(compare(chain, {{"flat.raw"}}).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  EXPECT_EQ(compare(chain, chain, true).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
}

// bdrv_co_common_block_status_above() through a chain, on the images' own block status.
TEST_F(CompareChainTest, BlockStatusTakesTheFirstLayerThatHasTheRange) {
  img("create -q -f qcow2 base.qcow2 1M");
  io("-c 'write -P 0x41 0 64k' -c 'write -z 64k 64k' base.qcow2");
  img("create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M");
  io("-c 'write -P 0x42 512k 64k' top.qcow2");
  const std::vector<uint8_t> top_bytes = read_file(dir_ + "/top.qcow2");
  const std::vector<uint8_t> base_bytes = read_file(dir_ + "/base.qcow2");
  MemoryBlockSource top_source(Bytes(top_bytes.data(), top_bytes.size()));
  MemoryBlockSource base_source(Bytes(base_bytes.data(), base_bytes.size()));
  std::vector<uint8_t> arena_memory(16u << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  ErrorNames detail{};
  auto* top = new CompareImage();
  auto* base = new CompareImage();
  ASSERT_TRUE(top->open(top_source, abi::ImageFormat::kProbe, nullptr, true, arena, &detail).ok());
  ASSERT_TRUE(
      base->open(base_source, abi::ImageFormat::kQcow2, nullptr, true, arena, &detail).ok());
  ASSERT_TRUE(top->declares_backing());
  ASSERT_FALSE(base->declares_backing());
  top->set_backing(*base);
  BlockStatus s;
  // Data in the base: the base's status, its end-of-file bit dropped.
  ASSERT_TRUE(top->block_status(0, 2u << 20, &s).ok());
  EXPECT_EQ(s.flags, kBlockData | kBlockOffsetValid | kBlockAllocated);
  EXPECT_EQ(s.bytes, 64u << 10);
  // A zero cluster in the base.
  ASSERT_TRUE(top->block_status(64u << 10, 2u << 20, &s).ok());
  EXPECT_EQ(s.flags, kBlockZero | kBlockAllocated);
  EXPECT_EQ(s.bytes, 64u << 10);
  // Unallocated in both, inside the base: the base reads as zeros (no backing of its own).
  ASSERT_TRUE(top->block_status(128u << 10, (512u - 128) << 10, &s).ok());
  EXPECT_EQ(s.flags, kBlockZero);
  EXPECT_EQ(s.bytes, (512u - 128) << 10);
  // Allocated in the top.
  ASSERT_TRUE(top->block_status(512u << 10, 2u << 20, &s).ok());
  EXPECT_EQ(s.flags, kBlockData | kBlockOffsetValid | kBlockAllocated);
  // Beyond the base's end: zeros synthesised past a short layer count as allocated there.
  ASSERT_TRUE(top->block_status(1u << 20, 1u << 20, &s).ok());
  EXPECT_EQ(s.flags, kBlockZero | kBlockAllocated | kBlockEof);
  EXPECT_EQ(s.bytes, 1u << 20);
  delete top;
  delete base;
}

TEST_F(CompareChainTest, ExternalDataFileHoldsTheClusters) {
  img("create -q -f qcow2 -o data_file=d.data d.qcow2 4M");
  io("-c 'write -P 0x71 64k 1M' -c 'write -z 1M 64k' d.qcow2");
  img("create -q -f qcow2 -o data_file=r.data,data_file_raw=on r.qcow2 4M");
  io("-c 'write -P 0x71 64k 1M' -c 'write -z 1M 64k' r.qcow2");
  img("convert -O raw d.qcow2 flat.raw");
  const std::vector<Link> plain = {{"d.qcow2", abi::ImageFormat::kProbe, "d.data"}};
  const std::vector<Link> raw = {{"r.qcow2", abi::ImageFormat::kProbe, "r.data"}};
  EXPECT_EQ(compare(plain, {{"flat.raw"}}).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  EXPECT_EQ(compare(raw, plain).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  // Under an overlay too.
  img("create -q -f qcow2 -b d.qcow2 -F qcow2 o.qcow2");
  io("-c 'write -P 0x72 2M 64k' o.qcow2");
  img("convert -O raw o.qcow2 oflat.raw");
  EXPECT_EQ(
      compare({{"o.qcow2"}, {"d.qcow2", abi::ImageFormat::kQcow2, "d.data"}}, {{"oflat.raw"}}).kind,
      instar_guest_CompareKind_COMPARE_IDENTICAL);
  // The data file the image declares must be there.
  Outcome r = compare({{"d.qcow2"}}, {{"flat.raw"}});
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  r = compare({{"d.qcow2"}}, {{"flat.raw"}}, false, false);
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_DATA_FILE_NOT_SUPPORTED);
}

TEST_F(CompareChainTest, TheChainMustBeWhatTheImagesDeclare) {
  make_three_level_chain();
  // The top names a backing file the host did not send.
  Outcome r = compare({{"top.qcow2"}}, {{"flat.raw"}});
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  // The host sent a backing file for an image that names none.
  r = compare({{"flat.raw"}}, {{"base.raw"}, {"flat.raw"}});
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.image, 1u);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  // Without chain tables, backing files stay refused as before.
  r = compare(three_levels(), {{"flat.raw"}}, false, false);
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
}

}  // namespace
}  // namespace instar::test
