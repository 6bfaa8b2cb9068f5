// qcow2_in_place_writer_test.cc: the qcow2 writer over an existing image (open_in_place, the
// write path rebase's copy and commit use) against qemu-io's writes into a copy of the same
// image, byte for byte; and interrupted at every point, never corrupt (docs/write-safety.md).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"

namespace instar {
namespace {

using test::FileBlockSink;
using test::InterruptedSink;
using test::TempDir;

// One guest write as qemu-io's `write [-z] [-P pattern] offset length` issues it.
struct Write {
  uint64_t offset;
  uint64_t length;
  int pattern;  // -1: write -z (blk_pwrite_zeroes, flags 0)
};

std::string qemu_io_commands(const std::vector<Write>& writes) {
  std::string s;
  for (const Write& w : writes) {
    s += " -c 'write ";
    s += w.pattern < 0 ? "-z " : "-P " + std::to_string(w.pattern) + " ";
    s += std::to_string(w.offset) + " " + std::to_string(w.length) + "'";
  }
  return s;
}

class Qcow2InPlaceWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_qemu_tools()) GTEST_SKIP() << "qemu-img / qemu-io not installed";
    arena_memory_.resize(128u << 20);
  }

  int shell(const std::string& command) { return test::run_in(dir_.path(), command); }

  // Opens `path` in place and issues `writes`, the sink cut off after `budget` writes. Returns
  // the writes made; `*status` the run's outcome.
  uint64_t write_in_place(const std::string& path, const std::vector<Write>& writes,
                          uint64_t budget, Status* status) {
    FileBlockSink file(path, false);
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    qcow2::OpenScratch scratch;
    EXPECT_TRUE(test::open_qcow2(file, arena, &scratch));
    qcow2::Qcow2Writer writer(sink, &file, arena);
    *status = writer.open_in_place(scratch.metadata->header, test::file_length(path), false,
                                   qcow2::Qcow2Writer::CacheSlots{4, 4});
    std::vector<uint8_t> data;
    for (const Write& w : writes) {
      if (!status->ok()) break;
      if (w.pattern < 0) {
        *status = writer.write_zeroes(w.offset, w.length, false);
      } else {
        data.assign(w.length, static_cast<uint8_t>(w.pattern));
        *status = writer.write(w.offset, Bytes(data.data(), data.size()));
      }
    }
    if (status->ok()) *status = writer.flush_in_place();
    return sink.writes();
  }

  void expect_like_qemu_io(const std::string& create, const std::string& setup,
                           const std::vector<Write>& writes) {
    SCOPED_TRACE(create + " | " + setup);
    ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    if (!setup.empty()) {
      ASSERT_EQ(shell("/usr/bin/qemu-io -f qcow2 " + setup + " img"), 0);
    }
    ASSERT_EQ(shell("cp img theirs"), 0);
    ASSERT_EQ(shell("/usr/bin/qemu-io -f qcow2" + qemu_io_commands(writes) + " theirs"), 0);
    Status s;
    write_in_place(dir_.file("img"), writes, ~uint64_t{0}, &s);
    ASSERT_TRUE(s.ok()) << s.code() << " " << s.arg(0);
    EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("theirs")), -1);
    EXPECT_EQ(shell("/usr/bin/qemu-img check img"), 0);
  }

  TempDir dir_;
  std::vector<uint8_t> arena_memory_;
};

const std::vector<Write> kWrites = {{100 * 1024, 3 * 1024, 5},  {1 << 20, 128 * 1024, 6},
                                    {2 << 20, 64 * 1024, -1},   {(3 << 20) + 512, 512, -1},
                                    {5 << 20, 3 << 20, 7},      {64 * 1024, 64 * 1024, 8},
                                    {(9 << 20) + 4096, 1536, 9}};
constexpr const char* kSetup = "-c 'write -P 1 0 192k' -c 'write -c -P 2 4M 128k'";

TEST_F(Qcow2InPlaceWriterTest, DefaultClusters) {
  expect_like_qemu_io("img 12M", kSetup, kWrites);
}
TEST_F(Qcow2InPlaceWriterTest, SmallClustersOneBitRefcounts) {
  expect_like_qemu_io("-o cluster_size=512,refcount_bits=1 img 12M", kSetup, kWrites);
}
TEST_F(Qcow2InPlaceWriterTest, SmallClustersWideRefcounts) {
  expect_like_qemu_io("-o cluster_size=512,refcount_bits=64 img 12M", kSetup, kWrites);
}
TEST_F(Qcow2InPlaceWriterTest, ExtendedL2) {
  expect_like_qemu_io("-o extended_l2=on,cluster_size=16k img 12M", kSetup, kWrites);
}
TEST_F(Qcow2InPlaceWriterTest, Version2) {
  expect_like_qemu_io("-o compat=0.10,cluster_size=4k img 12M", kSetup, kWrites);
}
TEST_F(Qcow2InPlaceWriterTest, LargeClusters) {
  expect_like_qemu_io("-o cluster_size=2M img 12M", "-c 'write -P 1 0 192k'", kWrites);
}

// Cut off after every write in turn (every `step`-th for long runs): qemu-img check must find no
// corruption (exit 0, or 3: leaks only).
TEST_F(Qcow2InPlaceWriterTest, InterruptedWritesAreNeverCorrupt) {
  for (const char* create : {"-o cluster_size=512,refcount_bits=1 img 12M",
                             "-o cluster_size=512,refcount_bits=64 img 12M",
                             "-o extended_l2=on,cluster_size=16k img 12M"}) {
    SCOPED_TRACE(create);
    ASSERT_EQ(shell(std::string("rm -f img && /usr/bin/qemu-img create -q -f qcow2 ") + create), 0);
    ASSERT_EQ(shell(std::string("/usr/bin/qemu-io -f qcow2 ") + kSetup + " img"), 0);
    ASSERT_EQ(shell("cp img cut"), 0);
    Status s;
    const uint64_t total = write_in_place(dir_.file("cut"), kWrites, ~uint64_t{0}, &s);
    ASSERT_TRUE(s.ok());
    ASSERT_GT(total, 0u);
    const uint64_t step = total / 40 + 1;
    uint64_t tried = 0;
    for (uint64_t budget = 0; budget <= total; budget += step, ++tried) {
      ASSERT_EQ(shell("cp img cut"), 0);
      write_in_place(dir_.file("cut"), kWrites, budget, &s);
      const int status = std::system(
          ("/usr/bin/qemu-img check '" + dir_.file("cut") + "' >/dev/null 2>&1").c_str());
      const int rc = WEXITSTATUS(status);
      EXPECT_TRUE(rc == 0 || rc == 3)
          << "interrupted after " << budget << " of " << total << " writes: check exit " << rc;
      if (rc != 0 && rc != 3 && std::getenv("INSTAR_KEEP_CUT") != nullptr) {
        shell("cp cut /tmp/instar-cut-" + std::to_string(budget));
      }
    }
    std::printf("%llu interruption points over %llu writes\n",
                static_cast<unsigned long long>(tried), static_cast<unsigned long long>(total));
  }
}

}  // namespace
}  // namespace instar
