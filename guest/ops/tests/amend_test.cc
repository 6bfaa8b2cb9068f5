// amend_test.cc: run_amend() against the real `qemu-img amend`, byte for byte (compat up and
// down with zero clusters and snapshots, lazy refcounts, qemu's refusals), and the interruption
// sweep of docs/write-safety.md.
#include "guest/ops/amend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"
#include "guest/lib/message_sink.h"

namespace instar {
namespace {

using test::FileBlockSink;
using test::InterruptedSink;

// The options `qemu-img amend -o` is given, as the host passes them.
struct Change {
  const char* qemu;  // the -o list
  uint32_t version = 0;
  uint32_t flags = 0;
};

abi::OpConfig amend_config(const Change& c, uint64_t file_length) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kAmend);
  op.output_device = 0;
  op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kProbe);
  op.amend_file_length = file_length;
  op.amend_version = c.version;
  op.amend_flags = c.flags;
  return op;
}

class AmendOpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_qemu_img()) GTEST_SKIP() << "qemu-img not installed";
    arena_memory_.resize(64u << 20);
    messages_.resize(1 << 16);
  }

  int shell(const std::string& command) {
    return WEXITSTATUS(
        std::system(("cd '" + dir_.path() + "' && " + command + " >/dev/null 2>&1").c_str()));
  }

  // run_amend() on `name` with writes cut off after `budget`; returns the writes it made.
  uint64_t amend(const std::string& name, const Change& c, uint64_t budget = ~uint64_t{0}) {
    const std::string path = dir_.file(name);
    FileBlockSink file(path, false);
    EXPECT_TRUE(file.ok());
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    MemoryMessageSink out(messages_.data(), messages_.size());
    BlockSource* devices[1] = {&file};
    BlockSink* sinks[1] = {&sink};
    const abi::OpConfig op = amend_config(c, test::file_length(path));
    EXPECT_TRUE(run_amend(op, devices, sinks, 1, out, arena).ok());
    return sink.writes();
  }

  // Makes `img` (`create`, then `setup`), amends a copy with qemu-img and the original with
  // run_amend(), and requires the same file.
  void expect_like_qemu(const std::string& create, const std::string& setup, const Change& c) {
    SCOPED_TRACE(create + " | " + setup + " | " + c.qemu);
    ASSERT_EQ(shell("rm -f img theirs && /usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    if (!setup.empty()) {
      ASSERT_EQ(shell(setup), 0);
    }
    ASSERT_EQ(shell("cp img theirs"), 0);
    shell(std::string("/usr/bin/qemu-img amend -o ") + c.qemu + " theirs");
    amend("img", c);
    EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("theirs")), -1);
  }

  test::TempDir dir_;
  std::vector<uint8_t> arena_memory_;
  std::vector<uint8_t> messages_;
};

constexpr Change kV2{"compat=0.10", 2, 0};
constexpr Change kV3{"compat=1.1", 3, 0};
constexpr Change kLazyOn{"lazy_refcounts=on", 0, abi::kAmendLazyGiven | abi::kAmendLazyOn};
constexpr Change kV2Lazy{"compat=0.10,lazy_refcounts=on", 2,
                         abi::kAmendLazyGiven | abi::kAmendLazyOn};

// Zero clusters without and with a host cluster, some shared with a snapshot.
constexpr const char* kZeros =
    "qemu-io -f qcow2 -c 'write -P 0x11 0 1M' -c 'write -z 3M 128k' img && "
    "/usr/bin/qemu-img snapshot -c s1 img && "
    "qemu-io -f qcow2 -c 'write -z 0 128k' -c 'write -z 512k 64k' img";

TEST_F(AmendOpTest, ChangesCompatAsQemuDoes) {
  expect_like_qemu("img 4M", kZeros, kV2);
  expect_like_qemu("-o cluster_size=512 img 4M", kZeros, kV2);
  expect_like_qemu("-o compression_type=zstd,lazy_refcounts=on img 4M", kZeros, kV2);
  expect_like_qemu("-o compat=0.10 img 4M", "/usr/bin/qemu-img snapshot -c s1 img", kV3);
  expect_like_qemu("-o compat=0.10 img 4M", "", kLazyOn);  // refused after the header rewrite
  expect_like_qemu("img 4M", "", kLazyOn);
  expect_like_qemu("img 4M", "", kV2Lazy);
}

TEST_F(AmendOpTest, DowngradeRefusals) {
  expect_like_qemu("-o refcount_bits=8 img 4M", "", kV2);
  expect_like_qemu("-o extended_l2=on img 4M", "", kV2);
  expect_like_qemu("-o compression_type=zstd img 4M", "qemu-io -f qcow2 -c 'write -c 0 64k' img",
                   kV2);
}

// docs/write-safety.md: the downgrade zeroes preallocated zero clusters before the L2 table that
// turns them into data is written, and writes the v2 header last; an interruption anywhere leaves
// an image `qemu-img check` finds clean (or with exactly the OFLAG_COPIED lines qemu's own result
// has, for clusters shared with a snapshot) that reads as the original.
TEST_F(AmendOpTest, InterruptedDowngradeIsNeverCorrupt) {
  for (const char* create : {"-o cluster_size=512 img 1M", "img 4M"}) {
    SCOPED_TRACE(create);
    ASSERT_EQ(shell(std::string("rm -f img && /usr/bin/qemu-img create -q -f qcow2 ") + create +
                    " && qemu-io -f qcow2 -c 'write -P 0x11 0 512k' -c 'write -z 64k 64k' "
                    "-c 'write -z 600k 100k' img && cp img whole"),
              0);
    const uint64_t total = amend("whole", kV2);
    ASSERT_GT(total, 2u);
    uint64_t tried = 0;
    for (uint64_t budget = 0; budget <= total; ++budget, ++tried) {
      ASSERT_EQ(shell("cp img cut"), 0);
      amend("cut", kV2, budget);
      EXPECT_EQ(shell("/usr/bin/qemu-img check cut"), 0) << "after " << budget;
      EXPECT_EQ(shell("/usr/bin/qemu-img compare img cut"), 0) << "after " << budget;
    }
    std::printf("%s: %llu interruption points over %llu writes\n", create,
                static_cast<unsigned long long>(tried), static_cast<unsigned long long>(total));
  }
}

}  // namespace
}  // namespace instar
