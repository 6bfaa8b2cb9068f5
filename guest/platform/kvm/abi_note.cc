// abi_note.cc: the ELF note (.note.instar) the monitor checks before it loads the guest.
#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::kvm {
namespace {

constexpr uint64_t kRequiredFeatures = 0;  // without kHostFeatureBatchedRead reads go one by one

// An ELF note as the gABI lays it out: 4-byte words, the name padded to 4 bytes, then the
// descriptor at offset 20. AbiNote's uint64_t would make a C++ struct pad before it, so the
// descriptor is spelled as the four little-endian words it occupies.
struct InstarElfNote {
  uint32_t namesz;
  uint32_t descsz;
  uint32_t type;
  char name[8];
  uint32_t desc[4];
};
static_assert(sizeof(abi::kElfNoteName) == 7, "namesz counts the NUL; name pads to 8");
static_assert(sizeof(abi::AbiNote) == 16 && offsetof(abi::AbiNote, required_features) == 8);
static_assert(offsetof(InstarElfNote, desc) == 20 && sizeof(InstarElfNote) == 36);

// `used` keeps the compiler from dropping it; guest.ld KEEPs it past --gc-sections and gives it
// its own PT_NOTE. The assembler types a ".note*" section SHT_NOTE.
[[gnu::section(".note.instar"), gnu::used, gnu::aligned(4)]] constexpr InstarElfNote kNote = {
    sizeof(abi::kElfNoteName),
    sizeof(abi::AbiNote),
    abi::kElfNoteType,
    {'I', 'N', 'S', 'T', 'A', 'R', '\0', '\0'},
    {abi::kAbiNoteMagic, abi::kAbiVersion, static_cast<uint32_t>(kRequiredFeatures),
     static_cast<uint32_t>(kRequiredFeatures >> 32)},
};

}  // namespace
}  // namespace instar::kvm
