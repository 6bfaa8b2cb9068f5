// dynamic_header.h: the VHD dynamic disk header (qemu's block/vpc.c VHDDynDiskHeader) and the
// checks vpc_open() makes of it and of the block allocation table it locates. Pure parsing.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::vpc {

inline constexpr uint64_t kDynamicHeaderSize = 1024;  // sizeof(VHDDynDiskHeader): qemu reads all
inline constexpr uint32_t kUnallocated = 0xffffffff;  // a BAT entry of a block never written
// BDRV_MAX_LENGTH: bdrv_pread() fails with -EIO for a range ending beyond it.
inline constexpr uint64_t kMaxLength = 0x7fffffffc0000000;

// The dynamic disk header, at the footer's data_offset, 1024 bytes, big-endian:
//   0x000 char magic[8]            "cxsparse"
//   0x008 u64  data_offset         all ones (unused)
//   0x010 u64  table_offset        the BAT's offset in the file
//   0x018 u32  version             not checked by qemu
//   0x01c u32  max_table_entries   BAT entries (qemu holds it in an int)
//   0x020 u32  block_size          a power of two, at least 512 (2 MiB by default)
//   0x024 u32  checksum            not checked by qemu
//   0x028 u8   parent_uuid[16], u32 parent_timestamp, u32 reserved
//   0x040 u8   parent_name[512]    UTF-16 (a differencing disk's parent: qemu ignores it)
//   0x240 parent_locator[8]        24 bytes each; then 256 reserved bytes
// The BAT is max_table_entries big-endian u32s: the sector (512-byte unit) of the block's bitmap,
// which the block's data follows (bitmap_size() bytes later), or kUnallocated.
struct DynamicHeader {
  bool has_magic = false;
  uint64_t table_offset = 0;
  uint32_t max_table_entries = 0;
  uint32_t block_size = 0;
};

// The fields of kDynamicHeaderSize bytes (zero-filled past EOF; shorter decodes as zeros).
DynamicHeader decode_dynamic_header(Bytes header);

// vpc_open()'s checks of the header against the disk's `sectors`, in qemu's order: the magic,
// the block size, the block count, the BAT's coverage, the BAT's size.
Status validate_dynamic_header(const DynamicHeader& header, uint64_t sectors);

// The bytes of a block's sector bitmap, which precedes its data: one bit per sector, rounded up
// to a whole sector.
uint64_t bitmap_size(const DynamicHeader& header);

// The BAT's bytes (max_table_entries * 4, after validation at most INT_MAX - 3).
uint64_t table_bytes(const DynamicHeader& header);

}  // namespace instar::vpc
