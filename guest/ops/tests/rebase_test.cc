// rebase_test.cc: run_rebase() (unsafe rebase, the header rewrite) against the real
// `qemu-img rebase -u`, byte for byte, over qcow2 versions, cluster sizes and snapshots; its
// refusals; and the interruption sweep of docs/write-safety.md.
#include "guest/ops/rebase.h"

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

// What `qemu-img rebase -u` is given: -b (absent, "" or a name) and -F.
struct NewBacking {
  bool given = false;
  std::string name;
  std::string format;  // empty: no -F
};

abi::OpConfig rebase_config(const NewBacking& b, uint64_t file_length) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kRebase);
  op.output_device = 0;
  op.input_format[0] = static_cast<uint32_t>(abi::ImageFormat::kProbe);
  op.rebase_file_length = file_length;
  op.rebase_flags = abi::kRebaseUnsafe;
  if (b.given && !b.name.empty()) {
    op.rebase_flags |= abi::kRebaseNewName;
    const size_t n = std::min(b.name.size(), sizeof op.convert_backing_name);
    std::memcpy(op.convert_backing_name, b.name.data(), n);
    op.convert_backing_name_length = static_cast<uint32_t>(n);
    if (!b.format.empty()) {
      op.rebase_flags |= abi::kRebaseNewFormat;
      std::memcpy(op.convert_backing_fmt, b.format.data(), b.format.size());
      op.convert_backing_fmt_length = static_cast<uint32_t>(b.format.size());
    }
  }
  return op;
}

std::string qemu_args(const NewBacking& b) {
  std::string args = "-u";
  if (b.given) args += " -b '" + b.name + "'";
  if (!b.format.empty()) args += " -F " + b.format;
  return args;
}

class RebaseOpTest : public ::testing::Test {
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

  // qemu-img check of the image alone (the backing file it names need not exist); its exit code.
  int check_alone(const std::string& name) {
    return shell(
        "/usr/bin/qemu-img check 'json:{\"driver\":\"qcow2\",\"backing\":null,"
        "\"file\":{\"driver\":\"file\",\"filename\":\"" +
        name + "\"}}'");
  }

  // run_rebase() on `name` with writes cut off after `budget`; returns the writes it made.
  uint64_t rebase(const std::string& name, const NewBacking& b, uint64_t budget = ~uint64_t{0}) {
    const std::string path = dir_.file(name);
    FileBlockSink file(path, false);
    EXPECT_TRUE(file.ok());
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    MemoryMessageSink out(messages_.data(), messages_.size());
    BlockSource* devices[1] = {&file};
    BlockSink* sinks[1] = {&sink};
    const abi::OpConfig op = rebase_config(b, test::file_length(path));
    EXPECT_TRUE(run_rebase(op, devices, sinks, 1, out, arena).ok());
    return sink.writes();
  }

  // Makes `img` (`create`, then `setup`), rebases a copy with qemu-img and the original with
  // run_rebase(), and requires the same exit status and the same file.
  void expect_like_qemu(const std::string& create, const std::string& setup, const NewBacking& b) {
    SCOPED_TRACE(create + " | " + setup + " | " + qemu_args(b));
    ASSERT_EQ(shell("rm -f img theirs && /usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    if (!setup.empty()) {
      ASSERT_EQ(shell(setup), 0);
    }
    ASSERT_EQ(shell("cp img theirs"), 0);
    const int theirs = shell("/usr/bin/qemu-img rebase " + qemu_args(b) + " theirs");
    const uint64_t writes = rebase("img", b);
    EXPECT_EQ(writes, theirs == 0 ? 1u : 0u);
    EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("theirs")), -1);
    EXPECT_EQ(check_alone("img"), 0);
  }

  test::TempDir dir_;
  std::vector<uint8_t> arena_memory_;
  std::vector<uint8_t> messages_;
};

constexpr const char* kOverlay = "-b base -F qcow2 img 4M";
constexpr const char* kBase = "/usr/bin/qemu-img create -q -f qcow2 base 4M";

TEST_F(RebaseOpTest, ChangesTheBackingFileAsQemuDoes) {
  ASSERT_EQ(shell(kBase), 0);
  expect_like_qemu(kOverlay, "", {true, "new.qcow2", "qcow2"});
  expect_like_qemu(kOverlay, "", {true, "", ""});                     // -b "": removed
  expect_like_qemu(kOverlay, "", {false, "", ""});                    // no -b: removed
  expect_like_qemu(kOverlay, "", {false, "", "raw"});                 // -F without -b: removed
  expect_like_qemu("img 4M", "", {true, "a/b/../new image", "raw"});  // added
  expect_like_qemu("-o compat=0.10 " + std::string(kOverlay), "", {true, "new", "raw"});
  expect_like_qemu("-o cluster_size=4k " + std::string(kOverlay), "", {true, "new", "qcow2"});
  expect_like_qemu("-o extended_l2=on,compression_type=zstd " + std::string(kOverlay), "",
                   {true, "x", "vmdk"});
  // Internal snapshots stay: the header keeps their count and table.
  expect_like_qemu(kOverlay, "/usr/bin/qemu-img snapshot -c s1 img", {true, "new", "qcow2"});
}

TEST_F(RebaseOpTest, FailsWithoutWritingWhereQemuFails) {
  ASSERT_EQ(shell(kBase), 0);
  expect_like_qemu(kOverlay, "", {true, "new", ""});  // require: backing format must be given
  expect_like_qemu(kOverlay, "", {true, std::string(1024, 'n'), "raw"});  // over 1023: EINVAL
  // 512-byte clusters: the header, extensions and a 450-byte name do not fit (ENOSPC); 300 do.
  expect_like_qemu("-o cluster_size=512 " + std::string(kOverlay), "",
                   {true, std::string(450, 'n'), "raw"});
  expect_like_qemu("-o cluster_size=512 " + std::string(kOverlay), "",
                   {true, std::string(300, 'n'), "raw"});
}

TEST_F(RebaseOpTest, RefusesWhatQemuWouldRewriteOnOpen) {
  ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 img 4M && /usr/bin/qemu-img bitmap "
                  "--add img b0 && cp img before"),
            0);
  EXPECT_EQ(rebase("img", {true, "new", "qcow2"}), 0u);
  EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("before")), -1);
}

// docs/write-safety.md: the rebase is one write of the header cluster, so an interruption leaves
// the old header or the new one, each a clean image naming the old or the new backing file.
TEST_F(RebaseOpTest, InterruptedRebaseIsNeverCorrupt) {
  ASSERT_EQ(shell(kBase), 0);
  ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 " + std::string(kOverlay) +
                  " && /usr/bin/qemu-img snapshot -c s1 img"),
            0);
  const NewBacking b{true, "new", "qcow2"};
  ASSERT_EQ(shell("cp img whole"), 0);
  const uint64_t total = rebase("whole", b);
  ASSERT_EQ(total, 1u);
  uint64_t tried = 0;
  for (uint64_t budget = 0; budget <= total; ++budget, ++tried) {
    ASSERT_EQ(shell("cp img cut"), 0);
    rebase("cut", b, budget);
    EXPECT_EQ(check_alone("cut"), 0) << "after " << budget;
    const char* expected = budget == 0 ? "img" : "whole";
    EXPECT_EQ(test::first_difference(dir_.file("cut"), dir_.file(expected)), -1);
  }
  std::printf("%llu interruption points over %llu writes\n", static_cast<unsigned long long>(tried),
              static_cast<unsigned long long>(total));
}

}  // namespace
}  // namespace instar
