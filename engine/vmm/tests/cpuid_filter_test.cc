// cpuid_filter_test.cc: the guest's CPUID table from a synthetic host table, without KVM.
#include "engine/vmm/cpuid_filter.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace instar::vmm {
namespace {

kvm_cpuid_entry2 entry(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx,
                       uint32_t edx) {
  kvm_cpuid_entry2 e{};
  e.function = function;
  e.index = index;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return e;
}

// A host that offers everything: every bit set, the usual leaves, KVM's hypervisor leaves.
std::vector<kvm_cpuid_entry2> generous_host() {
  constexpr uint32_t kAll = 0xffffffff;
  return {
      entry(0x0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69),  // "GenuineIntel", max 0x1f
      entry(0x1, 0, 0x000906ea, kAll, kAll, kAll),
      entry(0x2, 0, kAll, kAll, kAll, kAll),
      entry(0x4, 0, kAll, kAll, kAll, kAll),
      entry(0x7, 0, 2, kAll, kAll, kAll),
      entry(0x7, 1, kAll, kAll, kAll, kAll),
      entry(0xb, 0, kAll, kAll, kAll, kAll),
      entry(0xd, 0, kAll, kAll, kAll, kAll),
      entry(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),  // "KVMKVMKVM"
      entry(0x40000001, 0, kAll, kAll, kAll, kAll),
      entry(0x80000000, 0, 0x80000021, kAll, kAll, kAll),
      entry(0x80000001, 0, kAll, kAll, kAll, kAll),
      entry(0x80000002, 0, kAll, kAll, kAll, kAll),  // brand string
      entry(0x80000008, 0, 0x00003030, kAll, kAll, kAll),
      entry(0x8000001f, 0, kAll, kAll, kAll, kAll),
  };
}

std::optional<kvm_cpuid_entry2> find(const std::vector<kvm_cpuid_entry2>& table, uint32_t function,
                                     uint32_t index = 0) {
  for (const auto& e : table) {
    if (e.function == function && e.index == index) return e;
  }
  return std::nullopt;
}

TEST(CpuidFilter, KeepsOnlyTheAllowListedLeaves) {
  const auto table = filter_cpuid(generous_host());
  std::vector<uint32_t> functions;
  for (const auto& e : table) functions.push_back(e.function);
  EXPECT_EQ(functions, (std::vector<uint32_t>{0x0, 0x1, 0x7, 0x80000000, 0x80000001, 0x80000008}));
}

TEST(CpuidFilter, HidesTheHypervisor) {
  const auto table = filter_cpuid(generous_host());
  for (const auto& e : table) {
    EXPECT_FALSE(e.function >= 0x40000000 && e.function <= 0x4fffffff) << std::hex << e.function;
  }
  EXPECT_EQ(find(table, 0x1)->ecx & (1u << 31), 0u) << "leaf 1's hypervisor-present bit";
}

TEST(CpuidFilter, LeafZeroCapsTheBasicRangeAndKeepsTheVendor) {
  const auto leaf0 = find(filter_cpuid(generous_host()), 0x0);
  ASSERT_TRUE(leaf0);
  EXPECT_EQ(leaf0->eax, 0x7u);
  EXPECT_EQ(leaf0->ebx, 0x756e6547u);
  EXPECT_EQ(leaf0->edx, 0x49656e69u);
  EXPECT_EQ(leaf0->ecx, 0x6c65746eu);
}

TEST(CpuidFilter, LeafOneKeepsTheBaselineAndRdrandOnly) {
  const auto leaf1 = find(filter_cpuid(generous_host()), 0x1);
  ASSERT_TRUE(leaf1);
  EXPECT_EQ(leaf1->eax, 0x000906eau) << "family/model/stepping";
  EXPECT_EQ(leaf1->ebx, 0xff00u) << "no APIC id, no logical processor count";
  EXPECT_EQ(leaf1->ecx, 1u << 30) << "RDRAND only: no XSAVE/OSXSAVE/AVX, no x2APIC";
  EXPECT_EQ(leaf1->edx, kLeaf1EdxBaseline);
  EXPECT_NE(leaf1->edx & (1u << 25), 0u) << "SSE";
  EXPECT_NE(leaf1->edx & (1u << 26), 0u) << "SSE2";
}

TEST(CpuidFilter, LeafSevenKeepsBmiForZstdOnly) {
  const auto table = filter_cpuid(generous_host());
  const auto leaf7 = find(table, 0x7, 0);
  ASSERT_TRUE(leaf7);
  EXPECT_EQ(leaf7->eax, 0u) << "no subleaves";
  EXPECT_EQ(leaf7->ebx, (1u << 3) | (1u << 8));
  EXPECT_EQ(leaf7->ecx, 0u);
  EXPECT_EQ(leaf7->edx, 0u) << "no speculation-control or arch-capabilities bits";
  EXPECT_FALSE(find(table, 0x7, 1));
}

TEST(CpuidFilter, ExtendedLeavesKeepLongModeNxAndAddressWidths) {
  const auto table = filter_cpuid(generous_host());
  EXPECT_EQ(find(table, 0x80000000)->eax, 0x80000008u);
  EXPECT_EQ(find(table, 0x80000000)->ebx, 0u);
  const auto ext1 = find(table, 0x80000001);
  EXPECT_EQ(ext1->edx, (1u << 20) | (1u << 29)) << "NX and LM, not SYSCALL or RDTSCP";
  EXPECT_EQ(ext1->ecx, 1u);
  const auto ext8 = find(table, 0x80000008);
  EXPECT_EQ(ext8->eax, 0x3030u);
  EXPECT_EQ(ext8->ecx, 0u) << "no core count";
}

TEST(CpuidFilter, NeverAddsWhatTheHostLacks) {
  const std::vector<kvm_cpuid_entry2> bare = {entry(0x0, 0, 0x1, 1, 2, 3),
                                              entry(0x1, 0, 0x600, 0, 0, 0)};
  const auto table = filter_cpuid(bare);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].eax, 0x1u) << "a lower maximum stays";
  EXPECT_EQ(table[1].ecx, 0u);
  EXPECT_EQ(table[1].edx, 0u);
}

}  // namespace
}  // namespace instar::vmm
