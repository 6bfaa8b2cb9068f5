// partition_table.cc: MBR and GPT signature checks over the first bytes of an image.
#include "guest/formats/raw/partition_table.h"

#include "guest/lib/mem.h"

namespace instar::raw {

namespace {
constexpr uint64_t kMbrEntriesOffset = 446;
constexpr uint64_t kMbrEntrySize = 16;
constexpr uint64_t kGptHeaderOffset = 512;
constexpr char kGptSignature[] = "EFI PART";
}  // namespace

bool looks_like_mbr(Bytes s) {
  if (s.size < 512 || s[510] != 0x55 || s[511] != 0xaa) return false;
  bool any_used = false;
  for (uint64_t i = 0; i < 4; ++i) {
    const uint64_t entry = kMbrEntriesOffset + i * kMbrEntrySize;
    if (s[entry] != 0x00 && s[entry] != 0x80) return false;
    if (s[entry + 4] != 0) any_used = true;
  }
  return any_used;
}

bool has_gpt_header(Bytes head) {
  if (head.size < kGptHeaderOffset + 8) return false;
  return compare_bytes(head.data + kGptHeaderOffset, kGptSignature, 8) == 0;
}

}  // namespace instar::raw
