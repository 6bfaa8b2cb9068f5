// check_repair_test.cc: run_check_repair() against the real `qemu-img check -r`, byte for byte,
// and the interruption sweep of docs/write-safety.md (a leak repair cut off after every write
// leaves an image qemu-img check finds clean or leaking, never corrupt, with the same content).
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"
#include "guest/lib/message_sink.h"
#include "guest/ops/check.h"

namespace instar {
namespace {

using test::FileBlockSink;
using test::InterruptedSink;

class CheckRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_qemu_img()) GTEST_SKIP() << "qemu-img not installed";
    arena_memory_.resize(64u << 20);
    messages_.resize(1 << 20);
  }

  int shell(const std::string& command) {
    return WEXITSTATUS(
        std::system(("cd '" + dir_.path() + "' && " + command + " >/dev/null 2>&1").c_str()));
  }

  // run_check_repair() of `name` with `fix`, writes cut off after `budget`; returns the writes.
  uint64_t repair(const std::string& name, uint32_t fix, uint64_t budget = ~uint64_t{0}) {
    const std::string path = dir_.file(name);
    FileBlockSink file(path, false);
    EXPECT_TRUE(file.ok());
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    MemoryMessageSink out(messages_.data(), messages_.size());
    BlockSource* devices[1] = {&file};
    BlockSink* sinks[1] = {&sink};
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(abi::Op::kCheck);
    op.output_device = 0;
    op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kQcow2);
    op.check_repair = fix;
    EXPECT_TRUE(run_check_repair(op, devices, sinks, 1, out, arena).ok());
    return sink.writes();
  }

  // An image with data in four clusters and two of them unreferenced (leaked), with `create`'s
  // options; `dirty` also sets the dirty bit (lazy refcounts).
  void make_leaky(const std::string& options, bool dirty) {
    ASSERT_EQ(shell("rm -f img && /usr/bin/qemu-img create -q -f qcow2 -o " + options +
                    " img 4M && qemu-io -f qcow2 -c 'write -P 0x11 0 4k' -c 'write -P 0x22 1M 4k' "
                    "-c 'write -P 0x33 2M 4k' -c 'write -P 0x44 3M 4k' img"),
              0);
    // The L2 entries of the 2nd and 4th writes cleared: their clusters leak. The entries are
    // found through the header (L1 offset at 40) and the L1 table's first entry.
    std::FILE* script = std::fopen(dir_.file("edit.py").c_str(), "w");
    ASSERT_NE(script, nullptr);
    std::fputs(
        "import struct\n"
        "d = bytearray(open('img', 'rb').read())\n"
        "cb = struct.unpack_from('>I', d, 20)[0]\n"
        "l1 = struct.unpack_from('>Q', d, 40)[0]\n"
        "for guest in (1 << 20, 3 << 20):\n"
        "    index = guest >> cb\n"
        "    per_table = 1 << (cb - 3)\n"
        "    table = struct.unpack_from('>Q', d, l1 + 8 * (index // per_table))[0]\n"
        "    table &= 0x00fffffffffffe00\n"
        "    struct.pack_into('>Q', d, table + 8 * (index % per_table), 0)\n",
        script);
    if (dirty) std::fputs("d[79] |= 1\n", script);
    std::fputs("open('img', 'wb').write(bytes(d))\n", script);
    std::fclose(script);
    ASSERT_EQ(shell("python3 edit.py"), 0);
  }

  test::TempDir dir_;
  std::vector<uint8_t> arena_memory_;
  std::vector<uint8_t> messages_;
};

TEST_F(CheckRepairTest, LeakRepairIsQemus) {
  for (const char* options : {"refcount_bits=1", "refcount_bits=4,cluster_size=512",
                              "refcount_bits=64", "lazy_refcounts=on"}) {
    SCOPED_TRACE(options);
    make_leaky(options, std::string(options) == "lazy_refcounts=on");
    ASSERT_EQ(shell("cp img theirs && /usr/bin/qemu-img check -r leaks theirs"), 0);
    EXPECT_GT(repair("img", abi::kRepairLeaks), 0u);
    EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("theirs")), -1);
  }
}

// docs/write-safety.md: a leak repair lowers refcounts (a leaked cluster is zeroed before its
// refcount block is written) and clears the dirty bit last; cut off after any write, the image
// still only leaks (qemu-img check exits 0 or 3) and reads as before.
TEST_F(CheckRepairTest, InterruptedLeakRepairIsNeverCorrupt) {
  for (const char* options : {"refcount_bits=2,cluster_size=512", "lazy_refcounts=on"}) {
    SCOPED_TRACE(options);
    make_leaky(options, std::string(options) == "lazy_refcounts=on");
    ASSERT_EQ(shell("cp img whole"), 0);
    const uint64_t total = repair("whole", abi::kRepairLeaks);
    ASSERT_GE(total, 2u);
    uint64_t tried = 0;
    for (uint64_t budget = 0; budget <= total; ++budget, ++tried) {
      ASSERT_EQ(shell("cp img cut"), 0);
      repair("cut", abi::kRepairLeaks, budget);
      const int rc = shell("/usr/bin/qemu-img check cut");
      EXPECT_TRUE(rc == 0 || rc == 3) << "after " << budget << ": rc " << rc;
      EXPECT_EQ(shell("/usr/bin/qemu-img compare img cut"), 0) << "after " << budget;
    }
    std::printf("%s: %llu interruption points over %llu writes\n", options,
                static_cast<unsigned long long>(tried), static_cast<unsigned long long>(total));
  }
}

}  // namespace
}  // namespace instar
