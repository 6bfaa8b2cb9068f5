// guest_binaries_test.cc: the guest binaries' search order and the error that names every place.
#include "engine/cli/guest_binaries.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace instar::cli {
namespace {

namespace fs = std::filesystem;

TEST(GuestSearchDirectories, ExecutableDirectoryThenRelativeLibexecThenPrefix) {
  EXPECT_EQ(
      guest_search_directories("/opt/x/bin", "../libexec/instar", "/usr/libexec/instar"),
      (std::vector<std::string>{"/opt/x/bin", "/opt/x/libexec/instar", "/usr/libexec/instar"}));
}

TEST(GuestSearchDirectories, DropsRepeatsAndUnknownExecutable) {
  // Installed in the configured prefix: the relative and the absolute entry are one directory.
  EXPECT_EQ(guest_search_directories("/usr/bin/", "../libexec/instar", "/usr/libexec/instar"),
            (std::vector<std::string>{"/usr/bin", "/usr/libexec/instar"}));
  EXPECT_EQ(guest_search_directories("", "../libexec/instar", "/usr/libexec/instar"),
            (std::vector<std::string>{"/usr/libexec/instar"}));
}

class FindGuestBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/instar-guest-binaries-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "bin");
    fs::create_directories(root_ / "libexec/instar");
  }
  void TearDown() override { fs::remove_all(root_); }
  void touch(const fs::path& path) { std::ofstream(path) << "x"; }
  std::vector<std::string> directories() const {
    return guest_search_directories((root_ / "bin").string(), "../libexec/instar",
                                    (root_ / "prefix/libexec/instar").string());
  }

  fs::path root_;
};

TEST_F(FindGuestBinary, PrefersTheExecutableDirectory) {
  touch(root_ / "bin/instar-guest-process");
  touch(root_ / "libexec/instar/instar-guest-process");
  std::string error;
  EXPECT_EQ(find_guest_binary("the guest helper", kProcessHelperName, directories(), &error),
            (root_ / "bin/instar-guest-process").string());
}

TEST_F(FindGuestBinary, FallsBackToLibexecBesideBin) {
  touch(root_ / "libexec/instar/instar-guest.elf");
  std::string error;
  EXPECT_EQ(find_guest_binary("the KVM guest", kKvmGuestName, directories(), &error),
            (root_ / "libexec/instar/instar-guest.elf").string());
}

TEST_F(FindGuestBinary, ADirectoryOfThatNameIsNotTheBinary) {
  fs::create_directories(root_ / "bin/instar-guest-process");
  touch(root_ / "libexec/instar/instar-guest-process");
  std::string error;
  EXPECT_EQ(find_guest_binary("the guest helper", kProcessHelperName, directories(), &error),
            (root_ / "libexec/instar/instar-guest-process").string());
}

TEST_F(FindGuestBinary, MissingNamesEveryPlaceLooked) {
  std::string error;
  EXPECT_EQ(find_guest_binary("the guest helper", kProcessHelperName, directories(), &error),
            std::nullopt);
  const std::string r = root_.string();
  EXPECT_EQ(error, "cannot find the guest helper instar-guest-process; looked at: " + r +
                       "/bin/instar-guest-process, " + r +
                       "/libexec/instar/instar-guest-process, " + r +
                       "/prefix/libexec/instar/instar-guest-process");
}

TEST(RunningExecutableDirectory, IsTheTestBinarysDirectory) {
  const std::string directory = running_executable_directory();
  ASSERT_FALSE(directory.empty());
  EXPECT_EQ(directory[0], '/');
  EXPECT_TRUE(fs::exists(fs::path(directory) / "cli_test"));
}

}  // namespace
}  // namespace instar::cli
