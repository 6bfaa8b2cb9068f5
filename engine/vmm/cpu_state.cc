// cpu_state.cc: initial vCPU registers for the identity-mapped long-mode guest.
#include "engine/vmm/cpu_state.h"

#include "engine/vmm/segments.h"
#include "guest/abi/abi.h"

namespace instar::vmm {

void set_long_mode_sregs(kvm_sregs& sregs, uint64_t fs_base) {
  sregs.cr0 = kInitialCr0;
  sregs.cr3 = abi::kPml4Gpa;
  sregs.cr4 = kInitialCr4;
  sregs.efer = kInitialEfer;

  sregs.cs = to_kvm_segment(kCodeSegment);
  const kvm_segment data = to_kvm_segment(kDataSegment);
  sregs.ds = data;
  sregs.es = data;
  sregs.ss = data;
  sregs.gs = data;
  sregs.fs = data;
  sregs.fs.base = fs_base;
  sregs.tr = to_kvm_segment(kTssSegment);
  sregs.ldt = kvm_segment{};
  sregs.ldt.unusable = 1;

  sregs.gdt.base = abi::kGdtGpa;
  sregs.gdt.limit = kGdtLimit;
  sregs.idt.base = 0;
  sregs.idt.limit = 0;
}

kvm_regs initial_regs(uint64_t entry, uint64_t stack_top) {
  kvm_regs regs{};
  regs.rip = entry;
  regs.rsp = (stack_top & ~uint64_t{15}) - 8;
  regs.rdi = abi::kBootInfoGpa;
  regs.rflags = kInitialRflags;
  return regs;
}

kvm_fpu initial_fpu() {
  kvm_fpu fpu{};
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  return fpu;
}

}  // namespace instar::vmm
