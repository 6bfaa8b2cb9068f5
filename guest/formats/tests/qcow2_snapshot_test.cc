// qcow2_snapshot_test.cc: qcow2::create_snapshot() / delete_snapshot() against the real qemu-img
// snapshot (byte for byte, dates masked), the id arithmetic of find_new_snapshot_id(), and the
// fault-injection sweep: the guest's writes cut off after the N-th, then qemu-img check.
#include "guest/formats/qcow2/snapshot_edit.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"

namespace instar {
namespace {

using test::FileBlockSink;
using test::InterruptedSink;
using test::TempDir;

Bytes text(const char* s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s), std::char_traits<char>::length(s));
}

// strtoul(id, NULL, 10) as glibc computes it.
TEST(SnapshotIdNumber, IsStrtoul) {
  for (const char* id : {"1", "42", "  7", "+3", "-1", "12abc", "abc", "", "18446744073709551615",
                         "18446744073709551616", "99999999999999999999999", "\t9", "007"}) {
    EXPECT_EQ(qcow2::snapshot_id_number(text(id)), std::strtoul(id, nullptr, 10)) << id;
  }
}

// find_new_snapshot_id(): the largest number plus one, in unsigned long arithmetic.
TEST(SnapshotIdNumber, NextIdIsTheLargestPlusOne) {
  const uint64_t none[] = {0};
  EXPECT_EQ(qcow2::next_snapshot_id(none, 0), 1u);
  const uint64_t ids[] = {3, 1, 7, 2};
  EXPECT_EQ(qcow2::next_snapshot_id(ids, 4), 8u);
  const uint64_t max[] = {~uint64_t{0}};
  EXPECT_EQ(qcow2::next_snapshot_id(max, 1), 0u);  // "-1" as an id wraps the next one to 0
}

// What qemu-img check says about a file: its exit code and how many of its ERROR lines are the
// OFLAG_COPIED kind (a COPIED flag out of step with the stored refcount) rather than refcounts
// below the references or unreadable structures.
struct CheckVerdict {
  int rc = 0;
  int copied_flag_lines = 0;
  int other_error_lines = 0;
};

CheckVerdict check(const std::string& path) {
  const std::string out = path + ".check";
  const int status =
      std::system(("/usr/bin/qemu-img check '" + path + "' >'" + out + "' 2>&1").c_str());
  CheckVerdict v;
  v.rc = WEXITSTATUS(status);
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ERROR OFLAG_COPIED", 0) == 0) {
      ++v.copied_flag_lines;
    } else if (line.rfind("ERROR", 0) == 0) {
      ++v.other_error_lines;
    }
  }
  return v;
}

class Qcow2SnapshotTest : public ::testing::Test {
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

  enum class Action { kCreate, kDelete, kApply };
  static const char* action_name(Action a) {
    return a == Action::kCreate ? "create" : a == Action::kDelete ? "delete" : "apply";
  }

  // Runs `action` with `name` on `path` through `budget` writes; returns how many it made.
  uint64_t edit(const std::string& path, uint64_t budget, Action action, const std::string& name,
                qcow2::SnapshotEdit* result = nullptr) {
    FileBlockSink file(path, false);
    EXPECT_TRUE(file.ok());
    InterruptedSink sink(file, budget);
    Arena arena(arena_memory_.data(), arena_memory_.size());
    qcow2::OpenScratch scratch;
    EXPECT_TRUE(qcow2::allocate_open_scratch(file, arena, &scratch).ok());
    qcow2::OpenErrorDetail detail;
    EXPECT_TRUE(qcow2::open_image(file, arena, scratch.tables, scratch.metadata, &detail).ok());
    const qcow2::SnapshotEditImage image{scratch.metadata, &scratch.tables, &file, &sink,
                                         test::file_length(path)};
    const Bytes n = text(name.c_str());
    const qcow2::SnapshotEdit e =
        action == Action::kCreate   ? qcow2::create_snapshot(image, n, 1700000000, 0, arena)
        : action == Action::kDelete ? qcow2::delete_snapshot(image, n, arena)
                                    : qcow2::apply_snapshot(image, n, arena);
    if (result != nullptr) *result = e;
    return sink.writes();
  }

  // Interrupts the edit after every write in turn (every `step`-th for long runs): qemu-img
  // check must report no refcount or structure error. OFLAG_COPIED lines are counted apart
  // (docs/write-safety.md: they are unavoidable between two cluster writes and harmless here).
  void expect_crash_safe(const std::string& create, const std::string& setup, Action action,
                         const std::string& name) {
    SCOPED_TRACE(create + " | " + setup + " | " + action_name(action) + " " + name);
    ASSERT_EQ(shell("rm -f img cut && /usr/bin/qemu-img create -q -f qcow2 " + create), 0);
    ASSERT_EQ(shell(setup), 0);
    ASSERT_EQ(shell("cp img cut"), 0);
    const uint64_t total = edit(dir_.file("cut"), ~uint64_t{0}, action, name);
    ASSERT_GT(total, 0u);
    EXPECT_EQ(check(dir_.file("cut")).rc, 0);
    const uint64_t step = total / 40 + 1;
    uint64_t tried = 0;
    uint64_t with_copied_lines = 0;
    for (uint64_t budget = 0; budget < total; budget += step, ++tried) {
      ASSERT_EQ(shell("cp img cut"), 0);
      edit(dir_.file("cut"), budget, action, name);
      const CheckVerdict v = check(dir_.file("cut"));
      EXPECT_EQ(v.other_error_lines, 0) << "interrupted after " << budget << " of " << total;
      EXPECT_TRUE(v.rc == 0 || v.rc == 3 || (v.rc == 2 && v.copied_flag_lines > 0))
          << "interrupted after " << budget << " of " << total << ": check exit " << v.rc;
      if (v.copied_flag_lines > 0) ++with_copied_lines;
    }
    std::printf("%s %s: %llu interruption points over %llu writes, %llu with OFLAG_COPIED lines\n",
                action_name(action), name.c_str(), static_cast<unsigned long long>(tried),
                static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(with_copied_lines));
  }

