// cpuid_filter.h: the CPUID table the guest sees: only what its code needs, nothing about the host.
//
// Firecracker style: a pure function from KVM_GET_SUPPORTED_CPUID's entries to the table given
// to KVM_SET_CPUID2, so it is unit-tested without /dev/kvm (engine/vmm/tests/cpuid_filter_test.cc).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <span>
#include <vector>

namespace instar::vmm {

// Kept, each masked to the bits below (a bit the host lacks stays clear):
//   0x0        highest basic leaf (at most 7) and the vendor string (KVM's own CPUID emulation
//              of out-of-range leaves keys off the vendor);
//   0x1        family/model/stepping; EBX only the CLFLUSH line size (no APIC id or core count);
//              ECX only RDRAND (entry.S seeds the stack canary with it); EDX the x86-64 baseline
//              the compiled guest uses (FPU, TSC, MSR, PAE, CX8, CMOV, MMX, FXSR, SSE, SSE2);
//   0x7.0      EBX only BMI1/BMI2 (zstd's decoders dispatch on them; no OS state needed);
//   0x80000000 highest extended leaf (at most 0x80000008);
//   0x80000001 LM and NX (KVM refuses EFER.LME/NXE without them), LAHF/SAHF in long mode;
//   0x80000008 physical/virtual address widths (KVM derives reserved page-table bits from them).
// Dropped: every other leaf, among them the hypervisor leaves 0x40000000-0x4fffffff (KVM's
// signature and paravirtual features), the brand string, caches and topology, XSAVE (the guest
// never enables it, so AVX and later stay hidden too), and leaf 1's hypervisor bit.
std::vector<kvm_cpuid_entry2> filter_cpuid(std::span<const kvm_cpuid_entry2> supported);

// The masks, for tests and docs.
inline constexpr uint32_t kMaxBasicLeaf = 0x7;
inline constexpr uint32_t kMaxExtendedLeaf = 0x80000008;
inline constexpr uint32_t kLeaf1EbxClflushSize = 0xff00;
inline constexpr uint32_t kLeaf1EcxRdrand = 1u << 30;
inline constexpr uint32_t kLeaf1EdxBaseline = (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) |
                                              (1u << 8) | (1u << 15) | (1u << 23) | (1u << 24) |
                                              (1u << 25) | (1u << 26);
inline constexpr uint32_t kLeaf7EbxBmi = (1u << 3) | (1u << 8);
inline constexpr uint32_t kExt1EcxLahf = 1u << 0;
inline constexpr uint32_t kExt1EdxNxLm = (1u << 20) | (1u << 29);
inline constexpr uint32_t kExt8EaxAddressWidths = 0xffff;

}  // namespace instar::vmm
