// cpuid_filter.cc: an allow-list of CPUID leaves, each with the register bits it may keep.
#include "engine/vmm/cpuid_filter.h"

#include <algorithm>

namespace instar::vmm {
namespace {

// Returns the filtered entry, or false when the leaf is not on the allow-list.
bool filter_entry(kvm_cpuid_entry2& e) {
  switch (e.function) {
    case 0x0:
      e.eax = std::min(e.eax, kMaxBasicLeaf);
      return true;  // ebx/edx/ecx: the vendor string
    case 0x1:
      e.ebx &= kLeaf1EbxClflushSize;
      e.ecx &= kLeaf1EcxRdrand;
      e.edx &= kLeaf1EdxBaseline;
      return true;
    case 0x7:
      if (e.index != 0) return false;
      e.eax = 0;  // no further subleaves
      e.ebx &= kLeaf7EbxBmi;
      e.ecx = 0;
      e.edx = 0;
      return true;
    case 0x80000000:
      e.eax = std::min(e.eax, kMaxExtendedLeaf);
      e.ebx = e.ecx = e.edx = 0;  // AMD repeats the vendor here; leaf 0 has it
      return true;
    case 0x80000001:
      e.eax = e.ebx = 0;
      e.ecx &= kExt1EcxLahf;
      e.edx &= kExt1EdxNxLm;
      return true;
    case 0x80000008:
      e.eax &= kExt8EaxAddressWidths;
      e.ebx = e.ecx = e.edx = 0;  // core counts, feature bits of the host's mitigations
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<kvm_cpuid_entry2> filter_cpuid(std::span<const kvm_cpuid_entry2> supported) {
  std::vector<kvm_cpuid_entry2> out;
  for (kvm_cpuid_entry2 entry : supported) {
    if (filter_entry(entry)) out.push_back(entry);
  }
  return out;
}

}  // namespace instar::vmm
