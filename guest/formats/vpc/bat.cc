// bat.cc: lazy lookups in a VHD block allocation table and vpc_open()'s truncation check.
#include "guest/formats/vpc/bat.h"

#include <new>

namespace instar::vpc {

namespace {

constexpr uint64_t kWindowBytes = 64 * 1024;  // 16384 entries per refill
constexpr uint64_t kSectorSize = 512;
// BDRV_REQUEST_MAX_BYTES: bdrv_pread() fails with -EIO for a larger single read.
constexpr uint64_t kMaxRequest = 0x7ffffe00;

uint64_t round_up(uint64_t v) {
  return (v + kSectorSize - 1) / kSectorSize * kSectorSize;
}

}  // namespace

Status Bat::open(BlockSource& source, const DynamicHeader& header, Arena& arena) {
  const uint64_t bytes = table_bytes(header);
  if (bytes > kMaxRequest || header.table_offset > kMaxLength - bytes) {
    return Status(instar_guest_ErrorCode_ERROR_VPC_PAGETABLE_READ);
  }
  auto* window = arena.allocate_array<uint8_t>(kWindowBytes);
  void* memory = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  reader_ = new (memory) WindowedReader(source, MutableBytes(window, kWindowBytes));
  offset_ = header.table_offset;
  entries_ = header.max_table_entries;
  // The BAT itself must end inside the file; checking that first spares scanning a table that
  // lies past EOF (the scan can only move the end further out).
  const uint64_t file_end = round_up(source.size());
  uint64_t free_offset = round_up(offset_ + bytes);
  if (free_offset > file_end) return Status(instar_guest_ErrorCode_ERROR_VPC_TRUNCATED);
  const uint64_t block_bytes = bitmap_size(header) + header.block_size;
  for (uint32_t i = 0; i < entries_; ++i) {
    uint32_t value = 0;
    INSTAR_TRY(entry(i, &value));
    if (value == kUnallocated) continue;
    const uint64_t next = uint64_t{value} * kSectorSize + block_bytes;
    if (next > free_offset) free_offset = next;
  }
  if (free_offset > file_end) return Status(instar_guest_ErrorCode_ERROR_VPC_TRUNCATED);
  return Status::Ok();
}

Status Bat::entry(uint32_t index, uint32_t* value) {
  if (index >= entries_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t raw[4];
  INSTAR_TRY(reader_->read(offset_ + uint64_t{index} * 4, MutableBytes(raw, sizeof raw)));
  *value = load_be32(raw);
  return Status::Ok();
}

}  // namespace instar::vpc