  TempDir dir_;
  std::vector<uint8_t> arena_memory_;
};

constexpr const char* kData =
    "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 192k' -c 'write -c -P 2 4M 128k' "
    "-c 'write -P 3 6M 64k' -c 'write -z 7M 64k' img";

// The same file as qemu-img's, but for the date (fixed here) that the oracle masks.
TEST_F(Qcow2SnapshotTest, CreateAndDeleteLikeQemu) {
  ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 -o cluster_size=4k,refcount_bits=16 "
                  "img 8M && " +
                  std::string(kData) + " && /usr/bin/qemu-img snapshot -c s1 img && cp img theirs"),
            0);
  qcow2::SnapshotEdit e;
  edit(dir_.file("img"), ~uint64_t{0}, Action::kCreate, "s2", &e);
  ASSERT_TRUE(e.status.ok());
  EXPECT_EQ(e.error_number, 0u);
  ASSERT_EQ(shell("/usr/bin/qemu-img snapshot -c s2 theirs"), 0);
  // Entry 2's date (at the table's second entry) differs: compare after deleting s1 from both,
  // then the list holds s2 only, whose date the delete rewrites as it was.
  edit(dir_.file("img"), ~uint64_t{0}, Action::kDelete, "s1", &e);
  ASSERT_TRUE(e.status.ok());
  EXPECT_FALSE(e.not_found);
  ASSERT_EQ(shell("/usr/bin/qemu-img snapshot -d s1 theirs"), 0);
  // Patch our s2 date to qemu's (bytes 16-23 of the only entry) and compare the files.
  ASSERT_EQ(shell("python3 -c \"import struct;t=open('theirs','rb').read();o=struct.unpack('>Q',"
                  "t[64:72])[0];f=open('img','r+b');f.seek(o+16);f.write(t[o+16:o+24])\""),
            0);
  EXPECT_EQ(test::first_difference(dir_.file("img"), dir_.file("theirs")), -1);
  EXPECT_EQ(check(dir_.file("img")).rc, 0);
}

TEST_F(Qcow2SnapshotTest, DeleteOfAnUnknownNameWritesNothing) {
  ASSERT_EQ(shell("/usr/bin/qemu-img create -q -f qcow2 img 1M && "
                  "/usr/bin/qemu-img snapshot -c s1 img"),
            0);
  qcow2::SnapshotEdit e;
  EXPECT_EQ(edit(dir_.file("img"), ~uint64_t{0}, Action::kDelete, "1", &e),
            0u);  // "1" is an id, not a name
  EXPECT_TRUE(e.not_found);
}

TEST_F(Qcow2SnapshotTest, InterruptedCreateIsNeverCorrupt) {
  for (const std::string bits : {"4", "16", "64"}) {
    expect_crash_safe("-o cluster_size=512,refcount_bits=" + bits + " img 8M",
                      "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -P 3 5M 2M' img "
                      "&& /usr/bin/qemu-img snapshot -c s1 img && /usr/bin/qemu-io -f qcow2 "
                      "-c 'write -P 4 5M 64k' img",
                      Action::kCreate, "s2");
  }
}

TEST_F(Qcow2SnapshotTest, InterruptedDeleteIsNeverCorrupt) {
  for (const std::string bits : {"4", "16", "64"}) {
    expect_crash_safe("-o cluster_size=512,refcount_bits=" + bits + " img 8M",
                      "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -P 3 5M 2M' img "
                      "&& /usr/bin/qemu-img snapshot -c s1 img && /usr/bin/qemu-io -f qcow2 "
                      "-c 'write -P 4 5M 64k' img && /usr/bin/qemu-img snapshot -c s2 img",
                      Action::kDelete, "s1");
  }
}

TEST_F(Qcow2SnapshotTest, InterruptedApplyIsNeverCorrupt) {
  for (const std::string bits : {"4", "16", "64"}) {
    expect_crash_safe("-o cluster_size=512,refcount_bits=" + bits + " img 8M",
                      "/usr/bin/qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -P 3 5M 2M' img "
                      "&& /usr/bin/qemu-img snapshot -c s1 img && /usr/bin/qemu-io -f qcow2 "
                      "-c 'write -P 4 5M 64k' -c 'write -P 5 1M 64k' img",
                      Action::kApply, "s1");
  }
}

}  // namespace
}  // namespace instar
