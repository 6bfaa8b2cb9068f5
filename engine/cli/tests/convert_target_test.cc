// convert_target_test.cc: -O qcow2's -o handling and output bound, against what qemu-img 7.2
// printed (convert's errors, measure's fully allocated sizes).
#include "engine/cli/convert_target.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

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
  for (const char* o : {"data_file=d", "data_file_raw=on", "encryption=on", "nocow=on"}) {
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

TEST(ConvertTargetTest, FallocAndFullAreLaidOutByTheGuest) {
  for (const char* mode : {"falloc", "full"}) {
    const Qcow2TargetResult r =
        plan_qcow2_target("qemu-img", "out", std::string("preallocation=") + mode);
    ASSERT_TRUE(r.target) << r.error;
    EXPECT_EQ(abi_code(r.target->preallocation), std::string(mode) == "falloc"
                                                     ? uint32_t{abi::kQcow2PreallocFalloc}
                                                     : uint32_t{abi::kQcow2PreallocFull});
  }
}

TEST(ConvertTargetTest, BoundLeavesRoomForTheRefcountArea) {
  // qemu-img create -f qcow2 -o preallocation=falloc x 0 is 262144 bytes long: the refcount
  // table moved behind the first three clusters (measure says 196608 fully allocated).
  Qcow2Target t;
  t.preallocation = Preallocation::kFalloc;
  EXPECT_GE(qcow2_output_bound(t, 0, false), 262144u);
  // ... and 1074135040 for 1G, which measure gives exactly.
  EXPECT_GE(qcow2_output_bound(t, 1ull << 30, false), 1074135040u);
}

class DataAreaTest : public testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/instar-data-area-XXXXXX";
    fd_ = mkstemp(name);
    ASSERT_GE(fd_, 0);
    unlink(name);
  }
  void TearDown() override { close(fd_); }
  uint64_t length() const {
    struct stat st;
    return fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
  uint64_t blocks() const {
    struct stat st;
    return fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_blocks) : 0;
  }
  int fd_ = -1;
};

TEST_F(DataAreaTest, FallocAllocatesTheRangeAndGrowsTheFile) {
  Qcow2Target t;
  t.preallocation = Preallocation::kFalloc;
  std::string error;
  ASSERT_TRUE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 65536, 1 << 20, &error)) << error;
  EXPECT_EQ(length(), 1u << 20);
  EXPECT_GE(blocks() * 512, (1u << 20) - 65536);
}

TEST_F(DataAreaTest, FullWritesZerosOnlyWhereTheGuestWroteNothing) {
  Qcow2Target t;
  t.preallocation = Preallocation::kFull;
  // The copy already wrote data into the area (and a table behind it).
  const std::string data(65536, 'x');
  ASSERT_EQ(pwrite(fd_, data.data(), data.size(), 131072), 65536);
  ASSERT_EQ(pwrite(fd_, data.data(), data.size(), 1 << 20), 65536);
  std::string error;
  ASSERT_TRUE(preallocate_qcow2_data_area(fd_, t, 2 << 20, 65536, 1 << 20, &error)) << error;
  EXPECT_EQ(length(), (1u << 20) + 65536);
  EXPECT_GE(blocks() * 512, (1u << 20));
  char byte = 0;
  ASSERT_EQ(pread(fd_, &byte, 1, 131072 + 100), 1);
  EXPECT_EQ(byte, 'x');
  ASSERT_EQ(pread(fd_, &byte, 1, 70000), 1);
  EXPECT_EQ(byte, 0);
}

TEST_F(DataAreaTest, RangesTheGuestMayNotAskForAreRefused) {
  Qcow2Target t;
  std::string error;
  // Nothing to do: no range.
  EXPECT_TRUE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 0, 0, &error));
  // A range for a target that is not falloc or full.
  EXPECT_FALSE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 0, 4096, &error));
  t.preallocation = Preallocation::kMetadata;
  EXPECT_FALSE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 0, 4096, &error));
  // Beyond the output device, or backwards.
  t.preallocation = Preallocation::kFull;
  EXPECT_FALSE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 0, (1 << 20) + 1, &error));
  EXPECT_FALSE(preallocate_qcow2_data_area(fd_, t, 1 << 20, 8192, 4096, &error));
  EXPECT_NE(error.find("outside its output"), std::string::npos);
  EXPECT_EQ(length(), 0u);
}

}  // namespace
}  // namespace instar::cli
