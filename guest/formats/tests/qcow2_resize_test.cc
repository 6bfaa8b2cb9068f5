// qcow2_resize_test.cc: qcow2::resize_image() against the real qemu-img resize, byte for byte,
// over every refcount width (sub-byte widths are packed LSB-first), cluster sizes, data,
// compressed clusters and snapshots; and the pure pieces (size_to_l1, the discard's clamp).
#include "guest/formats/qcow2/resize.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "guest/formats/qcow2/host_file.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"

namespace instar {
namespace {

using test::FileBlockSink;
using test::InterruptedSink;
using test::TempDir;

TEST(Qcow2ResizeMath, SizeToL1) {
  // 64 KiB clusters: one L2 table maps 512 MiB (extended L2: 256 MiB).
  EXPECT_EQ(qcow2::size_to_l1(0, 16, false), 0u);
  EXPECT_EQ(qcow2::size_to_l1(1, 16, false), 1u);
  EXPECT_EQ(qcow2::size_to_l1(512ull << 20, 16, false), 1u);
  EXPECT_EQ(qcow2::size_to_l1((512ull << 20) + 1, 16, false), 2u);
  EXPECT_EQ(qcow2::size_to_l1(512ull << 20, 16, true), 2u);
  // 512-byte clusters map 32 KiB per L2 table.
  EXPECT_EQ(qcow2::size_to_l1(1ull << 20, 9, false), 32u);
}

// A sink that records what lands where, for the discard's clamp.
class MemorySink final : public BlockSink, public BlockSource {
 public:
  explicit MemorySink(uint64_t size) : bytes_(size, 0xaa) {}
  uint64_t size() const override { return bytes_.size(); }
  Status write_at(uint64_t offset, Bytes data) override {
    for (uint64_t i = 0; i < data.size; ++i) bytes_[offset + i] = data.data[i];
    return Status::Ok();
  }
  Status flush() override { return Status::Ok(); }
  Status read_at(uint64_t offset, MutableBytes out) override {
    for (uint64_t i = 0; i < out.size; ++i) out.data[i] = bytes_[offset + i];
    return Status::Ok();
  }
  std::vector<uint8_t> bytes_;
};

TEST(Qcow2ResizeMath, DiscardNeverGrowsTheFile) {
  MemorySink sink(4096);
  qcow2::HostFile file(sink, &sink);
  file.set_end(1000);
  ASSERT_TRUE(file.discard(512, 1024).ok());
  EXPECT_EQ(file.end(), 1000u);  // a punched hole past the end does not extend the file
  EXPECT_EQ(sink.bytes_[511], 0xaa);
  EXPECT_EQ(sink.bytes_[512], 0);
  EXPECT_EQ(sink.bytes_[999], 0);
  EXPECT_EQ(sink.bytes_[1000], 0xaa);
  ASSERT_TRUE(file.discard(2000, 512).ok());
  EXPECT_EQ(sink.bytes_[2000], 0xaa);
}

class Qcow2ResizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_qemu_img() || access("/usr/bin/qemu-io", X_OK) != 0) {
      GTEST_SKIP() << "qemu-img / qemu-io not installed";
    }
    arena_memory_.resize(256u << 20);
  }

  int shell(const std::string& command) {
    return std::system(("cd '" + dir_.path() + "' && " + command + " >/dev/null 2>&1").c_str());
  }

  // Makes `img` with `create` and `setup`, resizes a copy with qemu-img and the original with
  // resize_image() plus the host's truncation, and compares the files.
  void expect_like_qemu(const std::string& create, const std::string& setup, uint64_t new_size,
                        const std::string& qemu_args) {
    SCOPED_TRACE(create + " | " + setup + " | " + qemu_args);
    ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    if (!setup.empty()) {
      ASSERT_EQ(shell(setup), 0);
    }
    ASSERT_EQ(shell("cp img theirs"), 0);
    ASSERT_EQ(shell("/usr/bin/qemu-img resize " + qemu_args), 0);

    const std::string path = dir_.file("img");
    const uint64_t length = test::file_length(path);
    uint64_t final_length = 0;
    {
      FileBlockSink file(path, false);
      ASSERT_TRUE(file.ok());
      Arena arena(arena_memory_.data(), arena_memory_.size());
      qcow2::OpenScratch scratch;
      ASSERT_TRUE(qcow2::allocate_open_scratch(file, arena, &scratch).ok());
      qcow2::OpenErrorDetail detail;
      ASSERT_TRUE(qcow2::open_image(file, arena, scratch.tables, scratch.metadata, &detail).ok());
      const qcow2::ResizeImage image{&scratch.metadata->header, &file, &file, length};
      const Status s = qcow2::resize_image(image, new_size, arena, &final_length);
      ASSERT_TRUE(s.ok()) << s.code();
    }
    if (final_length < test::file_length(path)) {
      ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(final_length)), 0);
    }
    EXPECT_EQ(test::first_difference(path, dir_.file("theirs")), -1);
    EXPECT_EQ(shell("/usr/bin/qemu-img check img"), 0);
  }

  // Runs resize_image() on a fresh copy of `source` with writes cut off after `budget`; returns
  // how many writes the run made.
  uint64_t interrupted_resize(const std::string& source, uint64_t budget, uint64_t new_size) {
    EXPECT_EQ(shell("cp " + source + " cut"), 0);
    const std::string path = dir_.file("cut");
    FileBlockSink file(path, false);
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    qcow2::OpenScratch scratch;
    EXPECT_TRUE(qcow2::allocate_open_scratch(file, arena, &scratch).ok());
    qcow2::OpenErrorDetail detail;
    EXPECT_TRUE(qcow2::open_image(file, arena, scratch.tables, scratch.metadata, &detail).ok());
    const qcow2::ResizeImage image{&scratch.metadata->header, &file, &sink,
                                   test::file_length(path)};
    uint64_t final_length = 0;
    (void)qcow2::resize_image(image, new_size, arena, &final_length);
    return sink.writes();
  }

  // Interrupts the resize after every write in turn (every `step`-th for long runs): qemu-img
  // check must find no corruption (exit 0, or 3: leaks only).
  void expect_crash_safe(const std::string& create, const std::string& setup, uint64_t new_size) {
    SCOPED_TRACE(create + " | " + setup);
    ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    if (!setup.empty()) {
      ASSERT_EQ(shell(setup), 0);
    }
    const uint64_t total = interrupted_resize("img", ~uint64_t{0}, new_size);
    ASSERT_GT(total, 0u);
    const uint64_t step = total / 40 + 1;
    uint64_t tried = 0;
    for (uint64_t budget = 0; budget <= total; budget += step, ++tried) {
      interrupted_resize("img", budget, new_size);
      const int status = std::system(
          ("/usr/bin/qemu-img check '" + dir_.file("cut") + "' >/dev/null 2>&1").c_str());
      const int rc = WEXITSTATUS(status);
      EXPECT_TRUE(rc == 0 || rc == 3) << "interrupted after " << budget << " of " << total
                                      << " writes: qemu-img check exit " << rc;
    }
    std::printf("%llu interruption points over %llu writes\n",
                static_cast<unsigned long long>(tried), static_cast<unsigned long long>(total));
  }

  TempDir dir_;
  std::vector<uint8_t> arena_memory_;
};

