// elf_loader.h: checks the guest ELF (format, INSTAR ABI note) and copies its segments into memory.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/vmm/guest_memory.h"
#include "engine/vmm/result.h"
#include "guest/abi/abi.h"

namespace instar::vmm {

// One PT_LOAD segment, identity mapped (p_vaddr == p_paddr == GPA).
struct ElfSegment {
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t gpa = 0;
  uint64_t mem_size = 0;
  uint32_t flags = 0;  // PF_R / PF_W / PF_X
};

struct ElfImage {
  uint64_t entry = 0;
  std::vector<ElfSegment> segments;  // non-empty PT_LOADs, sorted by gpa, non-overlapping
  uint64_t image_end = 0;            // end of the highest segment, rounded up to a page
  abi::AbiNote note{};
};

// Largest number of program headers accepted (the guest's linker script makes a handful).
inline constexpr uint64_t kMaxElfProgramHeaders = 64;

// Parses an ELF64 little-endian x86-64 ET_EXEC with full bounds checks and verifies its INSTAR
// note (name "INSTAR", type abi::kElfNoteType, descriptor abi::AbiNote: magic, abi_version ==
// abi::kAbiVersion, required_features all in `host_features`) before anything else is trusted.
// Refuses, with a message naming the problem: truncated headers, wrong class/endianness/machine/
// type, program headers outside the file, a missing/duplicate/malformed note, segments with
// filesz > memsz, file bytes outside the file, addresses below abi::kGuestLoadBase or above
// abi::kMaxGuestMemory, overlapping segments, and an entry point outside executable segments.
[[nodiscard]] Result<ElfImage> parse_guest_elf(std::span<const uint8_t> file,
                                               uint64_t host_features);

// Copies each segment of `image` (parsed from `file`) into guest memory and zeroes its
// memsz - filesz tail. Every segment must end at or below `load_limit` (where the stack begins).
[[nodiscard]] Status load_guest_elf(const ElfImage& image, std::span<const uint8_t> file,
                                    GuestMemory& memory, uint64_t load_limit);

}  // namespace instar::vmm
