// chain_walker_test.cc: chain discovery over real files and links, audited: nothing outside the
// image's directory (where the sentinel lives) is ever opened, stat'ed or read.
#include "engine/chain/chain_walker.h"

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/chain/audit.h"
#include "engine/chain/root_walk_testing.h"

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
  ChainWalker Walker(const std::string& top = "top.img", const RootOptions& roots = {}) {
    return WalkerFor(root_ + "/" + top, roots);
  }

  static ChainWalker WalkerFor(const std::string& top, const RootOptions& roots) {
    ChainWalker walker;
    struct stat st {};
    EXPECT_EQ(::stat(top.c_str(), &st), 0) << top;
    std::string error;
    EXPECT_TRUE(walker.Start(top, st.st_dev, st.st_ino, roots, &error)) << error;
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
  EXPECT_EQ(mid.image.dir.dir, Components{"sub"});
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
  EXPECT_EQ(mid.image.dir.dir, Components{"sub"});
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

// A FIFO is refused from its lstat: opening it could block or have side effects on a device.
TEST_F(ChainWalkerTest, FifoIsNotOpened) {
  ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  ChainWalker w = Walker();
  audit::Start();
  const ChainStep s = w.Next("fifo");
  const std::vector<audit::Entry> log = audit::Stop();
  EXPECT_EQ(s.message, "Could not open '" + root_ + "/fifo': 'file' driver requires '" + root_ +
                           "/fifo' to be a regular file");
  for (const audit::Entry& e : log) EXPECT_NE(e.op, "open") << e.path;
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
  EXPECT_EQ(
      s.message,
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

// --- the race: the tree changes between two steps of one walk (issue 11, finding 2) -----------

// Watches the sentinel for opens: the kernel reports any open of it, whoever resolved the path.
class OpenWatch {
 public:
  explicit OpenWatch(const std::string& path) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    EXPECT_GE(fd_, 0);
    EXPECT_GE(::inotify_add_watch(fd_, path.c_str(), IN_OPEN | IN_ACCESS), 0);
  }
  ~OpenWatch() { ::close(fd_); }
  bool Opened() const {
    char buffer[4096];
    return ::read(fd_, buffer, sizeof buffer) > 0;
  }

 private:
  int fd_;
};

class WalkRaceTest : public ChainWalkerTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    ChainWalkerTest::SetUp();
    testing::SetOpenat2Unavailable(GetParam());
    fs::create_directories(root_ + "/d");
    Touch(root_ + "/d/x.img");
    fs::copy_file(outside_ + "/sentinel.img", outside_ + "/x.img");
  }
  void TearDown() override {
    testing::SetAfterLookupHook(nullptr);
    testing::SetOpenat2Unavailable(false);
    ChainWalkerTest::TearDown();
  }
  // When the walk has looked up `component`: root/d becomes a symlink to the outside directory.
  void SwapAfter(const std::string& component) {
    testing::SetAfterLookupHook([this, component](std::string_view looked_up) {
      if (looked_up != component || swapped_) return;
      swapped_ = true;
      fs::rename(root_ + "/d", root_ + "/d.old");
      fs::create_symlink(outside_, root_ + "/d");
    });
  }
  // Walks "d/x.img" with root/d swapped once `component` is looked up; checks that the outside
  // x.img is never opened and that every audited access (kept in log_) lies in the root.
  ChainStep WalkWithSwap(const std::string& component) {
    SwapAfter(component);
    OpenWatch watch(outside_ + "/x.img");
    ChainWalker w = Walker();
    audit::Start();
    ChainStep s = w.Next("d/x.img");
    log_ = audit::Stop();
    EXPECT_TRUE(swapped_);
    EXPECT_FALSE(watch.Opened());
    ExpectConfined(log_);
    return s;
  }
  bool swapped_ = false;
  std::vector<audit::Entry> log_;
};

// root/d was a directory when lstat'ed and is a link to the outside before it is entered: the
// single-component O_NOFOLLOW | O_DIRECTORY open fails; nothing outside is looked up.
TEST_P(WalkRaceTest, DirectorySwappedForALinkBeforeItIsEntered) {
  const ChainStep s = WalkWithSwap("d");
  EXPECT_EQ(s.kind, ChainStep::Kind::kQemuError) << s.message;
  EXPECT_TRUE(s.message.find("Not a directory") != std::string::npos ||
              s.message.find("Too many levels of symbolic links") != std::string::npos)
      << s.message;
}