constexpr const char* kData =
    "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 192k' -c 'write -c -P 2 4M 128k' "
    "-c 'write -P 3 6M 64k' -c 'write -z 7M 64k' img";

TEST_F(Qcow2ResizeTest, ShrinkEveryRefcountWidth) {
  for (const char* bits : {"1", "2", "4", "8", "16", "32", "64"}) {
    expect_like_qemu(std::string("-o refcount_bits=") + bits + ",cluster_size=4k img 8M", kData,
                     3u << 20, "--shrink theirs 3M");
    ASSERT_EQ(shell("rm -f img theirs"), 0);
  }
}

TEST_F(Qcow2ResizeTest, GrowMovesTheL1Table) {
  expect_like_qemu("-o cluster_size=512,refcount_bits=1 img 8M", kData, 10ull << 30, "theirs 10G");
}

TEST_F(Qcow2ResizeTest, ShrinkDropsRefcountBlocks) {
  expect_like_qemu("-o cluster_size=512,refcount_bits=64 img 8M",
                   "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -P 2 5M 3M' img", 512,
                   "--shrink theirs 512");
}

// The L2 tables a shrink allocates for cropped ranges outgrow the refcount table: the moved
// table must be recorded in the header at once, as qcow2_refcount_area() does.
TEST_F(Qcow2ResizeTest, ShrinkGrowsTheRefcountTable) {
  expect_like_qemu("-o cluster_size=512,refcount_bits=64 img 64M",
                   "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 192k' -c 'write -P 2 5M 64k' "
                   "-c 'write -c -P 3 20M 2M' -c 'write -P 4 40M 128k' -c 'write -P 5 63M 1M' img",
                   1u << 20, "--shrink theirs 1M");
}

TEST_F(Qcow2ResizeTest, InterruptedGrowIsNeverCorrupt) {
  expect_crash_safe("-o cluster_size=512,refcount_bits=1 img 8M", kData, 10ull << 30);
}

TEST_F(Qcow2ResizeTest, InterruptedShrinkIsNeverCorrupt) {
  for (const std::string bits : {"1", "4", "64"}) {
    // Narrow refcounts overflow where compressed clusters share a host cluster and a snapshot
    // adds a reference: compressed data without the snapshot, the snapshot without it.
    const std::string setup =
        "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -P 3 5M 2M' " +
        std::string(bits == "1" ? "-c 'write -c -P 2 1M 64k' img"
                                : "img && /usr/bin/qemu-img snapshot -c s1 img");
    expect_crash_safe("-o cluster_size=512,refcount_bits=" + bits + " img 8M", setup, 512);
    ASSERT_EQ(shell("rm -f img cut"), 0);
  }
}

TEST_F(Qcow2ResizeTest, ShrinkCopiesSharedL2Tables) {
  expect_like_qemu("-o refcount_bits=2 img 64M",
                   "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 192k' -c 'write -P 3 6M 64k' img"
                   " && /usr/bin/qemu-img snapshot -c s1 img",
                   5u << 20, "--shrink theirs 5M");
}

}  // namespace
}  // namespace instar
