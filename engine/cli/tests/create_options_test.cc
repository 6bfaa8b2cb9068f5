// create_options_test.cc: img_create's option parsing and the Formatting line of bdrv_img_create.
#include "engine/cli/create_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/cli/creation_options.h"
#include "engine/cli/formatting_line.h"

namespace instar::cli {
namespace {

CreateParse parse(std::vector<std::string> args) {
  static char command[] = "create";
  std::vector<char*> argv{command};
  for (std::string& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return parse_create_options(argc, argv.data());
}

TEST(CreateOptions, OptionsBeforeAndAfterOperands) {
  CreateParse p = parse({"img", "-f", "qcow2", "1G", "-q", "-b", "base", "-F", "qcow2", "-u"});
  ASSERT_EQ(p.error, CreateParse::Error::kNone);
  EXPECT_EQ(p.options.filename, "img");
  ASSERT_TRUE(p.options.size);
  EXPECT_EQ(*p.options.size, 1ull << 30);
  EXPECT_EQ(p.options.format, "qcow2");
  EXPECT_TRUE(p.options.quiet);
  EXPECT_TRUE(p.options.no_open_backing);
  EXPECT_EQ(p.options.backing, "base");
  EXPECT_EQ(p.options.backing_format, "qcow2");
}

TEST(CreateOptions, DefaultsAndAccumulatedOptionLists) {
  CreateParse p = parse({"-o", "compat=0.10", "-o", "cluster_size=4k", "img"});
  ASSERT_EQ(p.error, CreateParse::Error::kNone);
  EXPECT_EQ(p.options.format, "raw");
  EXPECT_FALSE(p.options.size);
  EXPECT_EQ(p.options.options, "compat=0.10,cluster_size=4k");
}

TEST(CreateOptions, ErrorsInImgCreatesOrder) {
  CreateParse p = parse({"-o", ",", "img", "1M"});
  EXPECT_EQ(p.error, CreateParse::Error::kFailed);
  EXPECT_EQ(p.lines, std::vector<std::string>{"Invalid option list: ,"});
  p = parse({});
  EXPECT_EQ(p.error, CreateParse::Error::kUsage);
  EXPECT_EQ(p.lines.front(), "Expecting image file name");
  p = parse({"img", "1M", "extra"});
  EXPECT_EQ(p.error, CreateParse::Error::kUsage);
  EXPECT_EQ(p.lines.front(), "Unexpected argument: extra");
  p = parse({"img", "20E"});
  EXPECT_EQ(p.error, CreateParse::Error::kFailed);
  EXPECT_EQ(p.lines.front(),
            "Invalid image size specified. Must be between 0 and 9223372036854775807.");
  p = parse({"img", "0x10k"});
  ASSERT_EQ(p.error, CreateParse::Error::kNone);
  EXPECT_EQ(*p.options.size, 16384u);
  ASSERT_EQ(p.warnings.size(), 1u);
  p = parse({"-x"});
  EXPECT_EQ(p.error, CreateParse::Error::kUsage);
}

// -o help is looked for before the file name is required.
TEST(CreateOptions, OptionHelpNeedsNoFileName) {
  CreateParse p = parse({"-f", "qcow2", "-o", "help"});
  ASSERT_EQ(p.error, CreateParse::Error::kNone);
  EXPECT_TRUE(p.options.option_help);
  p = parse({"-o", "cluster_size=4k,?", "img"});
  EXPECT_TRUE(p.options.option_help);
}

// qemu_opts_print(): the create_opts order (not the command line's), defaults included, sizes
// as numbers, strings with ',' doubled, other values as given.
TEST(FormattingLine, Qcow2KeysInCreateOptsOrder) {
  CreationOptions opts;
  ASSERT_FALSE(
      parse_creation_options("lazy_refcounts=yes,compat=0.10,cluster_size=4k,"
                             "backing_file=a,,b,nocow=on",
                             qcow2_creation_options(), &opts));
  opts.append({"size", "1024", false, 1024});
  EXPECT_EQ(formatting_line("x.qcow2", "qcow2", opts),
            "Formatting 'x.qcow2', fmt=qcow2 cluster_size=4096 extended_l2=off "
            "compression_type=zlib size=1024 compat=0.10 backing_file=a,,b lazy_refcounts=yes "
            "refcount_bits=16 nocow=on\n");
}

TEST(FormattingLine, RawHasNoDefaults) {
  CreationOptions opts;
  ASSERT_FALSE(parse_creation_options("preallocation=full,size=1k", raw_creation_options(), &opts));
  EXPECT_EQ(formatting_line("r", "raw", opts),
            "Formatting 'r', fmt=raw size=1024 preallocation=full\n");
}

}  // namespace
}  // namespace instar::cli
