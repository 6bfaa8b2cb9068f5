// amend_plan_test.cc: img_amend's -o parse and qcow2_amend_options()'s option loop: qemu 7.2's
// messages (checked against qemu-img 7.2 by oracle/tests/test_amend.py), their order, and the
// flags the guest gets.
#include "engine/cli/amend_plan.h"

#include <gtest/gtest.h>

#include "guest/abi/abi.h"

namespace instar::cli {
namespace {

std::string error_of(const std::string& options) {
  const AmendPlanResult r = plan_qcow2_amend(options);
  return r.error ? r.error->message + "|" + r.error->hint : "";
}

TEST(AmendPlan, CompatLevels) {
  EXPECT_EQ(plan_qcow2_amend("compat=0.10").plan.version, 2u);
  EXPECT_EQ(plan_qcow2_amend("compat=v2").plan.version, 2u);
  EXPECT_EQ(plan_qcow2_amend("compat=1.1").plan.version, 3u);
  EXPECT_EQ(plan_qcow2_amend("compat=v3").plan.version, 3u);
  EXPECT_EQ(plan_qcow2_amend("compat=0.10,compat=1.1").plan.version, 3u);  // the last wins
  EXPECT_EQ(error_of("compat=2"), "Unknown compatibility level 2|");
  EXPECT_EQ(error_of("compat="), "Unknown compatibility level |");
  EXPECT_TRUE(plan_qcow2_amend("compat=2").error_in_amend);         // after the 0% progress
  EXPECT_FALSE(plan_qcow2_amend("compat=foo,x=1").error_in_amend);  // the parse's, before it
}

TEST(AmendPlan, CreationOnlyOptionsGetTheHint) {
  EXPECT_EQ(error_of("cluster_size=4k"),
            "Invalid parameter 'cluster_size'|This option is only supported for image creation\n");
  EXPECT_EQ(error_of("encrypt.key-secret=x"),
            "Invalid parameter 'encrypt.key-secret'|This option is only supported for image "
            "creation\n");
  // The retry fails too (a bad value, an unknown option): no hint.
  EXPECT_EQ(error_of("cluster_size=foo"), "Invalid parameter 'cluster_size'|");
  EXPECT_EQ(error_of("cluster_size=4k,foo=1"), "Invalid parameter 'cluster_size'|");
  EXPECT_EQ(error_of("nocow=on"), "Invalid parameter 'nocow'|");
}

TEST(AmendPlan, TheLoopRunsInTheListOrder) {
  EXPECT_EQ(error_of("compat=foo,encrypt.keyslot=1"),
            "Can't amend encryption options - encryption not present|");
  EXPECT_EQ(error_of("compat=foo,refcount_bits=3"), "Unknown compatibility level foo|");
  EXPECT_EQ(error_of("refcount_bits=3,data_file=x"),
            "data-file can only be set for images that use an external data file|");
  EXPECT_EQ(error_of("data_file_raw=on,compat=foo"), "Unknown compatibility level foo|");
  EXPECT_EQ(error_of("data_file_raw=on"), "data-file-raw cannot be set on existing images|");
  EXPECT_EQ(error_of("data_file_raw=off"), "");
  EXPECT_EQ(error_of("refcount_bits=0"),
            "Refcount width must be a power of two and may not exceed 64 bits|");
  EXPECT_EQ(error_of("refcount_bits=128"),
            "Refcount width must be a power of two and may not exceed 64 bits|");
  EXPECT_EQ(error_of("lazy_refcounts=foo"), "Parameter 'lazy_refcounts' expects 'on' or 'off'|");
}

TEST(AmendPlan, FlagsForTheGuest) {
  const AmendPlan p =
      plan_qcow2_amend("lazy_refcounts,refcount_bits=8,backing_file=b,backing_fmt=raw,size=1M")
          .plan;
  EXPECT_EQ(p.flags, abi::kAmendLazyGiven | abi::kAmendLazyOn | abi::kAmendRefcountBits |
                         abi::kAmendBackingFile | abi::kAmendBackingFmt | abi::kAmendSize);
  EXPECT_EQ(p.refcount_bits, 8u);
  EXPECT_EQ(p.backing_file, "b");
  EXPECT_EQ(p.backing_fmt, "raw");
  EXPECT_EQ(p.size, 1u << 20);
  EXPECT_EQ(plan_qcow2_amend("nolazy_refcounts").plan.flags, abi::kAmendLazyGiven);
}

}  // namespace
}  // namespace instar::cli
