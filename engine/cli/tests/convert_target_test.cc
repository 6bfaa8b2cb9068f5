// convert_target_test.cc: -O qcow2's -o handling and output bound, against what qemu-img 7.2
// printed (convert's errors, measure's fully allocated sizes).
#include "engine/cli/convert_target.h"

#include <gtest/gtest.h>

#include "guest/abi/abi.h"

namespace instar::cli {
namespace {

TEST(ConvertTargetTest, DefaultsAreQemuImgs) {
  const Qcow2TargetResult r = plan_qcow2_target("qemu-img", "out", "");
  ASSERT_TRUE(r.target);
  EXPECT_EQ(r.target->cluster_size, 65536u);
  EXPECT_EQ(r.target->refcount_bits, 16u);
  EXPECT_EQ(r.target->create_flags, 0u);
  EXPECT_EQ(r.target->compression_type, 0u);
}

TEST(ConvertTargetTest, PassesTheImplementedOptions) {
  const Qcow2TargetResult r = plan_qcow2_target(
      "qemu-img", "out",
      "cluster_size=128k,refcount_bits=64,compat=0.10,lazy_refcounts=on,extended_l2,"
      "compression_type=zstd,size=1G");
  ASSERT_TRUE(r.target) << r.error;
  EXPECT_EQ(r.target->cluster_size, 131072u);
  EXPECT_EQ(r.target->refcount_bits, 64u);
  EXPECT_EQ(r.target->create_flags,
            abi::kQcow2CompatV2 | abi::kQcow2LazyRefcounts | abi::kQcow2ExtendedL2);
  EXPECT_EQ(r.target->compression_type, 1u);
  // Values that do not fit the 32-bit fields stay invalid for the guest's create().
  const Qcow2TargetResult big =
      plan_qcow2_target("qemu-img", "out", "cluster_size=4294967808,refcount_bits=4294967312");
  ASSERT_TRUE(big.target);
  EXPECT_EQ(big.target->cluster_size, 0u);
  EXPECT_EQ(big.target->refcount_bits, UINT32_MAX);
}

TEST(ConvertTargetTest, ErrorsAreQemuImgs) {
  EXPECT_EQ(plan_qcow2_target("qemu-img", "out", "compat=0.5").error,
            "qemu-img: out: error while converting qcow2: Parameter 'version' does not accept "
            "value '0.5'\n");
  EXPECT_EQ(plan_qcow2_target("qemu-img", "out", "compression_type=foo").error,
            "qemu-img: out: error while converting qcow2: Parameter 'compression-type' does not "
            "accept value 'foo'\n");
  EXPECT_EQ(plan_qcow2_target("qemu-img", "out", "foo=bar").error,
            "qemu-img: Invalid parameter 'foo'\n");
  // The QAPI checks are qemu's create step: the parsed options come along.
  const Qcow2TargetResult fmt =
      plan_qcow2_target("qemu-img", "out", "backing_file=b,backing_fmt=qcowx");
  EXPECT_TRUE(fmt.at_create);
  ASSERT_TRUE(fmt.target);
  EXPECT_EQ(fmt.target->backing_file, "b");
  EXPECT_EQ(fmt.error,
            "qemu-img: out: error while converting qcow2: Parameter 'backing-fmt' does not "
            "accept value 'qcowx'\n");
  EXPECT_FALSE(plan_qcow2_target("qemu-img", "out", "foo=bar").at_create);
}

TEST(ConvertTargetTest, BackingFormatFromFReplacesTheOption) {
  // add_old_style_options(): -F is set after -o's backing_fmt, and qemu_opt_get() takes the last.
  const Qcow2TargetResult r =
      plan_qcow2_target("qemu-img", "out", "backing_file=b,backing_fmt=raw", "qcow2");
  ASSERT_TRUE(r.target) << r.error;
  EXPECT_EQ(r.target->backing_fmt, "qcow2");
  EXPECT_FALSE(plan_qcow2_target("qemu-img", "out", "", "vmdk").at_create);
  EXPECT_TRUE(plan_qcow2_target("qemu-img", "out", "", "nvme-io_uring").at_create);
}

TEST(ConvertTargetTest, RefusesWhatInstarDoesNotImplement) {
  for (const char* o :
       {"preallocation=falloc", "preallocation=full", "data_file=d", "encryption=on", "nocow=on"}) {
    const Qcow2TargetResult r = plan_qcow2_target("qemu-img", "out", o);
    EXPECT_FALSE(r.target) << o;
    EXPECT_NE(r.error.find("is not supported by instar yet"), std::string::npos) << r.error;
  }
}

TEST(ConvertTargetTest, BoundIsTheFullyAllocatedSize) {
  Qcow2Target t;
  // qemu-img measure -O qcow2 --size 1G: fully allocated size 1074135040.
  EXPECT_EQ(qcow2_output_bound(t, 1ull << 30, false), 1074135040u);
  // With -c, one more cluster for each metadata cluster and one.
  EXPECT_EQ(qcow2_output_bound(t, 1ull << 30, true),
            1074135040u + (1074135040u - (1ull << 30)) + 65536u);
  t.cluster_size = 16384;
  t.refcount_bits = 64;
  t.create_flags = abi::kQcow2ExtendedL2;
  // qemu-img measure -O qcow2 -o cluster_size=16k,refcount_bits=64,extended_l2=on --size 100M
  EXPECT_EQ(qcow2_output_bound(t, 100ull << 20, false), 105086976u);
  // Invalid options (refused by the guest's create()) and huge sizes still give a capacity.
  t.cluster_size = 0;
  EXPECT_GT(qcow2_output_bound(t, 1 << 20, false), 1u << 20);
  EXPECT_EQ(qcow2_output_bound(Qcow2Target{}, UINT64_MAX - 4096, true), uint64_t{INT64_MAX});
}

}  // namespace
}  // namespace instar::cli