// The swap comes after root/d was entered: the walk holds the directory it entered (now
// root/d.old) and opens x.img there; the link now at root/d is never consulted.
TEST_P(WalkRaceTest, DirectorySwappedForALinkAfterItIsEntered) {
  const ino_t inside = Inode(root_ + "/d/x.img");
  const ChainStep s = WalkWithSwap("x.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kOpened) << s.message;
  EXPECT_EQ(s.image.inode, inside);
  // The audit log names what the kernel opened: the renamed directory.
  ASSERT_FALSE(log_.empty());
  EXPECT_EQ(log_.back().op, "open");
  EXPECT_EQ(log_.back().path, fs::canonical(root_).string() + "/d.old/x.img");
}

// The parent image's directory is entered again for its backing name: swapped for a link since,
// it is refused, not followed.
TEST_P(WalkRaceTest, ParentDirectorySwappedBetweenElements) {
  Touch(root_ + "/d/y.img");
  ChainWalker w = Walker();
  ASSERT_EQ(w.Next("d/y.img").kind, ChainStep::Kind::kOpened);
  fs::rename(root_ + "/d", root_ + "/d.old");
  fs::create_symlink(outside_, root_ + "/d");
  OpenWatch watch(outside_ + "/x.img");
  audit::Start();
  const ChainStep s = w.Next("x.img");
  const std::vector<audit::Entry> log = audit::Stop();
  EXPECT_NE(s.kind, ChainStep::Kind::kOpened) << s.message;
  EXPECT_FALSE(watch.Opened());
  ExpectConfined(log);
}

// The same rules hold when openat2 is missing or refused (GetParam() true): every case of the
// hostile list, with the sentinel watched.
TEST_P(WalkRaceTest, HostileNamesWithAndWithoutOpenat2) {
  OpenWatch watch(outside_ + "/sentinel.img");
  for (const std::string name :
       {"link-out", "dirlink-out/sentinel.img", "link-abs-out", "../outside/sentinel.img"}) {
    ChainWalker w = Walker();
    audit::Start();
    const ChainStep s = w.Next(name);
    const std::vector<audit::Entry> log = audit::Stop();
    EXPECT_EQ(s.kind, ChainStep::Kind::kRefused) << name << ": " << s.message;
    ExpectConfined(log);
  }
  EXPECT_FALSE(watch.Opened());
  ChainWalker w = Walker();
  EXPECT_EQ(w.Next("dirlink/mid.img").kind, ChainStep::Kind::kOpened);
}

INSTANTIATE_TEST_SUITE_P(Openat2, WalkRaceTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return std::string(param_info.param ? "Unavailable" : "Available");
                         });

TEST_F(ChainWalkerTest, AuditRecordsWhatTheKernelResolved) {
  fs::create_symlink(root_, base_ + "/rootlink");
  ChainWalker w = WalkerFor(base_ + "/rootlink/top.img", {});
  audit::Start();
  ASSERT_EQ(w.Next("sub/mid.img").kind, ChainStep::Kind::kOpened);
  const std::vector<audit::Entry> log = audit::Stop();
  const std::string canonical = fs::canonical(root_).string();
  ASSERT_FALSE(log.empty());
  for (const audit::Entry& e : log) {
    EXPECT_EQ(e.path.find("rootlink"), std::string::npos) << e.op << " " << e.path;
  }
  EXPECT_EQ(log.back().path, canonical + "/sub/mid.img");
}

// --- hidden components and explicit roots (issue 11, finding 6) --------------------------------

class HiddenTest : public ChainWalkerTest {
 protected:
  void SetUp() override {
    ChainWalkerTest::SetUp();
    fs::create_directories(root_ + "/.ssh");
    Touch(root_ + "/.ssh/id_rsa");
    fs::create_symlink(".ssh/id_rsa", root_ + "/key.img");
    fs::create_symlink(root_ + "/.ssh", root_ + "/keys");
  }
  // Nothing under root/.ssh was looked up.
  void ExpectNothingHidden(const std::vector<audit::Entry>& log) {
    for (const audit::Entry& e : log) {
      EXPECT_EQ(e.path.find(".ssh"), std::string::npos) << e.op << " " << e.path;
    }
  }
};

TEST_F(HiddenTest, HiddenComponentsAreRefusedByDefault) {
  for (const std::string& name :
       std::vector<std::string>{".ssh/id_rsa", "sub/../.ssh/id_rsa", "./.ssh/id_rsa", "key.img",
                                "keys/id_rsa", root_ + "/.ssh/id_rsa"}) {
    ChainWalker w = Walker();
    audit::Start();
    const ChainStep s = w.Next(name);
    const std::vector<audit::Entry> log = audit::Stop();
    ASSERT_EQ(s.kind, ChainStep::Kind::kRefused) << name << ": " << s.message;
    EXPECT_NE(s.message.find("hidden component"), std::string::npos) << s.message;
    ExpectNothingHidden(log);
    ExpectConfined(log);
  }
  ChainWalker w = Walker();
  const ChainStep s = w.OpenDataFile(root_ + "/.ssh/id_rsa");
  EXPECT_EQ(s.kind, ChainStep::Kind::kRefused) << s.message;
  EXPECT_EQ(s.message, "Could not open '" + root_ +
                           "/.ssh/id_rsa': refused by instar: data file name with a hidden "
                           "component (a name starting with '.'); name the directory with "
                           "--allow-root to allow it (only files under '" +
                           fs::canonical(root_).string() + "' are opened)");
}

