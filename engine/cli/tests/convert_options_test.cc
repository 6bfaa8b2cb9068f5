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

TEST(ConvertOptions, SizesAsCvtnumReadsThem) {
  std::vector<std::string> lines;
  EXPECT_EQ(parse_size_argument("x", "4k", &lines), 4096u);
  EXPECT_EQ(parse_size_argument("x", "0x1000", &lines), 4096u);
  EXPECT_EQ(parse_size_argument("x", "1.5M", &lines), 1572864u);
  EXPECT_EQ(parse_size_argument("x", "512", &lines), 512u);
  EXPECT_TRUE(lines.empty());
  EXPECT_FALSE(parse_size_argument("x", "-1", &lines));
  EXPECT_FALSE(parse_size_argument("x", "4q", &lines));
  EXPECT_FALSE(parse_size_argument("x", "1.5", &lines));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "Invalid x specified. You may use k, M, G, T, P or E suffixes for");
  lines.clear();
  EXPECT_FALSE(parse_size_argument("x", "9E", &lines));
  EXPECT_EQ(lines[0], "Invalid x specified. Must be between 0 and 9223372036854775807.");
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
  // A valid list: the target's options are judged later (convert_target.h).
  EXPECT_EQ(parse({"-o", "a,,", "a", "b"}).error, ConvertParse::Error::kNone);
  EXPECT_EQ(parse({"-x"}).error, ConvertParse::Error::kUsage);
}

TEST(ConvertOptions, UnimplementedOptionsAreRefusedNotIgnored) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-l", "s", "a", "b"},
                                             {"--bitmaps", "a", "b"},
                                             {"--salvage", "a", "b"},
                                             {"-C", "a", "b"},
                                             {"-r", "1M", "a", "b"},
                                             {"--image-opts", "a", "b"},
                                             {"--object", "secret,id=s", "a", "b"}}) {
    EXPECT_EQ(parse(args).error, ConvertParse::Error::kUnsupported) << args.front();
  }
}

}  // namespace
}  // namespace instar::cli
