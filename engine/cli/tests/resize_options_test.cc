// resize_options_test.cc: img_resize's option parsing: the size operand taken off the end
// before getopt, options anywhere, and qemu's errors in its order.
#include "engine/cli/resize_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::cli {
namespace {

ResizeParse parse(std::vector<std::string> args) {
  static char command[] = "resize";
  std::vector<char*> argv{command};
  for (std::string& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return parse_resize_options(argc, argv.data());
}

TEST(ResizeOptions, SizeIsTheLastArgumentEvenWhenItLooksLikeAnOption) {
  ResizeParse p = parse({"--shrink", "img", "-f", "qcow2", "-q", "-1G"});
  ASSERT_EQ(p.error, ResizeParse::Error::kNone);
  EXPECT_EQ(p.options.filename, "img");
  EXPECT_EQ(p.options.relative, abi::kResizeShrinkBy);
  EXPECT_EQ(p.options.size, 1ull << 30);
  EXPECT_TRUE(p.options.shrink);
  EXPECT_TRUE(p.options.quiet);
  EXPECT_EQ(p.options.format, "qcow2");
  p = parse({"img", "--preallocation=full", "+512"});
  ASSERT_EQ(p.error, ResizeParse::Error::kNone);
  EXPECT_EQ(p.options.relative, abi::kResizeGrowBy);
  EXPECT_EQ(p.options.size, 512u);
  EXPECT_EQ(p.options.preallocation, "full");
  p = parse({"img", "--", "-5M"});
  ASSERT_EQ(p.error, ResizeParse::Error::kNone);
  EXPECT_EQ(p.options.relative, abi::kResizeShrinkBy);
}

TEST(ResizeOptions, ErrorsInQemuOrder) {
  ResizeParse p = parse({"img"});
  EXPECT_EQ(p.error, ResizeParse::Error::kUsage);
  EXPECT_EQ(p.lines.front(), "Not enough arguments");
  // "-q" is the size operand here: getopt sees two operands first.
  p = parse({"img", "4M", "--shrink", "-q"});
  EXPECT_EQ(p.error, ResizeParse::Error::kUsage);
  EXPECT_EQ(p.lines.front(), "Expecting image file name and size");
  p = parse({"--preallocation=foo", "img", "4M"});
  EXPECT_EQ(p.error, ResizeParse::Error::kFailed);
  EXPECT_EQ(p.lines.front(), "Invalid preallocation mode 'foo'");
  p = parse({"img", "10x"});
  EXPECT_EQ(p.error, ResizeParse::Error::kFailed);
  EXPECT_EQ(p.lines.front(), "Parameter 'size' expects a non-negative number below 2^64");
  EXPECT_NE(p.hint.find("Optional suffix"), std::string::npos);
  p = parse({"-x", "img", "1M"});
  EXPECT_EQ(p.error, ResizeParse::Error::kUsage);
  EXPECT_EQ(p.lines.front(), "unrecognized option '-x'");
}

}  // namespace
}  // namespace instar::cli
