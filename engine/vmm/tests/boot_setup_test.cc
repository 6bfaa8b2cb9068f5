// boot_setup_test.cc: arena/stack placement and the BootInfo/OpConfig the host writes.
#include "engine/vmm/boot_setup.h"

#include <gtest/gtest.h>

namespace instar::vmm {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

TEST(BootSetupTest, ArenaFollowsTheImageAndStackTakesTheTop) {
  auto layout = plan_layout(64 * kMiB, 0x123456, 32 * kMiB);
  ASSERT_TRUE(layout.ok()) << layout.message();
  EXPECT_EQ(layout.value().arena_gpa, 0x124000u) << "page-aligned image end";
  EXPECT_EQ(layout.value().arena_size, 32 * kMiB);
  EXPECT_EQ(layout.value().stack_top, 64 * kMiB);
  EXPECT_EQ(layout.value().stack_base, 64 * kMiB - abi::kGuestStackSize);
}

TEST(BootSetupTest, RefusesLayoutsThatDoNotFit) {
  EXPECT_FALSE(plan_layout(64 * kMiB, 0x200000, 62 * kMiB).ok()) << "arena into the stack";
  EXPECT_FALSE(plan_layout(64 * kMiB, 0x200000, 0).ok()) << "empty arena";
  EXPECT_FALSE(plan_layout(64 * kMiB, ~0ull - 8, kMiB).ok()) << "image end overflows";
  EXPECT_FALSE(plan_layout(64 * kMiB, 0x200000, ~0ull).ok()) << "arena end overflows";
  EXPECT_FALSE(plan_layout(65 * kMiB, 0x200000, kMiB).ok()) << "not a multiple of 2 MiB";
  EXPECT_TRUE(plan_layout(64 * kMiB, 0x200000, 64 * kMiB - 0x200000 - abi::kGuestStackSize).ok())
      << "exactly fits";
}

TEST(BootSetupTest, WritesBootInfoAndOpConfig) {
  auto memory = GuestMemory::create(64 * kMiB);
  ASSERT_TRUE(memory.ok());
  auto layout = plan_layout(64 * kMiB, 0x200000, 16 * kMiB);
  ASSERT_TRUE(layout.ok());
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.test_arg = 9;
  request.devices = {{.fd = 5, .capacity = 1000, .writable = false},
                     {.fd = 6, .capacity = 2000, .writable = true}};
  ASSERT_TRUE(write_boot_state(memory.value(), layout.value(), request).ok());
  const auto* boot = memory.value().view<abi::BootInfo>(abi::kBootInfoGpa, Access::kGuestRead);
  ASSERT_NE(boot, nullptr);
  EXPECT_EQ(boot->magic, abi::kBootInfoMagic);
  EXPECT_EQ(boot->abi_version, abi::kAbiVersion);
  EXPECT_EQ(boot->size, sizeof(abi::BootInfo));
  EXPECT_EQ(boot->device_count, 2u);
  EXPECT_EQ(boot->host_features, abi::kHostFeatureBatchedRead);
  EXPECT_EQ(boot->memory_size, 64 * kMiB);
  EXPECT_EQ(boot->arena_gpa, 0x200000u);
  EXPECT_EQ(boot->arena_size, 16 * kMiB);
  EXPECT_EQ(boot->op_config_gpa, abi::kOpConfigGpa);
  EXPECT_EQ(boot->op_config_size, sizeof(abi::OpConfig));
  EXPECT_EQ(boot->max_message_size, request.limits.max_message_bytes);
  EXPECT_EQ(boot->max_read_size, request.limits.max_read_bytes);
  EXPECT_EQ(boot->devices[0].capacity, 1000u);
  EXPECT_EQ(boot->devices[0].flags, abi::kDeviceReadable);
  EXPECT_EQ(boot->devices[1].flags, abi::kDeviceReadable | abi::kDeviceWritable);
  EXPECT_EQ(boot->devices[2].capacity, 0u);
  const auto* op = memory.value().view<abi::OpConfig>(abi::kOpConfigGpa, Access::kGuestRead);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->op, static_cast<uint32_t>(abi::Op::kInfo));
  EXPECT_EQ(op->test_arg, 9u);
}

TEST(BootSetupTest, RefusesTooManyDevices) {
  auto memory = GuestMemory::create(4 * kMiB);
  ASSERT_TRUE(memory.ok());
  auto layout = plan_layout(4 * kMiB, 0x101000, kMiB);
  ASSERT_TRUE(layout.ok());
  sandbox::Request request;
  request.devices.resize(abi::kMaxDevices + 1);
  EXPECT_FALSE(write_boot_state(memory.value(), layout.value(), request).ok());
}

}  // namespace
}  // namespace instar::vmm
