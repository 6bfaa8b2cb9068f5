// dynamic_header.cc: decoding and vpc_open()'s validation of the VHD dynamic disk header.
#include "guest/formats/vpc/dynamic_header.h"

namespace instar::vpc {

namespace {

constexpr uint64_t kTableOffsetAt = 0x10;
constexpr uint64_t kMaxTableEntriesAt = 0x1c;
constexpr uint64_t kBlockSizeAt = 0x20;
constexpr uint64_t kSectorSize = 512;
constexpr uint8_t kMagic[8] = {'c', 'x', 's', 'p', 'a', 'r', 's', 'e'};
// INT_MAX / 4: qemu's bound on max_table_entries, so that the BAT's byte size fits an int.
constexpr uint32_t kMaxTableEntries = 0x7fffffff / 4;

}  // namespace

DynamicHeader decode_dynamic_header(Bytes header) {
  DynamicHeader h;
  if (header.size < kDynamicHeaderSize) return h;
  const uint8_t* p = header.data;
  h.has_magic = true;
  for (uint64_t i = 0; i < sizeof kMagic; ++i) {
    if (p[i] != kMagic[i]) h.has_magic = false;
  }
  h.table_offset = load_be64(p + kTableOffsetAt);
  h.max_table_entries = load_be32(p + kMaxTableEntriesAt);
  h.block_size = load_be32(p + kBlockSizeAt);
  return h;
}

Status validate_dynamic_header(const DynamicHeader& h, uint64_t sectors) {
  if (!h.has_magic) return Status(instar_guest_ErrorCode_ERROR_VPC_HEADER_MAGIC);
  const uint32_t bs = h.block_size;
  if ((bs & (bs - 1)) != 0 || bs < kSectorSize) {  // is_power_of_2() is false for 0
    return Status(instar_guest_ErrorCode_ERROR_VPC_BLOCK_SIZE, bs);
  }
  const uint64_t disk_bytes = sectors * kSectorSize;  // sectors <= kMaxSectors: no overflow
  if (disk_bytes / bs > 0xffffffffu)
    return Status(instar_guest_ErrorCode_ERROR_VPC_TOO_MANY_BLOCKS);
  // qemu keeps max_table_entries in an int: an entry count of 2^31 or more is negative, and its
  // u64 product with the block size wraps (to at least 2^63, so this check then passes).
  const auto entries =
      static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(h.max_table_entries)));
  if (entries * bs < disk_bytes)
    return Status(instar_guest_ErrorCode_ERROR_VPC_PAGE_TABLE_TOO_SMALL);
  // A negative count compares above SIZE_MAX / 4 as a size_t; qemu prints it with PRId32.
  if (h.max_table_entries > kMaxTableEntries) {
    return Status(instar_guest_ErrorCode_ERROR_VPC_MAX_TABLE_ENTRIES, h.max_table_entries);
  }
  return Status::Ok();
}

uint64_t bitmap_size(const DynamicHeader& header) {
  return (uint64_t{header.block_size} / (8 * kSectorSize) + kSectorSize - 1) / kSectorSize *
         kSectorSize;
}

uint64_t table_bytes(const DynamicHeader& header) {
  return uint64_t{header.max_table_entries} * 4;
}

}  // namespace instar::vpc
