// size_argument_test.cc: qemu-img 7.2's cvtnum() values and messages (observed with
// `qemu-img map --start-offset=...`).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/cli/size_argument.h"

namespace instar::cli {
namespace {

const std::vector<std::string> kSuffixHelp = {
    "Invalid start offset specified. You may use k, M, G, T, P or E suffixes for",
    "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes."};
const std::vector<std::string> kRange = {
    "Invalid start offset specified. Must be between 0 and 9223372036854775807."};

int64_t value(const std::string& text) {
  const SizeArgument a = parse_size_argument("start offset", text);
  EXPECT_TRUE(a.value.has_value()) << text;
  return a.value.value_or(-1);
}

TEST(SizeArgument, AcceptsQemuSizes) {
  EXPECT_EQ(value("0"), 0);
  EXPECT_EQ(value("4096"), 4096);
  EXPECT_EQ(value("1k"), 1024);
  EXPECT_EQ(value("1M"), 1 << 20);
  EXPECT_EQ(value("2g"), 2ll << 30);
  EXPECT_EQ(value("1.5k"), 1536);
  EXPECT_EQ(value("1.k"), 1024);
  EXPECT_EQ(value("0.5M"), 512 << 10);
  EXPECT_EQ(value("0x10"), 16);
  EXPECT_EQ(value("1."), 1);
  EXPECT_EQ(value("100b"), 100);
  EXPECT_EQ(value("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(value("7E"), 7ll << 60);
}

TEST(SizeArgument, HexWithASuffixIsAcceptedWithAWarning) {
  const SizeArgument a = parse_size_argument("start offset", "0x1k");
  EXPECT_EQ(a.value, 1024);
  EXPECT_TRUE(a.warning);
  EXPECT_EQ(a.lines, std::vector<std::string>{
                         "warning: Using a multiplier suffix on hex numbers is deprecated: 0x1k"});
}

TEST(SizeArgument, RefusesWhatCvtnumRefuses) {
  for (const char* bad :
       {"", "-1", "1x", "1e3", "1.5", "x", "1k2", "0x", "1.5e3k", "0x1.5", " -0"}) {
    const SizeArgument a = parse_size_argument("start offset", bad);
    EXPECT_FALSE(a.value.has_value()) << bad;
    EXPECT_EQ(a.lines, kSuffixHelp) << bad;
  }
  for (const char* big : {"9223372036854775808", "99999999999999999999", "16E", "8E"}) {
    const SizeArgument a = parse_size_argument("start offset", big);
    EXPECT_FALSE(a.value.has_value()) << big;
    EXPECT_EQ(a.lines, kRange) << big;
  }
}

}  // namespace
}  // namespace instar::cli
