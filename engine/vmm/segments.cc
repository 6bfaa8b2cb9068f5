// segments.cc: GDT descriptors and kvm_segment values derived from the same SegmentShadow.
#include "engine/vmm/segments.h"

#include <cstring>

namespace instar::vmm {

uint64_t gdt_descriptor(const SegmentShadow& s) {
  // Intel SDM vol. 3, 3.4.5: limit[15:0] base[23:0] type S DPL P limit[19:16] AVL L D/B G
  // base[31:24].
  return (uint64_t{s.limit} & 0xffff) | ((s.base & 0xffffff) << 16) |
         (uint64_t{s.type} & 0xf) << 40 | uint64_t{s.system & 1u} << 44 |
         uint64_t{s.dpl & 3u} << 45 | uint64_t{s.present & 1u} << 47 |
         ((uint64_t{s.limit} >> 16) & 0xf) << 48 | uint64_t{s.long_mode & 1u} << 53 |
         uint64_t{s.default_big & 1u} << 54 | uint64_t{s.granularity & 1u} << 55 |
         ((s.base >> 24) & 0xff) << 56;
}

kvm_segment to_kvm_segment(const SegmentShadow& s) {
  kvm_segment k{};
  k.base = s.base;
  k.limit = s.granularity ? (s.limit << 12) | 0xfff : s.limit;
  k.selector = s.selector;
  k.type = s.type;
  k.present = s.present;
  k.dpl = s.dpl;
  k.db = s.default_big;
  k.s = s.system;
  k.l = s.long_mode;
  k.g = s.granularity;
  k.avl = 0;
  k.unusable = 0;
  return k;
}

Status write_gdt(std::span<uint8_t> low_memory) {
  if (low_memory.size() < abi::kHostOnlyEnd) {
    return Error{"GDT buffer smaller than the host-only region"};
  }
  uint64_t gdt[5] = {};
  gdt[kGdtCodeSelector / 8] = gdt_descriptor(kCodeSegment);
  gdt[kGdtDataSelector / 8] = gdt_descriptor(kDataSegment);
  // A long-mode system descriptor is 16 bytes: the second slot carries base[63:32].
  gdt[kGdtTssSelector / 8] = gdt_descriptor(kTssSegment);
  gdt[kGdtTssSelector / 8 + 1] = kTssSegment.base >> 32;
  static_assert(sizeof(gdt) == kGdtLimit + 1);
  std::memset(low_memory.data() + abi::kGdtGpa, 0, abi::kPageSize);
  std::memcpy(low_memory.data() + abi::kGdtGpa, gdt, sizeof(gdt));
  std::memset(low_memory.data() + kTssGpa, 0, abi::kPageSize);
  return Status::Ok();
}

}  // namespace instar::vmm
