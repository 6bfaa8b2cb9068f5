// elf_loader.cc: a bounds-checked ELF64 reader for the guest image; nothing in the file is trusted.
#include "engine/vmm/elf_loader.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "guest/lib/checked.h"

namespace instar::vmm {
namespace {

Error elf_error(const std::string& what) {
  return Error{"guest ELF: " + what};
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Copies a T from file[offset, offset + sizeof(T)), refusing anything that leaves the file.
template <typename T>
bool read_at(std::span<const uint8_t> file, uint64_t offset, T* out) {
  uint64_t end = 0;
  if (!checked_add(offset, sizeof(T), &end) || end > file.size()) return false;
  std::memcpy(out, file.data() + offset, sizeof(T));
  return true;
}

Status check_header(std::span<const uint8_t> file, const Elf64_Ehdr& eh) {
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return elf_error("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return elf_error("not a 64-bit ELF (ELFCLASS64)");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return elf_error("not little-endian");
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) {
    return elf_error("unsupported ELF version");
  }
  if (eh.e_machine != EM_X86_64) return elf_error("machine is not x86-64");
  if (eh.e_type != ET_EXEC) return elf_error("not a static executable (ET_EXEC)");
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return elf_error("unexpected program header size");
  if (eh.e_phnum == 0 || eh.e_phnum > kMaxElfProgramHeaders) {
    return elf_error("program header count " + std::to_string(eh.e_phnum) + " out of range");
  }
  uint64_t table_end = 0;
  if (!checked_add(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), &table_end) ||
      table_end > file.size()) {
    return elf_error("program headers lie outside the file");
  }
  return Status::Ok();
}

// Looks for the INSTAR note inside one PT_NOTE segment. Sets *found when the note is present.
Status scan_notes(std::span<const uint8_t> file, const Elf64_Phdr& ph, bool* found,
                  abi::AbiNote* note) {
  uint64_t end = 0;
  if (!checked_add(ph.p_offset, ph.p_filesz, &end) || end > file.size()) {
    return elf_error("PT_NOTE lies outside the file");
  }
  // Notes are padded to 4 bytes, or 8 in PT_NOTEs aligned to 8 (as GNU tools emit them).
  const uint64_t align = ph.p_align == 8 ? 8 : 4;
  constexpr uint64_t kNameSize = sizeof(abi::kElfNoteName);  // "INSTAR\0"
  uint64_t pos = ph.p_offset;
  while (pos < end) {
    Elf64_Nhdr nh;
    uint64_t name_at = 0, desc_at = 0, next = 0;
    if (!checked_add(pos, sizeof(nh), &name_at) || name_at > end || !read_at(file, pos, &nh) ||
        !checked_align_up(name_at + nh.n_namesz, align, &desc_at) || desc_at > end ||
        !checked_align_up(desc_at + nh.n_descsz, align, &next) || next > end) {
      return elf_error("malformed note in PT_NOTE");
    }
    if (nh.n_namesz == kNameSize &&
        std::memcmp(file.data() + name_at, abi::kElfNoteName, kNameSize) == 0) {
      if (nh.n_type != abi::kElfNoteType) return elf_error("INSTAR note has the wrong type");
      if (nh.n_descsz != sizeof(abi::AbiNote)) return elf_error("INSTAR note has the wrong size");
      if (*found) return elf_error("more than one INSTAR note");
      std::memcpy(note, file.data() + desc_at, sizeof(*note));
      *found = true;
    }
    pos = next;
  }
  return Status::Ok();
}

Status check_note(const abi::AbiNote& note, uint64_t host_features) {
  if (note.magic != abi::kAbiNoteMagic) return elf_error("INSTAR note has a bad magic number");
  if (note.abi_version != abi::kAbiVersion) {
    return elf_error("built for instar ABI version " + std::to_string(note.abi_version) +
                     ", this monitor implements version " + std::to_string(abi::kAbiVersion));
  }
  if (const uint64_t missing = note.required_features & ~host_features; missing != 0) {
    return elf_error("requires host features " + hex(missing) + " this monitor does not offer");
  }
  return Status::Ok();
}

Status check_segment(std::span<const uint8_t> file, const Elf64_Phdr& ph) {
  const std::string where = "PT_LOAD at " + hex(ph.p_vaddr);
  if (ph.p_vaddr != ph.p_paddr) return elf_error(where + ": virtual and physical address differ");
  if (ph.p_filesz > ph.p_memsz) return elf_error(where + ": file size exceeds memory size");
  uint64_t file_end = 0, mem_end = 0;
  if (!checked_add(ph.p_offset, ph.p_filesz, &file_end) || file_end > file.size()) {
    return elf_error(where + ": contents lie outside the file");
  }
  if (ph.p_vaddr < abi::kGuestLoadBase || !checked_add(ph.p_vaddr, ph.p_memsz, &mem_end) ||
      mem_end > abi::kMaxGuestMemory) {
    return elf_error(where + ": outside the guest load area");
  }
  return Status::Ok();
}

}  // namespace

Result<ElfImage> parse_guest_elf(std::span<const uint8_t> file, uint64_t host_features) {
  Elf64_Ehdr eh;
  if (!read_at(file, 0, &eh)) return elf_error("file too short for an ELF header");
  if (Status s = check_header(file, eh); !s.ok()) return Error{s.message()};

  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  for (uint64_t i = 0; i < phdrs.size(); ++i) {
    // In range: check_header bounded e_phoff + e_phnum * sizeof(Elf64_Phdr) by the file size.
    std::memcpy(&phdrs[i], file.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(Elf64_Phdr));
  }

  // The ABI note first: a guest built for another contract is refused before any segment is read.
  ElfImage image;
  bool found = false;
  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type != PT_NOTE) continue;
    if (Status s = scan_notes(file, ph, &found, &image.note); !s.ok()) return Error{s.message()};
  }
  if (!found) return elf_error("no INSTAR ABI note: not an instar guest");
  if (Status s = check_note(image.note, host_features); !s.ok()) return Error{s.message()};

  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (Status s = check_segment(file, ph); !s.ok()) return Error{s.message()};
    image.segments.push_back({.file_offset = ph.p_offset,
                              .file_size = ph.p_filesz,
                              .gpa = ph.p_vaddr,
                              .mem_size = ph.p_memsz,
                              .flags = ph.p_flags});
  }
  if (image.segments.empty()) return elf_error("no loadable segments");
  std::sort(image.segments.begin(), image.segments.end(),
            [](const ElfSegment& a, const ElfSegment& b) { return a.gpa < b.gpa; });
  for (size_t i = 1; i < image.segments.size(); ++i) {
    const ElfSegment& prev = image.segments[i - 1];
    if (prev.gpa + prev.mem_size > image.segments[i].gpa) {  // no overflow: check_segment
      return elf_error("segments at " + hex(prev.gpa) + " and " + hex(image.segments[i].gpa) +
                       " overlap");
    }
  }
  const ElfSegment& last = image.segments.back();
  if (!checked_align_up(last.gpa + last.mem_size, abi::kPageSize, &image.image_end)) {
    return elf_error("image end overflows");
  }

  image.entry = eh.e_entry;
  const bool entry_executable =
      std::any_of(image.segments.begin(), image.segments.end(), [&](const ElfSegment& s) {
        return (s.flags & PF_X) != 0 && eh.e_entry >= s.gpa && eh.e_entry - s.gpa < s.mem_size;
      });
  if (!entry_executable) {
    return elf_error("entry point " + hex(eh.e_entry) + " is not inside an executable segment");
  }
  return image;
}

Status load_guest_elf(const ElfImage& image, std::span<const uint8_t> file, GuestMemory& memory,
                      uint64_t load_limit) {
  for (const ElfSegment& seg : image.segments) {
    uint64_t mem_end = 0, file_end = 0;
    if (!checked_add(seg.gpa, seg.mem_size, &mem_end) || mem_end > load_limit ||
        seg.gpa < abi::kGuestLoadBase || seg.file_size > seg.mem_size ||
        !checked_add(seg.file_offset, seg.file_size, &file_end) || file_end > file.size()) {
      return elf_error("segment at " + hex(seg.gpa) + " does not fit below the stack at " +
                       hex(load_limit));
    }
    auto dest = memory.span(seg.gpa, seg.mem_size, Access::kGuestWrite);
    if (!dest) return elf_error("segment at " + hex(seg.gpa) + " lies outside guest memory");
    std::memcpy(dest->data(), file.data() + seg.file_offset, seg.file_size);
    std::memset(dest->data() + seg.file_size, 0, seg.mem_size - seg.file_size);
  }
  return Status::Ok();
}

}  // namespace instar::vmm
