// snapshot_options_test.cc: img_snapshot's option parsing: one action, no -f, qemu's errors.
#include "engine/cli/snapshot_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::cli {
namespace {

SnapshotParse parse(std::vector<std::string> args) {
  static char command[] = "snapshot";
  std::vector<char*> argv{command};
  for (std::string& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return parse_snapshot_options(argc, argv.data());
}

TEST(SnapshotOptions, OneActionAndItsName) {
  SnapshotParse p = parse({"img", "-c", "s1", "-q", "-U"});
  ASSERT_EQ(p.error, SnapshotParse::Error::kNone);
  EXPECT_EQ(p.options.action, SnapshotAction::kCreate);
  EXPECT_EQ(p.options.name, "s1");
  EXPECT_EQ(p.options.filename, "img");
  EXPECT_TRUE(p.options.quiet);
  EXPECT_TRUE(p.options.force_share);
  p = parse({"-d", "-l", "img"});  // -d takes "-l" as its name
  ASSERT_EQ(p.error, SnapshotParse::Error::kNone);
  EXPECT_EQ(p.options.action, SnapshotAction::kDelete);
  EXPECT_EQ(p.options.name, "-l");
  p = parse({"img"});
  ASSERT_EQ(p.error, SnapshotParse::Error::kNone);
  EXPECT_EQ(p.options.action, SnapshotAction::kNone);
  p = parse({"--image-opts", "-l", "driver=qcow2,file.filename=img"});
  ASSERT_EQ(p.error, SnapshotParse::Error::kNone);
  EXPECT_TRUE(p.options.image_opts);
  EXPECT_EQ(p.options.action, SnapshotAction::kList);
}

TEST(SnapshotOptions, QemuErrors) {
  SnapshotParse p = parse({"-l", "-c", "x", "img"});
  EXPECT_EQ(p.error, SnapshotParse::Error::kUsage);
  EXPECT_EQ(p.message, "Cannot mix '-l', '-a', '-c', '-d'");
  p = parse({"-a", "x", "-a", "y", "img"});
  EXPECT_EQ(p.message, "Cannot mix '-l', '-a', '-c', '-d'");
  p = parse({"-f", "raw", "img"});  // 7.2's img_snapshot has no -f
  EXPECT_EQ(p.error, SnapshotParse::Error::kUsage);
  EXPECT_EQ(p.message, "unrecognized option '-f'");
  p = parse({"-c"});
  EXPECT_EQ(p.message, "missing argument for option '-c'");
  p = parse({"-l", "a", "b"});
  EXPECT_EQ(p.message, "Expecting one image file name");
  p = parse({});
  EXPECT_EQ(p.message, "Expecting one image file name");
}

}  // namespace
}  // namespace instar::cli
