// elf_loader_test.cc: malformed and hostile guest ELFs are refused with a clear reason; good ones
// load.
#include "engine/vmm/elf_loader.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "engine/vmm/tests/elf_builder.h"

namespace instar::vmm {
namespace {

using testing::build_elf;
using testing::ElfSpec;
using testing::kElfPhdrOffset;
using testing::kElfPhdrSize;

constexpr uint64_t kCode = abi::kGuestLoadBase;
constexpr uint64_t kData = abi::kGuestLoadBase + 0x1000;

ElfSpec good_spec() {
  ElfSpec spec;
  spec.entry = kCode + 4;
  spec.segments.push_back(
      {.gpa = kCode, .bytes = std::vector<uint8_t>(16, 0x90), .mem_size = 0, .flags = PF_R | PF_X});
  spec.segments.push_back(
      {.gpa = kData, .bytes = {1, 2, 3, 4, 5, 6, 7, 8}, .mem_size = 0x2000, .flags = PF_R | PF_W});
  return spec;
}

Elf64_Ehdr header(const std::vector<uint8_t>& f) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, f.data(), sizeof(eh));
  return eh;
}
void set_header(std::vector<uint8_t>& f, const Elf64_Ehdr& eh) {
  std::memcpy(f.data(), &eh, sizeof(eh));
}
// Program header i: 0 is the PT_NOTE, 1 the code segment, 2 the data segment.
Elf64_Phdr phdr(const std::vector<uint8_t>& f, int i) {
  Elf64_Phdr ph;
  std::memcpy(&ph, f.data() + kElfPhdrOffset + i * kElfPhdrSize, sizeof(ph));
  return ph;
}
void set_phdr(std::vector<uint8_t>& f, int i, const Elf64_Phdr& ph) {
  std::memcpy(f.data() + kElfPhdrOffset + i * kElfPhdrSize, &ph, sizeof(ph));
}

struct MalformedCase {
  const char* name;
  std::function<std::vector<uint8_t>()> make;
  const char* error;  // substring of the refusal
};

std::vector<uint8_t> good() {
  return build_elf(good_spec());
}

template <typename F>
std::function<std::vector<uint8_t>()> spec_with(F change) {
  return [change] {
    ElfSpec s = good_spec();
    change(s);
    return build_elf(s);
  };
}
template <typename F>
std::function<std::vector<uint8_t>()> header_with(F change) {
  return [change] {
    auto f = good();
    Elf64_Ehdr eh = header(f);
    change(eh);
    set_header(f, eh);
    return f;
  };
}
template <typename F>
std::function<std::vector<uint8_t>()> phdr_with(int i, F change) {
  return [i, change] {
    auto f = good();
    Elf64_Phdr ph = phdr(f, i);
    change(ph);
    set_phdr(f, i, ph);
    return f;
  };
}

