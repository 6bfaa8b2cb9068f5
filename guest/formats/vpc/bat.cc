// bat.cc: vpc_open()'s BAT read checks and its truncation scan.
#include "guest/formats/vpc/bat.h"

namespace instar::vpc {

namespace {

constexpr uint64_t kSectorSize = 512;
// BDRV_REQUEST_MAX_BYTES: bdrv_pread() fails with -EIO for a larger single read.
constexpr uint64_t kMaxRequest = 0x7ffffe00;

uint64_t round_up(uint64_t v) {
  return (v + kSectorSize - 1) / kSectorSize * kSectorSize;
}

}  // namespace

Status open_bat(BlockSource& source, const DynamicHeader& header, Arena& arena, EntryTable* bat) {
  const uint64_t bytes = table_bytes(header);
  if (bytes > kMaxRequest || header.table_offset > kMaxLength - bytes) {
    return Status(instar_guest_ErrorCode_ERROR_VPC_PAGETABLE_READ);
  }
  INSTAR_TRY(bat->open(source, header.table_offset, header.max_table_entries,
                       EntryTable::Order::kBigEndian, arena));
  // The BAT itself must end inside the file; checking that first spares scanning a table that
  // lies past EOF (the scan can only move the end further out).
  const uint64_t file_end = round_up(source.size());
  uint64_t free_offset = round_up(header.table_offset + bytes);
  if (free_offset > file_end) return Status(instar_guest_ErrorCode_ERROR_VPC_TRUNCATED);
  const uint64_t block_bytes = bitmap_size(header) + header.block_size;
  for (uint32_t i = 0; i < bat->count(); ++i) {
    uint32_t value = 0;
    INSTAR_TRY(bat->entry(i, &value));
    if (value == kUnallocated) continue;
    const uint64_t next = uint64_t{value} * kSectorSize + block_bytes;
    if (next > free_offset) free_offset = next;
  }
  if (free_offset > file_end) return Status(instar_guest_ErrorCode_ERROR_VPC_TRUNCATED);
  return Status::Ok();
}

}  // namespace instar::vpc
