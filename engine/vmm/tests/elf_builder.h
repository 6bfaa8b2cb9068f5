// elf_builder.h: test support: writes small guest ELF files (well-formed or deliberately broken).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::vmm::testing {

struct ElfSegmentSpec {
  uint64_t gpa = abi::kGuestLoadBase;
  std::vector<uint8_t> bytes;  // file contents (filesz = bytes.size())
  uint64_t mem_size = 0;       // 0: same as bytes.size()
  uint32_t flags = 0x5;        // PF_R | PF_X
};

struct ElfSpec {
  uint64_t entry = abi::kGuestLoadBase;
  std::vector<ElfSegmentSpec> segments;
  bool with_note = true;
  std::string note_name = abi::kElfNoteName;
  uint32_t note_type = abi::kElfNoteType;
  abi::AbiNote note{abi::kAbiNoteMagic, abi::kAbiVersion, 0};
};

// Header at 0, program headers at 64 (PT_NOTE first, then one PT_LOAD per segment), the note,
// then each segment's bytes at a 16-byte aligned offset.
std::vector<uint8_t> build_elf(const ElfSpec& spec);

// File offsets of interesting fields of what build_elf writes, for corrupting them in tests.
inline constexpr uint64_t kElfPhdrOffset = 64;
inline constexpr uint64_t kElfPhdrSize = 56;

}  // namespace instar::vmm::testing
