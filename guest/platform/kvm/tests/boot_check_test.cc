// boot_check_test.cc: the KVM guest refuses every malformed or inconsistent BootInfo.
#include "guest/platform/kvm/boot_check.h"

#include <gtest/gtest.h>

namespace instar::kvm {
namespace {

constexpr uint64_t kMemory = 64ull << 20;
constexpr uint64_t kImageEnd = 0x200000;

abi::BootInfo valid_boot() {
  abi::BootInfo boot{};
  boot.magic = abi::kBootInfoMagic;
  boot.abi_version = abi::kAbiVersion;
  boot.size = sizeof(abi::BootInfo);
  boot.device_count = 2;
  boot.memory_size = kMemory;
  boot.arena_gpa = kImageEnd;
  boot.arena_size = kMemory - abi::kGuestStackSize - kImageEnd;
  boot.op_config_gpa = abi::kOpConfigGpa;
  boot.op_config_size = sizeof(abi::OpConfig);
  boot.max_message_size = 1 << 20;
  boot.max_read_size = 1 << 20;
  boot.devices[0] = {4096, abi::kDeviceReadable, 0};
  boot.devices[1] = {8192, abi::kDeviceReadable | abi::kDeviceWritable, 0};
  return boot;
}

constexpr GuestLayout kLayout{kImageEnd, kMemory - 64};

BootCheck check(const abi::BootInfo& boot, const GuestLayout& layout = kLayout) {
  return check_boot_info(boot, abi::kBootInfoGpa, layout);
}

TEST(BootCheck, AcceptsAConsistentBootInfo) {
  EXPECT_EQ(check(valid_boot()), BootCheck::kOk);
}

TEST(BootCheck, RefusesAnotherAddress) {
  EXPECT_EQ(check_boot_info(valid_boot(), abi::kBootInfoGpa + 8, kLayout), BootCheck::kBadGpa);
}

TEST(BootCheck, RefusesWrongMagicVersionOrSize) {
  abi::BootInfo boot = valid_boot();
  boot.magic ^= 1;
  EXPECT_EQ(check(boot), BootCheck::kBadMagic);
  boot = valid_boot();
  boot.abi_version = abi::kAbiVersion + 1;
  EXPECT_EQ(check(boot), BootCheck::kBadVersion);
  boot = valid_boot();
  boot.size = sizeof(abi::BootInfo) - 16;
  EXPECT_EQ(check(boot), BootCheck::kBadSize);
  boot.size = abi::kPageSize + 1;
  EXPECT_EQ(check(boot), BootCheck::kBadSize);
  boot.size = abi::kPageSize;  // a newer host's longer BootInfo is fine
  EXPECT_EQ(check(boot), BootCheck::kOk);
}

TEST(BootCheck, RefusesTooManyDevicesOrUnknownFlags) {
  abi::BootInfo boot = valid_boot();
  boot.device_count = abi::kMaxDevices + 1;
  EXPECT_EQ(check(boot), BootCheck::kBadDeviceCount);
  boot = valid_boot();
  boot.devices[1].flags |= 1u << 7;
  EXPECT_EQ(check(boot), BootCheck::kBadDevice);
  boot = valid_boot();
  boot.devices[0].reserved = 1;
  EXPECT_EQ(check(boot), BootCheck::kBadDevice);
  boot = valid_boot();
  boot.devices[5].flags = 0xffffffff;  // beyond device_count: never looked at
  EXPECT_EQ(check(boot), BootCheck::kOk);
}

TEST(BootCheck, RefusesMemorySizesOutsideTheAbi) {
  abi::BootInfo boot = valid_boot();
  boot.memory_size = abi::kMinGuestMemory - abi::kPageSize;
  EXPECT_EQ(check(boot), BootCheck::kBadMemorySize);
  boot.memory_size = abi::kMaxGuestMemory + abi::kPageSize;
  EXPECT_EQ(check(boot), BootCheck::kBadMemorySize);
  boot.memory_size = kMemory + 1;
  EXPECT_EQ(check(boot), BootCheck::kBadMemorySize);
}

TEST(BootCheck, RefusesAStackOutsideTheTopOfMemory) {
  EXPECT_EQ(check(valid_boot(), {kImageEnd, kMemory}), BootCheck::kBadStack);
  EXPECT_EQ(check(valid_boot(), {kImageEnd, kMemory - abi::kGuestStackSize - 1}),
            BootCheck::kBadStack);
  EXPECT_EQ(check(valid_boot(), {kImageEnd, kMemory - abi::kGuestStackSize}), BootCheck::kOk);
}

TEST(BootCheck, RefusesAnArenaOverlappingImageOrStackOrWrapping) {
  abi::BootInfo boot = valid_boot();
  boot.arena_gpa = kImageEnd - abi::kPageSize;
  EXPECT_EQ(check(boot), BootCheck::kBadArena);
  boot = valid_boot();
  boot.arena_size += 1;
  EXPECT_EQ(check(boot), BootCheck::kBadArena);
  boot = valid_boot();
  boot.arena_size = UINT64_MAX - boot.arena_gpa + 2;
  EXPECT_EQ(check(boot), BootCheck::kBadArena);
  boot = valid_boot();
  boot.arena_size = 0;
  EXPECT_EQ(check(boot), BootCheck::kBadArena);
  // An image so large it reaches into the stack leaves no room for any arena.
  EXPECT_EQ(check(valid_boot(), {kMemory - abi::kGuestStackSize / 2, kMemory - 64}),
            BootCheck::kBadArena);
}

TEST(BootCheck, RefusesAnOpConfigOutsideTheReadOnlyWindow) {
  abi::BootInfo boot = valid_boot();
  boot.op_config_gpa = abi::kBootInfoGpa;
  EXPECT_EQ(check(boot), BootCheck::kBadOpConfig);
  boot = valid_boot();
  boot.op_config_gpa = abi::kReadOnlyEnd - sizeof(abi::OpConfig) + 4;
  EXPECT_EQ(check(boot), BootCheck::kBadOpConfig);
  boot = valid_boot();
  boot.op_config_gpa = abi::kOpConfigGpa + 2;
  EXPECT_EQ(check(boot), BootCheck::kBadOpConfig);
  boot = valid_boot();
  boot.op_config_size = sizeof(abi::OpConfig) - 1;
  EXPECT_EQ(check(boot), BootCheck::kBadOpConfig);
  boot = valid_boot();
  boot.op_config_size = UINT64_MAX;
  EXPECT_EQ(check(boot), BootCheck::kBadOpConfig);
  boot = valid_boot();
  boot.op_config_gpa = abi::kReadOnlyEnd - sizeof(abi::OpConfig);
  EXPECT_EQ(check(boot), BootCheck::kOk);
}

TEST(BootCheck, RefusesZeroLimits) {
  abi::BootInfo boot = valid_boot();
  boot.max_message_size = 0;
  EXPECT_EQ(check(boot), BootCheck::kBadLimits);
  boot = valid_boot();
  boot.max_read_size = 0;
  EXPECT_EQ(check(boot), BootCheck::kBadLimits);
}

}  // namespace
}  // namespace instar::kvm
