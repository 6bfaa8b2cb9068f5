// elf_builder.cc: minimal ELF64 writer for loader tests and hand-assembled KVM test guests.
#include "engine/vmm/tests/elf_builder.h"

#include <elf.h>

#include <cstring>

namespace instar::vmm::testing {
namespace {

template <typename T>
void put(std::vector<uint8_t>& out, uint64_t offset, const T& value) {
  if (out.size() < offset + sizeof(T)) out.resize(offset + sizeof(T));
  std::memcpy(out.data() + offset, &value, sizeof(T));
}

uint64_t align16(uint64_t v) {
  return (v + 15) & ~uint64_t{15};
}

}  // namespace

std::vector<uint8_t> build_elf(const ElfSpec& spec) {
  const uint64_t phnum = spec.segments.size() + (spec.with_note ? 1 : 0);
  std::vector<uint8_t> out(kElfPhdrOffset + phnum * sizeof(Elf64_Phdr), 0);

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = spec.entry;
  eh.e_phoff = kElfPhdrOffset;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<uint16_t>(phnum);
  put(out, 0, eh);

  uint64_t ph_at = kElfPhdrOffset;
  uint64_t data_at = align16(out.size());
  if (spec.with_note) {
    const uint64_t name_size = spec.note_name.size() + 1;
    const uint64_t name_padded = (name_size + 3) & ~uint64_t{3};
    Elf64_Nhdr nh{.n_namesz = static_cast<Elf64_Word>(name_size),
                  .n_descsz = sizeof(abi::AbiNote),
                  .n_type = spec.note_type};
    put(out, data_at, nh);
    out.resize(data_at + sizeof(nh) + name_padded, 0);
    std::memcpy(out.data() + data_at + sizeof(nh), spec.note_name.c_str(), name_size);
    put(out, data_at + sizeof(nh) + name_padded, spec.note);
    const uint64_t note_size = sizeof(nh) + name_padded + sizeof(abi::AbiNote);
    Elf64_Phdr ph{.p_type = PT_NOTE,
                  .p_flags = PF_R,
                  .p_offset = data_at,
                  .p_vaddr = 0,
                  .p_paddr = 0,
                  .p_filesz = note_size,
                  .p_memsz = note_size,
                  .p_align = 4};
    put(out, ph_at, ph);
    ph_at += sizeof(Elf64_Phdr);
    data_at = align16(data_at + note_size);
  }
  for (const ElfSegmentSpec& seg : spec.segments) {
    out.resize(data_at + seg.bytes.size(), 0);
    if (!seg.bytes.empty()) std::memcpy(out.data() + data_at, seg.bytes.data(), seg.bytes.size());
    Elf64_Phdr ph{.p_type = PT_LOAD,
                  .p_flags = seg.flags,
                  .p_offset = data_at,
                  .p_vaddr = seg.gpa,
                  .p_paddr = seg.gpa,
                  .p_filesz = seg.bytes.size(),
                  .p_memsz = seg.mem_size ? seg.mem_size : seg.bytes.size(),
                  .p_align = 16};
    put(out, ph_at, ph);
    ph_at += sizeof(Elf64_Phdr);
    data_at = align16(data_at + seg.bytes.size());
  }
  return out;
}

}  // namespace instar::vmm::testing