// Named explicitly, a hidden directory is a root: the names below it are allowed, whether the
// name reaches it from another root or the top image lies under no root at all.
TEST_F(HiddenTest, AnExplicitlyNamedHiddenRootIsAllowed) {
  const RootOptions both{{root_, root_ + "/.ssh"}};
  for (const std::string& name :
       std::vector<std::string>{".ssh/id_rsa", "key.img", "keys/id_rsa", root_ + "/.ssh/id_rsa"}) {
    ChainWalker w = Walker("top.img", both);
    const ChainStep s = w.Next(name);
    ASSERT_EQ(s.kind, ChainStep::Kind::kOpened) << name << ": " << s.message;
    EXPECT_EQ(s.image.inode, Inode(root_ + "/.ssh/id_rsa"));
  }
  // Only root/.ssh: the top's directory is no root, its relative names are taken as absolute.
  ChainWalker moved = Walker("top.img", RootOptions{{root_ + "/.ssh"}});
  EXPECT_EQ(moved.Next(".ssh/id_rsa").kind, ChainStep::Kind::kOpened);
  ChainWalker outside_root = Walker("top.img", RootOptions{{root_ + "/.ssh"}});
  const ChainStep s = outside_root.Next("base.img");
  EXPECT_EQ(s.kind, ChainStep::Kind::kRefused) << s.message;
  EXPECT_NE(s.message.find("outside the allowed roots"), std::string::npos) << s.message;
  // Below a named hidden root, hidden names are refused again.
  fs::create_directories(root_ + "/.ssh/.deeper");
  Touch(root_ + "/.ssh/.deeper/k");
  ChainWalker deeper = Walker("top.img", both);
  EXPECT_EQ(deeper.Next(".ssh/.deeper/k").kind, ChainStep::Kind::kRefused);
}

TEST_F(ChainWalkerTest, ExplicitRootsMoveTheRoot) {
  const std::string shared = base_ + "/shared";
  fs::create_directories(shared);
  Touch(shared + "/golden.img");
  const RootOptions roots{{shared, root_}};
  ChainWalker w = Walker("top.img", roots);
  const ChainStep golden = w.Next(shared + "/golden.img");
  ASSERT_EQ(golden.kind, ChainStep::Kind::kOpened) << golden.message;
  // From shared/golden.img, a relative name stays in shared/.
  EXPECT_EQ(w.Next("../root/base.img").kind, ChainStep::Kind::kRefused);
  // Without the top's directory in the list, its own neighbours are refused.
  ChainWalker only_shared = Walker("top.img", RootOptions{{shared}});
  const ChainStep s = only_shared.Next("base.img");
  ASSERT_EQ(s.kind, ChainStep::Kind::kRefused);
  EXPECT_NE(
      s.message.find("(only files under '" + fs::canonical(shared).string() + "' are opened)"),
      std::string::npos)
      << s.message;
  ChainWalker missing;
  std::string error;
  EXPECT_FALSE(missing.Start(root_ + "/top.img", 0, 0, RootOptions{{base_ + "/nope"}}, &error));
  EXPECT_EQ(error, "cannot open the allowed root '" + base_ + "/nope': No such file or directory");
}

// An image in '/' has no implicit root: the whole file system would be one.
TEST_F(ChainWalkerTest, ImageInTheFilesystemRootGetsNoRoot) {
  ChainWalker w;
  std::string error;
  ASSERT_TRUE(w.Start("/top.img", 0, 0, RootOptions{}, &error)) << error;
  audit::Start();
  for (const std::string name : {"etc/passwd", "/etc/passwd", "other.img"}) {
    const ChainStep s = w.Next(name);
    EXPECT_EQ(s.kind, ChainStep::Kind::kRefused) << s.message;
    EXPECT_NE(s.message.find("never an allowed root; name one with --allow-root"),
              std::string::npos)
        << s.message;
  }
  EXPECT_EQ(w.OpenDataFile("/etc/passwd").kind, ChainStep::Kind::kRefused);
  EXPECT_TRUE(audit::Stop().empty());
  // Named explicitly, a root makes the same image's names usable.
  ChainWalker allowed;
  ASSERT_TRUE(allowed.Start("/top.img", 0, 0, RootOptions{{root_}}, &error)) << error;
  EXPECT_EQ(allowed.Next(root_ + "/base.img").kind, ChainStep::Kind::kOpened);
}

}  // namespace
}  // namespace instar::chain
