// cpu_state_test.cc: initial control registers, segments and GPRs for the long-mode guest.
#include "engine/vmm/cpu_state.h"

#include <gtest/gtest.h>

#include "engine/vmm/segments.h"
#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

TEST(CpuStateTest, ControlRegistersEnablePagedLongModeWithSseAndWriteProtect) {
  kvm_sregs s{};
  s.apic_base = 0xfee00900;  // read back from KVM: must survive
  set_long_mode_sregs(s, 0x1234);
  EXPECT_EQ(s.cr0 & kCr0Paging, kCr0Paging);
  EXPECT_EQ(s.cr0 & kCr0ProtectionEnable, kCr0ProtectionEnable);
  EXPECT_EQ(s.cr0 & kCr0WriteProtect, kCr0WriteProtect) << "read-only pages bind ring 0";
  EXPECT_EQ(s.cr0 & kCr0MonitorCoprocessor, kCr0MonitorCoprocessor);
  EXPECT_EQ(s.cr0 & (1u << 2), 0u) << "EM clear: SSE must not trap";
  EXPECT_EQ(s.cr0 & (1u << 3), 0u) << "TS clear";
  EXPECT_EQ(s.cr4, kCr4Pae | kCr4OsFxsr | kCr4OsXmmExcept);
  EXPECT_EQ(s.efer, kEferLongModeEnable | kEferLongModeActive | kEferNoExecuteEnable);
  EXPECT_EQ(s.cr3, abi::kPml4Gpa);
  EXPECT_EQ(s.apic_base, 0xfee00900u);
}

TEST(CpuStateTest, SegmentRegistersComeFromTheSameShadowAsTheGdt) {
  kvm_sregs s{};
  set_long_mode_sregs(s, 0x1234);
  EXPECT_EQ(s.cs.selector, kGdtCodeSelector);
  EXPECT_EQ(s.cs.l, 1);
  for (const kvm_segment* d : {&s.ds, &s.es, &s.ss, &s.gs, &s.fs}) {
    EXPECT_EQ(d->selector, kGdtDataSelector);
    EXPECT_EQ(d->type, kDataSegment.type);
  }
  EXPECT_EQ(s.fs.base, 0x1234u);
  EXPECT_EQ(s.gs.base, 0u);
  EXPECT_EQ(s.tr.selector, kGdtTssSelector);
  EXPECT_EQ(s.tr.base, kTssGpa);
  EXPECT_EQ(s.ldt.unusable, 1);
  EXPECT_EQ(s.gdt.base, abi::kGdtGpa);
  EXPECT_EQ(s.gdt.limit, kGdtLimit);
  EXPECT_EQ(s.idt.limit, 0) << "no IDT: exceptions become a triple fault";
}

TEST(CpuStateTest, EntryRegistersFollowTheCallingConvention) {
  const kvm_regs r = initial_regs(0x100123, 64ull << 20);
  EXPECT_EQ(r.rip, 0x100123u);
  EXPECT_EQ(r.rsp, (64ull << 20) - 8);
  EXPECT_EQ(r.rsp % 16, 8u) << "as right after a call";
  EXPECT_EQ(r.rdi, abi::kBootInfoGpa);
  EXPECT_EQ(r.rflags, 0x2u);
  EXPECT_EQ(initial_regs(0, 0x100007).rsp, 0x100000u - 8) << "stack top rounded down to 16";
}

TEST(CpuStateTest, FpuStartsWithExceptionsMasked) {
  const kvm_fpu f = initial_fpu();
  EXPECT_EQ(f.fcw, 0x37f);
  EXPECT_EQ(f.mxcsr, 0x1f80u);
}

}  // namespace
}  // namespace instar::vmm
