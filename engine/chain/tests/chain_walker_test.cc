// chain_walker_test.cc: chain discovery over real files and links, audited: nothing outside the
// image's directory (where the sentinel lives) is ever opened, stat'ed or read.
#include "engine/chain/chain_walker.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/chain/audit.h"

namespace instar::chain {
namespace {

namespace fs = std::filesystem;

class ChainWalkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/instar-chain-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    fs::create_directories(root_ + "/sub");
    fs::create_directories(outside_);
    for (const char* f : {"top.img", "base.img", "sub/mid.img", "a.img", "b.img"}) {
      Touch(root_ + "/" + f);
    }
    Touch(outside_ + "/sentinel.img");
    fs::create_symlink("base.img", root_ + "/link-in");
    fs::create_symlink(root_ + "/base.img", root_ + "/link-abs-in");
    fs::create_symlink("../outside/sentinel.img", root_ + "/link-out");
    fs::create_symlink(outside_ + "/sentinel.img", root_ + "/link-abs-out");
    fs::create_symlink("sub", root_ + "/dirlink");
    fs::create_symlink("../outside", root_ + "/dirlink-out");
    fs::create_symlink("loop2", root_ + "/loop1");
    fs::create_symlink("loop1", root_ + "/loop2");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void Touch(const std::string& path) { std::ofstream(path) << "x"; }

  // A walker whose top image is root/<name>, given by absolute path.
  ChainWalker Walker(const std::string& top = "top.img") {
    ChainWalker walker;
    struct stat st {};
    EXPECT_EQ(::stat((root_ + "/" + top).c_str(), &st), 0);
    std::string error;
    EXPECT_TRUE(walker.Start(root_ + "/" + top, st.st_dev, st.st_ino, &error)) << error;
    return walker;
  }

  ino_t Inode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_ino;
  }

  // Every audited access lies inside the root (the sentinel's directory is never touched).
  void ExpectConfined(const std::vector<audit::Entry>& entries) {
    const std::string canonical = fs::canonical(root_).string();
    for (const audit::Entry& e : entries) {
      EXPECT_EQ(e.path.find(outside_), std::string::npos) << e.op << " " << e.path;
      EXPECT_EQ(e.path.find("sentinel"), std::string::npos) << e.op << " " << e.path;
      EXPECT_EQ(e.path.rfind(canonical, 0), 0u) << e.op << " " << e.path;
    }
  }

  std::string base_, root_, outside_;
};

