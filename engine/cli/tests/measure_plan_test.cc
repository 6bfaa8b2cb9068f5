// measure_plan_test.cc: measure's option parsing (sizes, -o lists, qcow2 checks) and figures,
// against what qemu-img 7.2 printed for the same command lines.
#include "engine/cli/measure_plan.h"

#include <gtest/gtest.h>

#include "engine/cli/creation_options.h"
#include "engine/cli/size_suffix.h"

namespace instar::cli {
namespace {

TEST(SizeSuffixTest, ParsesLikeQemuStrtosz) {
  uint64_t v = 0;
  EXPECT_EQ(parse_size("16M", &v), SizeParse::kOk);
  EXPECT_EQ(v, 16u << 20);
  EXPECT_EQ(parse_size("1.5k", &v), SizeParse::kOk);
  EXPECT_EQ(v, 1536u);
  EXPECT_EQ(parse_size("1.k", &v), SizeParse::kOk);
  EXPECT_EQ(v, 1024u);
  EXPECT_EQ(parse_size("0x1000", &v), SizeParse::kOk);
  EXPECT_EQ(v, 4096u);
  EXPECT_EQ(parse_size("1.5", &v), SizeParse::kInvalid);  // a fraction needs a suffix
  EXPECT_EQ(parse_size("1e3", &v), SizeParse::kInvalid);
  EXPECT_EQ(parse_size("-1", &v), SizeParse::kInvalid);
  EXPECT_EQ(parse_size("", &v), SizeParse::kInvalid);
  EXPECT_EQ(parse_size("16E", &v), SizeParse::kOutOfRange);
  EXPECT_EQ(parse_size("99999999999999999999", &v), SizeParse::kOutOfRange);
  EXPECT_EQ(parse_size("99999999999999999999k", &v), SizeParse::kInvalid);
  EXPECT_EQ(parse_size("15.5E", &v), SizeParse::kOk);
  EXPECT_EQ(v, 0xF800000000000000ull);
}

// qemu 7.2 accepts a multiplier on a hex number with a deprecation warning (measured:
// `measure --size 0x1k`, `-o cluster_size=0x10k`); the warning travels with the value.
TEST(SizeSuffixTest, HexWithSuffixIsAcceptedWithAWarning) {
  uint64_t v = 0;
  bool hex_with_suffix = false;
  EXPECT_EQ(parse_size("0x10k", &v, &hex_with_suffix), SizeParse::kOk);
  EXPECT_EQ(v, 16384u);  // 0x10 KiB
  EXPECT_TRUE(hex_with_suffix);
  EXPECT_EQ(parse_size("0x1000", &v, &hex_with_suffix), SizeParse::kOk);
  EXPECT_FALSE(hex_with_suffix);
  CreationOptions opts;
  ASSERT_FALSE(parse_creation_options("cluster_size=0x10k", qcow2_creation_options(), &opts));
  ASSERT_EQ(opts.warnings().size(), 1u);
  EXPECT_EQ(opts.warnings()[0],
            "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k");
}

TEST(CreationOptionsTest, ParsesLikeQemuOpts) {
  EXPECT_FALSE(is_valid_option_list(""));
  EXPECT_FALSE(is_valid_option_list(","));
  EXPECT_FALSE(is_valid_option_list("a,"));
  EXPECT_TRUE(is_valid_option_list("a,,"));
  CreationOptions opts;
  EXPECT_FALSE(
      parse_creation_options("cluster_size=64k,cluster_size=4k,noextended_l2,id=x,"
                             "backing_file=a,,b",
                             qcow2_creation_options(), &opts));
  EXPECT_EQ(opts.find("cluster_size")->number, 4096u);
  EXPECT_FALSE(opts.find("extended_l2")->flag);
  EXPECT_EQ(opts.find("backing_file")->text, "a,b");
  EXPECT_EQ(opts.find("id"), nullptr);
  CreationOptions bad;
  EXPECT_EQ(parse_creation_options("help", qcow2_creation_options(), &bad)->message,
            "Invalid parameter 'help'");
  EXPECT_EQ(parse_creation_options("extended_l2=1", qcow2_creation_options(), &bad)->message,
            "Parameter 'extended_l2' expects 'on' or 'off'");
  EXPECT_EQ(parse_creation_options("cluster_size=4k", raw_creation_options(), &bad)->message,
            "Invalid parameter 'cluster_size'");
}

TEST(MeasurePlanTest, ErrorsInQemuOrder) {
  const auto error = [](const std::string& fmt, const std::string& options) {
    return plan_measure("qemu-img", fmt, options, 1).error;
  };
  EXPECT_EQ(error("vmdk", ""), "qemu-img: Block driver 'vmdk' does not support size measurement\n");
  EXPECT_EQ(error("foo", ""), "qemu-img: Unknown file format 'foo'\n");
  EXPECT_EQ(error("qcow2", "cluster_size=3,compat=9"),
            "qemu-img: Cluster size must be a power of two between 512 and 2048k\n");
  EXPECT_EQ(error("qcow2", "compat=9,refcount_bits=3"),
            "qemu-img: Invalid compatibility level: '9'\n");
  EXPECT_EQ(error("qcow2", "extended_l2=on,cluster_size=4k,compat=9"),
            "qemu-img: Extended L2 entries are only supported with cluster sizes of at least "
            "16384 bytes\n");
  EXPECT_EQ(error("qcow2", "encrypt.format=luks,size=1P"),
            "qemu-img: Parameter 'encrypt.key-secret' is required for cipher\n");
  EXPECT_EQ(error("qcow2", "foo=1"),
            "qemu-img: Invalid parameter 'foo'\nqemu-img: Invalid options for file format "
            "'qcow2'\n");
}

TEST(MeasurePlanTest, Figures) {
  // -O qcow2 --size 16M: 327680 / 17104896; a source of 4 MiB with 2 data clusters: 458752.
  const MeasurePlan plan = *plan_measure("p", "qcow2", "", 16u << 20).plan;
  MeasureFigures f = compute_measure(plan, std::nullopt);
  EXPECT_EQ(f.required, 327680u);
  EXPECT_EQ(f.fully_allocated, 17104896u);
  EXPECT_FALSE(f.bitmaps);
  const MeasurePlan from_file = *plan_measure("p", "qcow2", "", std::nullopt).plan;
  MeasureInput input;
  input.length = 4u << 20;
  input.data_bytes = 2 * 65536;
  input.supports_bitmaps = true;
  f = compute_measure(from_file, input);
  EXPECT_EQ(f.required, 458752u);
  EXPECT_EQ(f.fully_allocated, 4521984u);
  EXPECT_EQ(f.bitmaps, 0u);
  // raw: the sector-rounded size.
  f = compute_measure(*plan_measure("p", "raw", "", 1000).plan, std::nullopt);
  EXPECT_EQ(f.required, 1024u);
}

}  // namespace
}  // namespace instar::cli
