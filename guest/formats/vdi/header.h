// header.h: the VirtualBox VDI header (qemu's block/vdi.c VdiHeader), qemu's probe and the checks
// vdi_open() makes of it. Pure parsing: no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::vdi {

inline constexpr uint32_t kSignature = 0xbeda107f;  // VDI_SIGNATURE
inline constexpr uint32_t kVersion11 = 0x00010001;  // VDI_VERSION_1_1
inline constexpr uint32_t kTypeStatic = 2;          // VDI_TYPE_STATIC (1 is dynamic)
inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint32_t kBlockSize = 1u << 20;  // DEFAULT_CLUSTER_SIZE: the only one qemu opens
inline constexpr uint64_t kHeaderSize = 512;      // sizeof(VdiHeader), what vdi_open() reads
// VDI_BLOCKS_IN_IMAGE_MAX: (INT_MAX + 1 - 512) / 4, so that the block map, rounded up to whole
// sectors, stays a single read of at most INT_MAX bytes.
inline constexpr uint32_t kMaxBlocks = 0x1fffff80;
inline constexpr uint64_t kMaxDiskSize = uint64_t{kMaxBlocks} * kBlockSize;  // VDI_DISK_SIZE_MAX
// Block map entries at or above this are not allocated: 0xffffffff never allocated (reads as
// zeros in qemu), 0xfffffffe discarded.
inline constexpr uint32_t kFirstUnallocated = 0xfffffffe;

// The on-disk header, all integers little-endian (VdiHeader, 512 bytes packed):
//   0x000 char text[64]              "<<< ... Disk Image >>>\n", ignored
//   0x040 u32  signature             0xbeda107f
//   0x044 u32  version               0x00010001 (major << 16 | minor)
//   0x048 u32  header_size           not checked by qemu 7.2
//   0x04c u32  image_type            1 dynamic, 2 static (only block status looks at it)
//   0x050 u32  image_flags
//   0x054 char description[256]
//   0x154 u32  offset_bmap           byte offset of the block map (sector aligned)
//   0x158 u32  offset_data           byte offset of block 0 (sector aligned)
//   0x15c u32  cylinders, heads, sectors (geometry, unused)
//   0x168 u32  sector_size           512
//   0x16c u32  unused1
//   0x170 u64  disk_size             guest bytes (qemu rounds it up to a sector)
//   0x178 u32  block_size            1 MiB
//   0x17c u32  block_extra           unused
//   0x180 u32  blocks_in_image       block map entries
//   0x184 u32  blocks_allocated      what check compares the map against
//   0x188 u8   uuid_image[16], 0x198 uuid_last_snap[16]
//   0x1a8 u8   uuid_link[16]         must be all zero
//   0x1b8 u8   uuid_parent[16]       must be all zero
//   0x1c8 u64  unused2[7]
// The block map is blocks_in_image u32 entries: the index of the block's data in the file
// (offset_data + entry * block_size), or an unallocated value (kFirstUnallocated and above).
struct Header {
  uint32_t signature = 0;
  uint32_t version = 0;
  uint32_t image_type = 0;
  uint32_t offset_bmap = 0;
  uint32_t offset_data = 0;
  uint32_t sector_size = 0;
  uint64_t disk_size = 0;
  uint32_t block_size = 0;
  uint32_t blocks_in_image = 0;
  uint32_t blocks_allocated = 0;
  bool link_uuid_null = true;
  bool parent_uuid_null = true;
};

// The fields of the kHeaderSize bytes at the start of the file (zero-filled past EOF).
Header decode_header(Bytes sector);

// vdi_open()'s checks of a decoded header, in qemu's order (the disk size limit comes before the
// signature), each failing with qemu's error. On success the disk size is rounded up to a whole
// sector, as qemu accepts odd sizes.
Status validate(Header* header);

// Bytes of the block map vdi_open() reads: blocks_in_image entries, rounded up to a sector.
uint64_t block_map_bytes(const Header& header);

// vdi_probe(): 100 when the signature at 0x40 is VDI's, else 0 (the head is at least 512 bytes).
int probe(Bytes head);

}  // namespace instar::vdi