TEST_F(ChainWalkerTest, RelativeNameOpensBesideTheImage) {
  ChainWalker w = Walker();
  const ChainStep s = w.Next("base.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kOpened) << s.message;
  EXPECT_EQ(s.display, root_ + "/base.img");
  EXPECT_EQ(s.image.inode, Inode(root_ + "/base.img"));
  EXPECT_EQ(s.image.size, 1u);
}

TEST_F(ChainWalkerTest, SubdirectoryThenDotDotBack) {
  ChainWalker w = Walker();
  const ChainStep mid = w.Next("sub/mid.img");
  ASSERT_EQ(mid.kind, ChainStep::Kind::kOpened) << mid.message;
  EXPECT_EQ(mid.image.dir, Components{"sub"});
  const ChainStep base = w.Next("../base.img");
  ASSERT_EQ(base.kind, ChainStep::Kind::kOpened) << base.message;
  EXPECT_EQ(base.display, root_ + "/sub/../base.img");
  EXPECT_EQ(base.image.inode, Inode(root_ + "/base.img"));
}

TEST_F(ChainWalkerTest, AbsoluteInsideTheRoot) {
  ChainWalker w = Walker();
  const ChainStep s = w.Next(root_ + "/sub/mid.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kOpened) << s.message;
  EXPECT_EQ(s.display, root_ + "/sub/mid.img");
}

TEST_F(ChainWalkerTest, SymlinksInsideAreFollowedHopByHop) {
  for (const char* name : {"link-in", "link-abs-in"}) {
    ChainWalker w = Walker();
    audit::Start();
    const ChainStep s = w.Next(name);
    const std::vector<audit::Entry> log = audit::Stop();
    ASSERT_EQ(s.kind, ChainStep::Kind::kOpened) << name << ": " << s.message;
    EXPECT_EQ(s.image.inode, Inode(root_ + "/base.img"));
    ASSERT_EQ(log.size(), 4u);  // lstat link, readlink link, lstat target, open target
    EXPECT_EQ(log[1].op, "readlink");
    EXPECT_EQ(log[3].op, "open");
    ExpectConfined(log);
  }
}

TEST_F(ChainWalkerTest, DirectoryLinkGivesQemusBaseDirectory) {
  ChainWalker w = Walker();
  const ChainStep mid = w.Next("dirlink/mid.img");
  ASSERT_EQ(mid.kind, ChainStep::Kind::kOpened) << mid.message;
  EXPECT_EQ(mid.image.dir, Components{"sub"});
  // qemu opens "<root>/dirlink/../base.img": the kernel takes ".." from sub, i.e. the root.
  const ChainStep base = w.Next("../base.img");
  ASSERT_EQ(base.kind, ChainStep::Kind::kOpened) << base.message;
  EXPECT_EQ(base.image.inode, Inode(root_ + "/base.img"));
}

TEST_F(ChainWalkerTest, HostileNamesNeverTouchTheSentinel) {
  const std::vector<std::string> hostile = {
      "../outside/sentinel.img",
      "../outside/does-not-exist.img",
      outside_ + "/sentinel.img",
      outside_ + "/does-not-exist.img",
      root_ + "/../outside/sentinel.img",
      "link-out",
      "link-abs-out",
      "dirlink-out/sentinel.img",
      "sub/../../outside/sentinel.img",
      "json:{\"file.filename\":\"" + outside_ + "/sentinel.img\"}",
      "file:" + outside_ + "/sentinel.img",
      "nbd:localhost:10809",
  };
  for (const std::string& name : hostile) {
    ChainWalker w = Walker();
    audit::Start();
    const ChainStep s = w.Next(name);
    const std::vector<audit::Entry> log = audit::Stop();
    EXPECT_EQ(s.kind, ChainStep::Kind::kRefused) << name << ": " << s.message;
    EXPECT_NE(s.message.find("refused by instar"), std::string::npos) << s.message;
    ExpectConfined(log);
  }
}

TEST_F(ChainWalkerTest, RefusalDoesNotRevealExistenceOutside) {
  ChainWalker w1 = Walker();
  ChainWalker w2 = Walker();
  std::string present = w1.Next("../outside/sentinel.img").message;
  std::string absent = w2.Next("../outside/sentinel.imx").message;
  present.replace(present.find("sentinel.img"), 12, "NAME");
  absent.replace(absent.find("sentinel.imx"), 12, "NAME");
  EXPECT_EQ(present, absent);
}

TEST_F(ChainWalkerTest, MissingBackingFileGivesQemusText) {
  ChainWalker w = Walker();
  const ChainStep s = w.Next("missing.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kQemuError);
  const std::string name = root_ + "/missing.img";
  EXPECT_EQ(s.message, "Could not open '" + name + "': Could not open '" + name +
                           "': No such file or directory");
}

TEST_F(ChainWalkerTest, DirectoryIsNotARegularFile) {
  ChainWalker w = Walker();
  const ChainStep s = w.Next("sub");
  ASSERT_EQ(s.kind, ChainStep::Kind::kQemuError);
  EXPECT_EQ(s.message, "Could not open '" + root_ + "/sub': 'file' driver requires '" + root_ +
                           "/sub' to be a regular file");
}

TEST_F(ChainWalkerTest, SymlinkLoopIsELOOP) {
  ChainWalker w = Walker();
  const ChainStep s = w.Next("loop1");
  ASSERT_EQ(s.kind, ChainStep::Kind::kQemuError);
  EXPECT_NE(s.message.find("Too many levels of symbolic links"), std::string::npos);
}

TEST_F(ChainWalkerTest, SelfReferenceIsALoop) {
  ChainWalker w = Walker("a.img");
  const ChainStep s = w.Next("a.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kQemuError);
  EXPECT_EQ(s.message, "Backing file '" + root_ + "/a.img' creates an infinite loop.");
}

TEST_F(ChainWalkerTest, CycleABAIsALoopByNameAndByInode) {
  ChainWalker by_name = Walker("a.img");
  ASSERT_EQ(by_name.Next("b.img").kind, ChainStep::Kind::kOpened);
  EXPECT_EQ(by_name.Next("a.img").message,
            "Backing file '" + root_ + "/a.img' creates an infinite loop.");
  // Another spelling of a.img: qemu would loop on ever longer names; instar stops by inode.
  ChainWalker by_inode = Walker("a.img");
  ASSERT_EQ(by_inode.Next("b.img").kind, ChainStep::Kind::kOpened);
  EXPECT_EQ(by_inode.Next("sub/../a.img").message,
            "Backing file '" + root_ + "/sub/../a.img' creates an infinite loop.");
}

TEST_F(ChainWalkerTest, DepthSixteenAllowedSeventeenRefused) {
  for (int i = 1; i <= 16; ++i) Touch(root_ + "/c" + std::to_string(i) + ".img");
  ChainWalker w = Walker("c1.img");
  for (int i = 2; i <= 16; ++i) {
    ASSERT_EQ(w.Next("c" + std::to_string(i) + ".img").kind, ChainStep::Kind::kOpened) << i;
  }
  audit::Start();
  const ChainStep s = w.Next("base.img");
  EXPECT_TRUE(audit::Stop().empty());  // refused before any filesystem access
  EXPECT_EQ(s.kind, ChainStep::Kind::kRefused);
  EXPECT_NE(s.message.find("longer than 16 images"), std::string::npos);
}

// qemu 7.2 opens a data file by its stored name from the working directory; instar then confines
// it to the top image's directory like an absolute backing name.
TEST_F(ChainWalkerTest, DataFileNamesAreTakenFromTheWorkingDirectory) {
  const fs::path previous = fs::current_path();
  fs::current_path(root_);
  ChainWalker w = Walker();
  audit::Start();
  ChainStep s = w.OpenDataFile("base.img");
  EXPECT_EQ(s.kind, ChainStep::Kind::kOpened);
  EXPECT_EQ(s.display, "base.img");
  EXPECT_EQ(s.image.inode, Inode(root_ + "/base.img"));
  EXPECT_EQ(w.OpenDataFile("sub/mid.img").kind, ChainStep::Kind::kOpened);
  EXPECT_EQ(w.OpenDataFile(root_ + "/a.img").kind, ChainStep::Kind::kOpened);
  s = w.OpenDataFile("missing.img");
  EXPECT_EQ(s.kind, ChainStep::Kind::kQemuError);
  EXPECT_EQ(s.message,
            "Could not open 'missing.img': Could not open 'missing.img': No such file or directory");
  EXPECT_EQ(w.OpenDataFile("link-out").kind, ChainStep::Kind::kRefused);
  // The same name from another working directory names a file outside the root.
  fs::current_path(outside_);
  s = w.OpenDataFile("sentinel.img");
  EXPECT_EQ(s.kind, ChainStep::Kind::kRefused);
  EXPECT_NE(s.message.find("relative to the working directory"), std::string::npos) << s.message;
  fs::current_path(previous);
  ExpectConfined(audit::Stop());
  // Data files do not advance the chain: the next backing name still continues from the top.
  EXPECT_EQ(w.Next("base.img").kind, ChainStep::Kind::kOpened);
}

}  // namespace
}  // namespace instar::chain
