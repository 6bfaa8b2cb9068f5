// segments_test.cc: the GDT bytes and KVM's segment registers describe the same segments.
#include "engine/vmm/segments.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace instar::vmm {
namespace {

uint64_t descriptor_at(const std::vector<uint8_t>& low, uint16_t selector) {
  uint64_t d = 0;
  std::memcpy(&d, low.data() + abi::kGdtGpa + selector, 8);
  return d;
}

// Decodes a descriptor the way the CPU loads it into a hidden segment register.
kvm_segment decode(uint64_t d, uint16_t selector) {
  kvm_segment k{};
  k.selector = selector;
  k.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
  const uint32_t raw_limit = static_cast<uint32_t>((d & 0xffff) | (((d >> 48) & 0xf) << 16));
  k.type = (d >> 40) & 0xf;
  k.s = (d >> 44) & 1;
  k.dpl = (d >> 45) & 3;
  k.present = (d >> 47) & 1;
  k.avl = (d >> 52) & 1;
  k.l = (d >> 53) & 1;
  k.db = (d >> 54) & 1;
  k.g = (d >> 55) & 1;
  k.limit = k.g ? (raw_limit << 12) | 0xfff : raw_limit;
  return k;
}

void expect_same(const kvm_segment& a, const kvm_segment& b) {
  EXPECT_EQ(a.base, b.base);
  EXPECT_EQ(a.limit, b.limit);
  EXPECT_EQ(a.selector, b.selector);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.present, b.present);
  EXPECT_EQ(a.dpl, b.dpl);
  EXPECT_EQ(a.db, b.db);
  EXPECT_EQ(a.s, b.s);
  EXPECT_EQ(a.l, b.l);
  EXPECT_EQ(a.g, b.g);
  EXPECT_EQ(a.avl, b.avl);
}

TEST(SegmentsTest, DescriptorsHaveTheCanonicalLongModeEncodings) {
  EXPECT_EQ(gdt_descriptor(kCodeSegment), 0x00af9b000000ffffull);  // 64-bit ring-0 code
  EXPECT_EQ(gdt_descriptor(kDataSegment), 0x00cf93000000ffffull);  // flat ring-0 data
  EXPECT_EQ(gdt_descriptor(kTssSegment), 0x00008b0060000067ull);   // busy TSS at 0x6000
}

TEST(SegmentsTest, GdtBytesDecodeToTheKvmSegments) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd, 0xa5);
  ASSERT_TRUE(write_gdt(low).ok());
  EXPECT_EQ(descriptor_at(low, 0), 0u) << "null descriptor";
  for (const SegmentShadow* s : {&kCodeSegment, &kDataSegment, &kTssSegment}) {
    SCOPED_TRACE(s->selector);
    expect_same(decode(descriptor_at(low, s->selector), s->selector), to_kvm_segment(*s));
  }
  EXPECT_EQ(descriptor_at(low, kGdtTssSelector + 8), kTssSegment.base >> 32) << "TSS base high";
  for (uint64_t i = abi::kGdtGpa + kGdtLimit + 1; i < abi::kGdtGpa + abi::kPageSize; ++i) {
    ASSERT_EQ(low[i], 0) << "GDT page is zero past the table";
  }
}

TEST(SegmentsTest, SegmentsSatisfyLongModeEntryRules) {
  const kvm_segment cs = to_kvm_segment(kCodeSegment);
  EXPECT_EQ(cs.l, 1) << "64-bit code segment";
  EXPECT_EQ(cs.db, 0) << "L=1 requires D=0";
  EXPECT_EQ(cs.type & 0x8, 0x8) << "code";
  EXPECT_EQ(cs.type & 0x1, 0x1) << "accessed pre-set: the CPU never writes the GDT";
  const kvm_segment ds = to_kvm_segment(kDataSegment);
  EXPECT_EQ(ds.type & 0x8, 0) << "data";
  EXPECT_EQ(ds.type & 0x2, 0x2) << "writable (SS must be)";
  EXPECT_EQ(ds.limit, 0xffffffffu);
  const kvm_segment tr = to_kvm_segment(kTssSegment);
  EXPECT_EQ(tr.type, 0xb) << "VM entry needs a busy 64-bit TSS";
  EXPECT_EQ(tr.s, 0);
  EXPECT_EQ(tr.present, 1);
}

TEST(SegmentsTest, RefusesABufferSmallerThanTheHostOnlyRegion) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd - 1, 0);
  EXPECT_FALSE(write_gdt(low).ok());
}

}  // namespace
}  // namespace instar::vmm
