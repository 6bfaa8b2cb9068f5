// commit_test.cc: run_commit() over a qcow2 chain made by the real qemu-img: the result against
// `qemu-img commit` (the emptied top byte for byte, the base byte for byte for a one-copy commit),
// and the interruption sweep of docs/write-safety.md: cut off after every N-th write, the chain
// still reads as it did and the base passes `qemu-img check`.
#include "guest/ops/commit.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"
#include "guest/lib/message_sink.h"

namespace instar {
namespace {

using test::FileBlockSink;

// A sink whose writes count against a budget shared with the other sinks of the run: an
// interruption after the N-th write of the whole commit, whichever file it goes to.
class SharedBudgetSink final : public BlockSink {
 public:
  SharedBudgetSink(BlockSink& inner, uint64_t* used, uint64_t budget)
      : inner_(inner), used_(used), budget_(budget) {}
  uint64_t size() const override { return inner_.size(); }
  Status write_at(uint64_t offset, Bytes data) override {
    if (*used_ >= budget_) return Status(instar_guest_ErrorCode_ERROR_IO, offset);
    ++*used_;
    return inner_.write_at(offset, data);
  }
  Status flush() override { return inner_.flush(); }

 private:
  BlockSink& inner_;
  uint64_t* used_;
  uint64_t budget_;
};

class CommitOpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_qemu_tools()) GTEST_SKIP() << "qemu-img or qemu-io not installed";
    arena_memory_.resize(256u << 20);
    messages_.resize(1 << 16);
  }

  int shell(const std::string& command) { return test::run_in(dir_.path(), command); }

  // base <- top in `dir`/<prefix> (the top names "base"); `many`: several copies and a zero run.
  void make_chain(const std::string& prefix, const std::string& base_options, bool many = true) {
    const std::string in = "cd ./" + prefix + " && ";
    ASSERT_EQ(shell(in + "qemu-img create -q -f qcow2 " + base_options + " base 8M"), 0);
    ASSERT_EQ(shell(in + "qemu-io -f qcow2 -c 'write -P 0x11 0 2M' -c 'write -P 0x12 6M 64k' base"),
              0);
    ASSERT_EQ(shell(in + "qemu-img create -q -f qcow2 -b base -F qcow2 top"), 0);
    const std::string more = many ? " -c 'write -P 0x22 3M 1500k' -c 'write -z 6M 64k'" : "";
    ASSERT_EQ(shell(in + "qemu-io -f qcow2 -c 'write -P 0x21 1M 64k'" + more + " top"), 0);
  }

  // run_commit() of <prefix>top into <prefix>base with writes cut off after `budget`; returns
  // the writes made. A run that completed leaves the top's truncation to the host: the caller
  // truncates it as qemu's emptied top is.
  uint64_t commit(const std::string& prefix, uint64_t budget) {
    FileBlockSink top(dir_.file(prefix + "top"), false);
    FileBlockSink base(dir_.file(prefix + "base"), false);
    EXPECT_TRUE(top.ok() && base.ok());
    uint64_t used = 0;
    SharedBudgetSink top_sink(top, &used, budget);
    SharedBudgetSink base_sink(base, &used, budget);
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(abi::Op::kCommit);
    op.output_device = 0;
    op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kQcow2);
    op.chain_length[0] = 2;
    for (uint32_t i = 0; i < 2; ++i) {
      op.chain[0][i] = {.device = i,
                        .format = static_cast<uint32_t>(abi::ImageFormat::kQcow2),
                        .data_device = abi::kNoDevice,
                        .extent_device = abi::kNoDevice,
                        .allocated_bytes = abi::kAllocationUnknown};
    }
    op.commit_top_length = test::file_length(dir_.file(prefix + "top"));
    op.commit_base_length = test::file_length(dir_.file(prefix + "base"));
    op.commit_base_index = 1;
    op.commit_base_device = 2;
    BlockSource* devices[3] = {&top, &base, &base};
    BlockSink* sinks[3] = {&top_sink, nullptr, &base_sink};
    Arena arena(arena_memory_.data(), arena_memory_.size());
    MemoryMessageSink out(messages_.data(), messages_.size());
    EXPECT_TRUE(run_commit(op, devices, sinks, 3, out, arena).ok());
    return used;
  }

  test::TempDir dir_;
  std::vector<uint8_t> arena_memory_;
  std::vector<uint8_t> messages_;
};

TEST_F(CommitOpTest, EmptiesTheTopAndFillsTheBaseAsQemuDoes) {
  make_chain("", "", false);  // one copy: qemu's base is deterministic
  ASSERT_EQ(shell("mkdir q && cp base top q/ && cd q && qemu-img commit -q top"), 0);
  commit("", ~uint64_t{0});
  ASSERT_EQ(shell("truncate -r q/top top"), 0);
  EXPECT_EQ(test::first_difference(dir_.file("top"), dir_.file("q/top")), -1);
  EXPECT_EQ(test::first_difference(dir_.file("base"), dir_.file("q/base")), -1);
}

TEST_F(CommitOpTest, InterruptedCommitIsNeverCorrupt) {
  for (const char* options : {"", "-o cluster_size=512,refcount_bits=1"}) {
    SCOPED_TRACE(options);
    ASSERT_EQ(shell("rm -rf w && mkdir w"), 0);
    make_chain("w/", options);
    ASSERT_EQ(shell("qemu-img convert -O raw w/top flat"), 0);
    ASSERT_EQ(shell("rm -rf q && cp -r w q && cd q && qemu-img commit -q top"), 0);
    const uint64_t total = commit("w/", ~uint64_t{0});
    ASSERT_GT(total, 0u);
    uint64_t points = 0;
    for (uint64_t n = 0; n <= total; n += total / 40 + 1) {
      SCOPED_TRACE(n);
      ASSERT_EQ(shell("rm -rf w && mkdir w"), 0);
      make_chain("w/", options);
      if (commit("w/", n) < n || n >= total) {  // the run completed: the host truncates
        ASSERT_EQ(shell("truncate -r q/top w/top"), 0);
      }
      // The base alone: leaks at most. The chain: the content it had (a top left dirty mid-way
      // through its emptying reads through its zeroed L1 table to the base, which has the data).
      EXPECT_EQ(shell("r=0; qemu-img check w/base >/dev/null 2>&1 || r=$?; test $r = 0 -o $r = 3"),
                0);
      EXPECT_EQ(shell("qemu-img compare -f qcow2 -F raw w/top flat"), 0);
      ++points;
    }
    EXPECT_GT(points, 5u);
    std::printf("commit %s: %llu writes, %llu interruption points\n", options,
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(points));
  }
}

}  // namespace
}  // namespace instar
