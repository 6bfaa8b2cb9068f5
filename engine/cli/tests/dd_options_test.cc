// dd_options_test.cc: img_dd's option and key=value operand parsing, its errors in qemu's order,
// and the range it copies (count capping before skip, skipping past the end).
#include "engine/cli/dd_options.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace instar::cli {
namespace {

DdParse parse(std::vector<std::string> args) {
  static char command[] = "dd";
  std::vector<char*> argv{command};
  for (std::string& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return parse_dd_options(argc, argv.data());
}

TEST(DdOptions, OperandsAndOptionsInAnyOrderTheLastOperandWins) {
  const DdParse p = parse({"if=a", "-O", "qcow2", "bs=4k", "of=b", "count=3", "-U", "skip=2",
                           "if=c", "-f", "raw", "--image-opts"});
  ASSERT_EQ(p.error, DdParse::Error::kNone);
  EXPECT_EQ(p.options.input, "c");
  EXPECT_EQ(p.options.output, "b");
  EXPECT_EQ(p.options.output_format, "qcow2");
  EXPECT_EQ(p.options.format, "raw");
  EXPECT_EQ(p.options.block_size, 4096);
  EXPECT_EQ(p.options.count, 3);
  EXPECT_EQ(p.options.skip, 2);
  EXPECT_TRUE(p.options.force_share);
  EXPECT_TRUE(p.options.image_opts);
}

TEST(DdOptions, DefaultsAndEmptyValues) {
  const DdParse p = parse({"if=", "of=x=y"});
  ASSERT_EQ(p.error, DdParse::Error::kNone);
  EXPECT_EQ(p.options.input, "");      // C_IF is set: the open fails later
  EXPECT_EQ(p.options.output, "x=y");  // only the first '=' splits
  EXPECT_EQ(p.options.block_size, 512);
  EXPECT_EQ(p.options.output_format, "raw");
  EXPECT_FALSE(p.options.count);
  EXPECT_FALSE(p.options.skip);
}

TEST(DdOptions, UnrecognizedOperandNamesTheKey) {
  DdParse p = parse({"foo"});
  EXPECT_EQ(p.error, DdParse::Error::kFailed);
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized operand foo"});
  p = parse({"zz=1", "if=a", "of=b"});
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized operand zz"});
  p = parse({"=x"});
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized operand "});
  p = parse({"BS=1"});  // case matters (strcmp)
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized operand BS"});
}

TEST(DdOptions, FirstBadOperandEndsTheParse) {
  DdParse p = parse({"bs=0", "bogus"});
  EXPECT_EQ(p.lines,
            std::vector<std::string>{"Invalid bs specified. Must be between 1 and 2147483647."});
  p = parse({"bogus", "bs=0"});
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized operand bogus"});
}

TEST(DdOptions, NumberErrorsAreCvtnums) {
  DdParse p = parse({"bs=2G"});
  EXPECT_EQ(p.lines,
            std::vector<std::string>{"Invalid bs specified. Must be between 1 and 2147483647."});
  p = parse({"count=-1"});
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0], "Invalid count specified. You may use k, M, G, T, P or E suffixes for");
  p = parse({"skip=99999999999999999999"});
  EXPECT_EQ(p.lines, std::vector<std::string>{
                         "Invalid skip specified. Must be between 0 and 9223372036854775807."});
  p = parse({"bs=0x1k", "if=a", "of=b"});
  ASSERT_EQ(p.error, DdParse::Error::kNone);
  EXPECT_EQ(p.options.block_size, 1024);
  EXPECT_EQ(p.warnings,
            std::vector<std::string>{
                "warning: Using a multiplier suffix on hex numbers is deprecated: 0x1k"});
}

TEST(DdOptions, BothFilesAreRequiredAfterTheOperands) {
  EXPECT_EQ(parse({}).lines, std::vector<std::string>{"Must specify both input and output files"});
  EXPECT_EQ(parse({"of=b"}).lines,
            std::vector<std::string>{"Must specify both input and output files"});
}

TEST(DdOptions, GetoptErrorsAreUsageErrors) {
  DdParse p = parse({"-O"});
  EXPECT_EQ(p.error, DdParse::Error::kUsage);
  EXPECT_EQ(p.lines, std::vector<std::string>{"missing argument for option '-O'"});
  p = parse({"-x", "bogus"});
  EXPECT_EQ(p.error, DdParse::Error::kUsage);
  EXPECT_EQ(p.lines, std::vector<std::string>{"unrecognized option '-x'"});
  p = parse({"bogus", "-h"});  // options act before any operand is looked at
  EXPECT_EQ(p.error, DdParse::Error::kNone);
  EXPECT_TRUE(p.options.help);
}

DdOptions range_options(int64_t bs, std::optional<int64_t> count, std::optional<int64_t> skip) {
  DdOptions o;
  o.block_size = bs;
  o.count = count;
  o.skip = skip;
  return o;
}

TEST(DdRange, CountCapsTheSizeBeforeSkipIsTakenOff) {
  // qemu caps size to count * bs from the image's start, then skips: count=2 skip=1 copies one
  // block.
  DdRange r = dd_range(range_options(4096, 2, 1), 1 << 20);
  EXPECT_EQ(r.input_offset, 4096u);
  EXPECT_EQ(r.length, 4096u);
  EXPECT_FALSE(r.skip_past_end);
  r = dd_range(range_options(1000, std::nullopt, 1), 1 << 20);
  EXPECT_EQ(r.input_offset, 1000u);
  EXPECT_EQ(r.length, (1u << 20) - 1000u);
  r = dd_range(range_options(512, 0, std::nullopt), 1 << 20);
  EXPECT_EQ(r.length, 0u);
  // count * bs overflowing: no cap.
  r = dd_range(range_options(512, INT64_MAX, std::nullopt), 1 << 20);
  EXPECT_EQ(r.length, 1u << 20);
}

TEST(DdRange, SkippingPastTheEndCopiesNothing) {
  DdRange r = dd_range(range_options(512, std::nullopt, 5000), 1 << 20);
  EXPECT_TRUE(r.skip_past_end);
  EXPECT_EQ(r.length, 0u);
  EXPECT_EQ(r.input_offset, 1u << 20);
  r = dd_range(range_options(1024, std::nullopt, 1024), 1 << 20);  // exactly at the end
  EXPECT_FALSE(r.skip_past_end);
  EXPECT_EQ(r.length, 0u);
  r = dd_range(range_options(2, std::nullopt, INT64_MAX), 1 << 20);  // skip * bs overflows
  EXPECT_TRUE(r.skip_past_end);
  r = dd_range(range_options(4096, 1, 2), 1 << 20);  // past the count-capped size
  EXPECT_TRUE(r.skip_past_end);
  EXPECT_EQ(r.input_offset, 4096u);
}

}  // namespace
}  // namespace instar::cli