const MalformedCase kMalformed[] = {
    {"Empty", [] { return std::vector<uint8_t>(); }, "too short"},
    {"TruncatedHeader",
     [] {
       auto f = good();
       f.resize(40);
       return f;
     },
     "too short"},
    {"BadMagic", header_with([](Elf64_Ehdr& e) { e.e_ident[1] = 'X'; }), "not an ELF"},
    {"Class32", header_with([](Elf64_Ehdr& e) { e.e_ident[EI_CLASS] = ELFCLASS32; }), "64-bit"},
    {"BigEndian", header_with([](Elf64_Ehdr& e) { e.e_ident[EI_DATA] = ELFDATA2MSB; }),
     "little-endian"},
    {"BadVersion", header_with([](Elf64_Ehdr& e) { e.e_version = 2; }), "version"},
    {"MachineI386", header_with([](Elf64_Ehdr& e) { e.e_machine = EM_386; }), "x86-64"},
    {"MachineAarch64", header_with([](Elf64_Ehdr& e) { e.e_machine = EM_AARCH64; }), "x86-64"},
    {"SharedObject", header_with([](Elf64_Ehdr& e) { e.e_type = ET_DYN; }), "ET_EXEC"},
    {"PhentsizeWrong", header_with([](Elf64_Ehdr& e) { e.e_phentsize = 32; }),
     "program header size"},
    {"NoProgramHeaders", header_with([](Elf64_Ehdr& e) { e.e_phnum = 0; }), "count"},
    {"TooManyProgramHeaders", header_with([](Elf64_Ehdr& e) { e.e_phnum = 65; }), "count"},
    {"PhoffPastEnd", header_with([](Elf64_Ehdr& e) { e.e_phoff = 1 << 20; }),
     "program headers lie outside"},
    {"PhoffOverflows", header_with([](Elf64_Ehdr& e) { e.e_phoff = ~uint64_t{0} - 8; }),
     "program headers lie outside"},
    {"TruncatedProgramHeaders",
     [] {
       auto f = good();
       f.resize(kElfPhdrOffset + 100);
       return f;
     },
     "program headers lie outside"},
    {"MissingNote", spec_with([](ElfSpec& s) { s.with_note = false; }), "no INSTAR ABI note"},
    {"OtherNoteName", spec_with([](ElfSpec& s) { s.note_name = "INSTAX"; }), "no INSTAR ABI note"},
    {"NoteWrongType", spec_with([](ElfSpec& s) { s.note_type = 1; }), "wrong type"},
    {"NoteBadMagic", spec_with([](ElfSpec& s) { s.note.magic = 0xdeadbeef; }), "bad magic"},
    {"NoteOldAbi", spec_with([](ElfSpec& s) { s.note.abi_version = abi::kAbiVersion + 1; }),
     "ABI version"},
    {"NoteNeedsMissingFeature",
     spec_with([](ElfSpec& s) { s.note.required_features = 1ull << 40; }),
     "requires host features 0x10000000000"},
    {"NoteOutsideFile", phdr_with(0, [](Elf64_Phdr& p) { p.p_filesz = 1 << 20; }),
     "PT_NOTE lies outside"},
    {"NoteOffsetOverflows", phdr_with(0, [](Elf64_Phdr& p) { p.p_offset = ~uint64_t{0}; }),
     "PT_NOTE lies outside"},
    {"NoteNameSizeHuge",
     [] {
       auto f = good();
       const uint32_t huge = 0xfffffff0u;
       std::memcpy(f.data() + phdr(f, 0).p_offset, &huge, 4);
       return f;
     },
     "malformed note"},
    {"NoteTruncatedInSegment", phdr_with(0, [](Elf64_Phdr& p) { p.p_filesz -= 4; }),
     "malformed note"},
    {"FileSizeAboveMemSize", phdr_with(1, [](Elf64_Phdr& p) { p.p_memsz = p.p_filesz - 1; }),
     "file size exceeds memory size"},
    {"SegmentBytesPastEnd", phdr_with(2, [](Elf64_Phdr& p) { p.p_offset = 1 << 20; }),
     "contents lie outside the file"},
    {"SegmentOffsetOverflows", phdr_with(2, [](Elf64_Phdr& p) { p.p_offset = ~uint64_t{0}; }),
     "contents lie outside the file"},
    {"SegmentInReadOnlyPages",
     phdr_with(2, [](Elf64_Phdr& p) { p.p_vaddr = p.p_paddr = abi::kBootInfoGpa; }),
     "outside the guest load area"},
    {"SegmentInPageTables",
     phdr_with(2, [](Elf64_Phdr& p) { p.p_vaddr = p.p_paddr = abi::kPml4Gpa; }),
     "outside the guest load area"},
    {"SegmentAboveMaxMemory",
     phdr_with(2, [](Elf64_Phdr& p) { p.p_vaddr = p.p_paddr = abi::kMaxGuestMemory - 8; }),
     "outside the guest load area"},
    {"SegmentEndOverflows", phdr_with(2, [](Elf64_Phdr& p) { p.p_memsz = ~uint64_t{0} - 0x1000; }),
     "outside the guest load area"},
    {"VirtualNotPhysical", phdr_with(2, [](Elf64_Phdr& p) { p.p_paddr += 0x1000; }), "differ"},
    {"SegmentsOverlap", phdr_with(2, [](Elf64_Phdr& p) { p.p_vaddr = p.p_paddr = kCode + 8; }),
     "overlap"},
    {"NoLoadableSegments", spec_with([](ElfSpec& s) { s.segments.clear(); }),
     "no loadable segments"},
    {"EntryOutsideSegments", header_with([](Elf64_Ehdr& e) { e.e_entry = 0x400000; }),
     "entry point"},
    {"EntryInDataSegment", header_with([](Elf64_Ehdr& e) { e.e_entry = kData; }), "entry point"},
    {"EntryJustPastCode", header_with([](Elf64_Ehdr& e) { e.e_entry = kCode + 16; }),
     "entry point"},
};

class MalformedElfTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedElfTest, IsRefusedWithAClearMessage) {
  const std::vector<uint8_t> file = GetParam().make();
  auto image = parse_guest_elf(file, abi::kHostFeatureBatchedRead);
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.message().find(GetParam().error), std::string::npos) << image.message();
  EXPECT_EQ(image.message().rfind("guest ELF: ", 0), 0u) << image.message();
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedElfTest, ::testing::ValuesIn(kMalformed),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ElfLoaderTest, ParsesAGoodImage) {
  auto image = parse_guest_elf(good(), 0);
  ASSERT_TRUE(image.ok()) << image.message();
  EXPECT_EQ(image.value().entry, kCode + 4);
  ASSERT_EQ(image.value().segments.size(), 2u);
  EXPECT_EQ(image.value().segments[0].gpa, kCode);
  EXPECT_EQ(image.value().segments[1].mem_size, 0x2000u);
  EXPECT_EQ(image.value().image_end, kData + 0x2000);
  EXPECT_EQ(image.value().note.abi_version, abi::kAbiVersion);
}

TEST(ElfLoaderTest, AcceptsRequiredFeaturesTheHostOffers) {
  ElfSpec s = good_spec();
  s.note.required_features = abi::kHostFeatureBatchedRead;
  EXPECT_TRUE(parse_guest_elf(build_elf(s), abi::kHostFeatureBatchedRead).ok());
  EXPECT_FALSE(parse_guest_elf(build_elf(s), 0).ok());
}

TEST(ElfLoaderTest, ImageEndIsPageAligned) {
  ElfSpec s = good_spec();
  s.segments[1].mem_size = 0x1001;
  auto image = parse_guest_elf(build_elf(s), 0);
  ASSERT_TRUE(image.ok()) << image.message();
  EXPECT_EQ(image.value().image_end, kData + 0x2000);
}

TEST(ElfLoaderTest, LoadCopiesFileBytesAndZeroesTheTail) {
  const auto file = good();
  auto image = parse_guest_elf(file, 0);
  ASSERT_TRUE(image.ok());
  auto memory = GuestMemory::create(4ull << 20);
  ASSERT_TRUE(memory.ok());
  GuestMemory& m = memory.value();
  auto all = m.span(abi::kGuestLoadBase, 0x10000, Access::kMonitor);
  std::memset(all->data(), 0xee, all->size());  // stale bytes the loader must overwrite
  ASSERT_TRUE(load_guest_elf(image.value(), file, m, m.size() - abi::kGuestStackSize).ok());
  auto code = m.span(kCode, 16, Access::kGuestRead);
  for (uint8_t b : *code) EXPECT_EQ(b, 0x90);
  auto data = m.span(kData, 0x2000, Access::kGuestRead);
  EXPECT_EQ((*data)[0], 1);
  EXPECT_EQ((*data)[7], 8);
  for (uint64_t i = 8; i < 0x2000; ++i) ASSERT_EQ((*data)[i], 0) << "bss byte " << i;
  EXPECT_EQ((*m.span(kCode + 16, 1, Access::kGuestRead))[0], 0xee) << "gap left alone";
}

TEST(ElfLoaderTest, LoadRefusesSegmentsReachingIntoTheStack) {
  ElfSpec s = good_spec();
  s.segments[1].mem_size = 4ull << 20;  // past a 4 MiB guest's stack
  const auto file = build_elf(s);
  auto image = parse_guest_elf(file, 0);
  ASSERT_TRUE(image.ok()) << image.message();
  auto memory = GuestMemory::create(4ull << 20);
  ASSERT_TRUE(memory.ok());
  const Status st =
      load_guest_elf(image.value(), file, memory.value(), (4ull << 20) - abi::kGuestStackSize);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("below the stack"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace instar::vmm
