// convert_options_test.cc: img_convert's option parsing: values, checks in qemu's order, refusals.
#include "engine/cli/convert_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::cli {
namespace {

ConvertParse parse(std::vector<std::string> args) {
  static char command[] = "convert";
  std::vector<char*> argv{command};
  for (std::string& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return parse_convert_options(argc, argv.data());
}

// -S and -r go through cvtnum(): its error lines end the parse, and a multiplier on a hex number
// is accepted with qemu's deprecation warning.
TEST(ConvertOptions, SizesAsCvtnumReadsThem) {
  ConvertParse p = parse({"-S", "0x1k", "a", "b"});
  ASSERT_EQ(p.error, ConvertParse::Error::kNone);
  EXPECT_EQ(p.options.min_sparse_sectors, 2u);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], "warning: Using a multiplier suffix on hex numbers is deprecated: 0x1k");
  p = parse({"-S", "1.5", "a", "b"});
  EXPECT_EQ(p.error, ConvertParse::Error::kFailed);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0],
            "Invalid buffer size for sparse output specified. You may use k, M, G, T, P or E "
            "suffixes for");
  p = parse({"-r", "9E", "a", "b"});
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0], "Invalid rate limit specified. Must be between 0 and 9223372036854775807.");
}

TEST(ConvertOptions, Defaults) {
  const ConvertParse p = parse({"-p", "a.qcow2", "b.raw", "out.raw"});
  ASSERT_EQ(p.error, ConvertParse::Error::kNone);
  EXPECT_EQ(p.options.sources, (std::vector<std::string>{"a.qcow2", "b.raw"}));
  EXPECT_EQ(p.options.output, "out.raw");
  EXPECT_EQ(p.options.min_sparse_sectors, 8u);
  EXPECT_EQ(p.options.cache, "unsafe");
  EXPECT_TRUE(p.options.progress);
  EXPECT_FALSE(parse({"-q", "-p", "a", "b"}).options.progress);
  EXPECT_EQ(parse({"-S", "0", "a", "b"}).options.min_sparse_sectors, 0u);
}

TEST(ConvertOptions, ErrorsInQemusOrder) {
  EXPECT_EQ(parse({"-S", "100", "a", "b"}).lines.front(),
            "Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 up "
            "to 16777216. Select 0 to disable sparse detection (fully allocates output).");
  EXPECT_EQ(parse({"--target-is-zero"}).lines.front(), "--target-is-zero requires use of -n flag");
  EXPECT_EQ(parse({"-n", "-o", "x=y", "a", "b"}).lines.front(),
            "-o has no effect when skipping image creation");
  EXPECT_EQ(parse({"a"}).lines.front(), "Must specify image file name");
  EXPECT_EQ(parse({"-T", "bad", "a", "b"}).lines.front(), "Invalid source cache option: bad");
  EXPECT_EQ(parse({"-m", "17", "a", "b"}).lines.front(),
            "Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
  EXPECT_EQ(parse({"-o", "a,", "a", "b"}).lines.front(), "Invalid option list: a,");
  EXPECT_EQ(parse({"-o", ",a", "a", "b"}).lines.front(), "Invalid option list: ,a");
  // A leading escaped comma is still a leading comma to qemu-img's is_valid_option_list().
  EXPECT_EQ(parse({"-o", ",,x", "a", "b"}).lines.front(), "Invalid option list: ,,x");
  // A valid list: the target's options are judged later (convert_target.h).
  EXPECT_EQ(parse({"-o", "a,,", "a", "b"}).error, ConvertParse::Error::kNone);
  EXPECT_EQ(parse({"-x"}).error, ConvertParse::Error::kUsage);
}

TEST(ConvertOptions, UnimplementedOptionsAreRefusedNotIgnored) {
  EXPECT_EQ(parse({"--bitmaps", "a", "b"}).error, ConvertParse::Error::kUnsupported);
}

TEST(ConvertOptions, TargetImageOptsNeedsSkipCreate) {
  const ConvertParse p = parse({"--target-image-opts", "-n", "a", "driver=raw,file.filename=b"});
  EXPECT_EQ(p.error, ConvertParse::Error::kNone);
  EXPECT_TRUE(p.options.target_image_opts);
  EXPECT_FALSE(p.options.output_format_given);
  EXPECT_TRUE(parse({"-O", "raw", "a", "b"}).options.output_format_given);
  const ConvertParse c = parse({"--target-image-opts", "a", "b"});
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines.front(), "--target-image-opts requires use of -n flag");
}

TEST(ConvertOptions, SalvageIsParsedAndRefusesCopyOffloading) {
  const ConvertParse p = parse({"a", "--salvage", "b"});
  EXPECT_EQ(p.error, ConvertParse::Error::kNone);
  EXPECT_TRUE(p.options.salvage);
  const ConvertParse c = parse({"-C", "--salvage", "a", "b"});
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines.front(), "Cannot use copy offloading in salvaging mode");
}

TEST(ConvertOptions, ObjectsAreCreatedInTheOptionLoop) {
  // --object is checked where qemu creates it: an invalid one ends the parse at once...
  const ConvertParse bad = parse({"--object", "secret,id=s", "-x", "a", "b"});
  EXPECT_EQ(bad.error, ConvertParse::Error::kFailed);
  ASSERT_EQ(bad.lines.size(), 1u);
  EXPECT_EQ(bad.lines.front(), "Either 'file' or 'data' must be provided");
  // ...a valid one is accepted, and --object help is printed instead of converting.
  EXPECT_EQ(parse({"--object", "secret,id=s,data=x", "--image-opts", "a", "b"}).error,
            ConvertParse::Error::kNone);
  EXPECT_TRUE(parse({"--object", "help", "a", "b"}).options.object_help.has_value());
}

}  // namespace
}  // namespace instar::cli
