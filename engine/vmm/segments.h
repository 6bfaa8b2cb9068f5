// segments.h: the guest's segments as one shadow description, from which both the GDT bytes and
// KVM's segment registers are derived so they cannot disagree (Solo5 x86_sreg).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <span>

#include "engine/vmm/result.h"
#include "guest/abi/abi.h"

namespace instar::vmm {

// One segment as the descriptor describes it. `limit` is the raw 20-bit descriptor field; with
// `granularity` set the CPU scales it to (limit << 12) | 0xfff bytes.
struct SegmentShadow {
  uint16_t selector;
  uint64_t base;
  uint32_t limit;
  uint8_t type;    // descriptor type nibble (accessed bit pre-set: the guest cannot write the GDT)
  uint8_t system;  // 0 = system descriptor (TSS), 1 = code/data (the descriptor's S bit)
  uint8_t dpl;
  uint8_t present;
  uint8_t long_mode;    // L
  uint8_t default_big;  // D/B
  uint8_t granularity;  // G
};

// GDT layout: null, 64-bit code, data, then the 16-byte TSS descriptor (two slots).
inline constexpr uint16_t kGdtCodeSelector = 0x08;
inline constexpr uint16_t kGdtDataSelector = 0x10;
inline constexpr uint16_t kGdtTssSelector = 0x18;
inline constexpr uint16_t kGdtLimit = 5 * 8 - 1;

// The TSS sits in an unused host-only page: VM entry in long mode needs a valid busy 64-bit TR,
// but the guest never switches privilege or takes interrupts, so the CPU never reads it.
inline constexpr uint64_t kTssGpa = 0x6000;
static_assert(kTssGpa >= abi::kPtGpa + abi::kPageSize && kTssGpa < abi::kHostOnlyEnd);

inline constexpr SegmentShadow kCodeSegment = {.selector = kGdtCodeSelector,
                                               .base = 0,
                                               .limit = 0xfffff,
                                               .type = 0xb /* exec/read, acc. */,
                                               .system = 1,
                                               .dpl = 0,
                                               .present = 1,
                                               .long_mode = 1,
                                               .default_big = 0,
                                               .granularity = 1};
inline constexpr SegmentShadow kDataSegment = {.selector = kGdtDataSelector,
                                               .base = 0,
                                               .limit = 0xfffff,
                                               .type = 0x3 /* read/write, acc. */,
                                               .system = 1,
                                               .dpl = 0,
                                               .present = 1,
                                               .long_mode = 0,
                                               .default_big = 1,
                                               .granularity = 1};
inline constexpr SegmentShadow kTssSegment = {.selector = kGdtTssSelector,
                                              .base = kTssGpa,
                                              .limit = 0x67,
                                              .type = 0xb /* busy 64-bit TSS */,
                                              .system = 0,
                                              .dpl = 0,
                                              .present = 1,
                                              .long_mode = 0,
                                              .default_big = 0,
                                              .granularity = 0};

// The 8-byte descriptor of a code/data segment, or the low half of a system descriptor.
uint64_t gdt_descriptor(const SegmentShadow& segment);

// KVM's view of the same segment (limit scaled to bytes as the hidden register holds it).
kvm_segment to_kvm_segment(const SegmentShadow& segment);

// Writes the GDT at abi::kGdtGpa and zeroes the TSS in `low_memory` (guest memory from GPA 0,
// at least abi::kHostOnlyEnd bytes).
[[nodiscard]] Status write_gdt(std::span<uint8_t> low_memory);

}  // namespace instar::vmm
