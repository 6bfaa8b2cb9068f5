// option_table_test.cc: the shared option scanner keeps getopt_long's and qemu-img's semantics.
#include "engine/cli/option_table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace instar::cli {
namespace {

constexpr int kOptionOutput = kLongOnlyOption;
constexpr OptionSpec kTable[] = {
    {'h', "help", false},
    {'f', "format", true},
    {'q', nullptr, false},
    {kOptionOutput, "output", true},
};

// Owns a mutable argv for getopt (which permutes it) and records what the scan saw.
struct Scan {
  explicit Scan(std::vector<std::string> args, int stop_at = 0) : storage(std::move(args)) {
    for (std::string& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    result = scan_options(static_cast<int>(storage.size()), pointers.data(), kTable,
                          [&](int id, const char* value) {
                            seen.emplace_back(id, value != nullptr ? value : "");
                            return id != stop_at;
                          });
  }
  std::vector<std::string> operands() const {
    return {pointers.begin() + result.first_operand, pointers.end() - 1};
  }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  std::vector<std::pair<int, std::string>> seen;
  OptionScan result;
};

using Seen = std::vector<std::pair<int, std::string>>;

TEST(OptionTable, OptionsAfterOperandsArePermutedAsGetoptLongDoes) {
  Scan s({"check", "a.qcow2", "-q", "--output=json", "-f", "qcow2"});
  ASSERT_TRUE(s.result.ok) << s.result.usage_error;
  EXPECT_EQ(s.seen, (Seen{{'q', ""}, {kOptionOutput, "json"}, {'f', "qcow2"}}));
  EXPECT_EQ(s.operands(), (std::vector<std::string>{"a.qcow2"}));
}

TEST(OptionTable, LongNamesMayBeAbbreviatedAndShortOnesClustered) {
  Scan s({"info", "--form", "raw", "--out", "human", "-qf", "qcow2", "x"});
  ASSERT_TRUE(s.result.ok) << s.result.usage_error;
  EXPECT_EQ(s.seen, (Seen{{'f', "raw"}, {kOptionOutput, "human"}, {'q', ""}, {'f', "qcow2"}}));
}

TEST(OptionTable, DoubleDashEndsTheOptions) {
  Scan s({"info", "--", "-q"});
  ASSERT_TRUE(s.result.ok);
  EXPECT_TRUE(s.seen.empty());
  EXPECT_EQ(s.operands(), (std::vector<std::string>{"-q"}));
}

TEST(OptionTable, ErrorsAreWordedAsQemuImgWordsThem) {
  EXPECT_EQ(Scan({"info", "x", "-f"}).result.usage_error, "missing argument for option '-f'");
  EXPECT_EQ(Scan({"info", "--output"}).result.usage_error,
            "missing argument for option '--output'");
  EXPECT_EQ(Scan({"info", "-z", "x"}).result.usage_error, "unrecognized option '-z'");
  EXPECT_EQ(Scan({"info", "--bogus", "x"}).result.usage_error, "unrecognized option '--bogus'");
  // A short-only option has no long form to abbreviate to.
  EXPECT_EQ(Scan({"info", "--q", "x"}).result.usage_error, "unrecognized option '--q'");
}

TEST(OptionTable, TheCallbackStopsTheScanWithoutAnError) {
  Scan s({"info", "-q", "-h", "-f", "raw", "x"}, 'h');
  EXPECT_FALSE(s.result.ok);
  EXPECT_TRUE(s.result.usage_error.empty());
  EXPECT_EQ(s.seen, (Seen{{'q', ""}, {'h', ""}}));
}

TEST(OptionTable, EachScanStartsAfresh) {
  Scan first({"info", "-q", "x"});
  Scan second({"check", "-f", "raw", "y"});
  EXPECT_EQ(second.seen, (Seen{{'f', "raw"}}));
  EXPECT_EQ(second.operands(), (std::vector<std::string>{"y"}));
}

}  // namespace
}  // namespace instar::cli
