// structures.h: the VHDX on-disk structures qemu 7.2's block/vhdx.c reads (block/vhdx.h): the
// file identifier, the two headers, the region table, the metadata table and its items, the BAT
// geometry, with their CRC32C checksums and the checks vhdx_open() makes of each. Pure parsing:
// no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::vhdx {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kHeader1Offset = 64 * kKiB;  // VHDX_HEADER1_OFFSET
inline constexpr uint64_t kHeader2Offset = 128 * kKiB;
inline constexpr uint64_t kHeaderSize = 4 * kKiB;  // the checksum covers the whole 4 KiB
inline constexpr uint64_t kRegionTableOffset = 192 * kKiB;
inline constexpr uint64_t kRegionTableSize = 64 * kKiB;  // VHDX_HEADER_BLOCK_SIZE
inline constexpr uint32_t kMaxRegionEntries = 2047;
inline constexpr uint64_t kMetadataTableSize = 64 * kKiB;  // VHDX_METADATA_TABLE_MAX_SIZE
inline constexpr uint64_t kLogMinSize = kMiB;              // VHDX_LOG_MIN_SIZE
inline constexpr uint64_t kLogSectorSize = 4 * kKiB;
inline constexpr uint32_t kBlockSizeMin = 1 << 20;  // VHDX_BLOCK_SIZE_MIN
inline constexpr uint32_t kBlockSizeMax = 256 << 20;
inline constexpr uint64_t kMaxSectorsPerBlock = uint64_t{1} << 23;  // VHDX_MAX_SECTORS_PER_BLOCK
// BDRV_MAX_LENGTH: bdrv_pread() fails with -EIO for a range ending beyond it.
inline constexpr uint64_t kMaxLength = 0x7fffffffc0000000;
// BDRV_REQUEST_MAX_BYTES: a longer bdrv_pread() fails with -EIO (the BAT read).
inline constexpr uint64_t kRequestMaxBytes = 0x7ffffe00;

// BAT entry: state in bits 0-2, the file offset (1 MiB units) in bits 20-63.
inline constexpr uint64_t kBatStateMask = 0x07;
inline constexpr uint64_t kBatOffsetMask = 0xfffffffffff00000;
enum BlockState : uint32_t {
  kNotPresent = 0,
  kUndefined = 1,
  kZero = 2,
  kUnmapped = 3,
  kUnmappedV095 = 5,
  kFullyPresent = 6,
  kPartiallyPresent = 7,
};

// Why vhdx_open() returns -EINVAL / -ENOTSUP without a message: instar's reason numbers, the
// args of ERROR_VHDX_EINVAL / ERROR_VHDX_ENOTSUP (tests tell refusals apart by them).
enum Reason : uint32_t {
  kReasonFileSignature = 1,
  kReasonLogOffset = 2,
  kReasonLogVersion = 3,
  kReasonLogLength = 4,
  kReasonLogDescriptor = 5,
  kReasonRegionChecksum = 6,
  kReasonRegionSignature = 7,
  kReasonRegionCount = 8,
  kReasonRegionDuplicate = 9,
  kReasonRegionRequired = 10,
  kReasonRegionMissing = 11,
  kReasonMetadataSignature = 12,
  kReasonMetadataCount = 13,
  kReasonMetadataDuplicate = 14,
  kReasonMetadataRequired = 15,
  kReasonMetadataMissing = 16,
  kReasonParentNoLocator = 17,
  kReasonDifferencing = 18,
  kReasonBlockSize = 19,
  kReasonSectorSize = 20,
  kReasonGeometry = 21,
  kReasonBatTooSmall = 22,
  kReasonLogLoops = 23,  // instar's: a log whose search qemu would never finish
};

// qemu's crc32c(): the Castagnoli CRC of `data` continuing from `crc`, returned inverted (so
// crc32c(0xffffffff, x) is the standard CRC32C of x).
uint32_t crc32c(uint32_t crc, Bytes data);

// vhdx_checksum_is_valid(): the little-endian u32 at `crc_offset` is the CRC32C of `buffer`
// with those four bytes counted as zero.
bool checksum_valid(Bytes buffer, uint64_t crc_offset);

// The header (VHDXHeader, 4 KiB at 64 KiB and at 128 KiB, little-endian):
//   0x00 u32 signature        "head"
//   0x04 u32 checksum         CRC32C of the 4 KiB, this field zero
//   0x08 u64 sequence_number  the higher of two valid headers is current
//   0x10 u8  file_write_guid[16], 0x20 data_write_guid[16]
//   0x30 u8  log_guid[16]     all zero: no log to replay
//   0x40 u16 log_version      0
//   0x42 u16 version          1
//   0x44 u32 log_length       a multiple of 1 MiB
//   0x48 u64 log_offset       a multiple of 1 MiB, at least 1 MiB
//   0x50 u8  reserved[4016]
struct Header {
  bool valid = false;  // checksum, signature and version as vhdx_parse_header() wants them
  uint64_t sequence = 0;
  uint8_t log_guid[16] = {};
  uint16_t log_version = 0;
  uint16_t version = 0;
  uint32_t log_length = 0;
  uint64_t log_offset = 0;
};

Header decode_header(Bytes block);  // `block`: the kHeaderSize bytes

// vhdx_parse_header(): the current header of the two (kHeaderSize bytes each): the only valid
// one, else the higher sequence number; equal numbers only when the headers are identical
// (Disk2VHD writes them so). ERROR_VHDX_NO_VALID_HEADER otherwise.
Status select_header(Bytes first, Bytes second, Header* current);

// The regions vhdx_region_check() compares against: the log, then every region table entry
// (qemu keeps them newest first; `overlap` searches in that order).
struct Regions {
  static constexpr uint32_t kCapacity = 1 + kMaxRegionEntries;
  uint64_t start[kCapacity];
  uint64_t end[kCapacity];  // start + length, wrapping as qemu's u64 sum does
  uint32_t count = 0;

  void add(uint64_t offset, uint64_t length);
  // The index of the newest region [offset, offset + length) overlaps, or -1.
  int64_t overlap(uint64_t offset, uint64_t length) const;
};

// The region table (64 KiB at 192 KiB):
//   0x00 u32 signature "regi", 0x04 u32 checksum (of the 64 KiB), 0x08 u32 entry_count (<= 2047),
//   0x0c u32 reserved, then entry_count entries of 32 bytes:
//   0x00 u8 guid[16], 0x10 u64 file_offset, 0x18 u32 length, 0x1c u32 data_bits (bit 0: required)
// Known entries: the BAT (2dc27766-f623-4200-9d64-115e9bfd4a08) and the metadata region
// (8b7ca206-4790-4b9a-b8fe-575f050f886e), each exactly once.
struct RegionEntry {
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct RegionTable {
  RegionEntry bat;
  RegionEntry metadata;
};

// vhdx_open_region_tables(): checks the table and registers its entries in `regions` (which
// holds the log's region already), failing as qemu does: an overlap with ERROR_VHDX_REGION_OVERLAP
// (the two regions), the rest with ERROR_VHDX_EINVAL / ERROR_VHDX_ENOTSUP.
Status decode_region_table(Bytes table, Regions* regions, RegionTable* out);

// The metadata table (the first 64 KiB of the metadata region):
//   0x00 u64 signature "metadata", 0x08 u16 reserved, 0x0a u16 entry_count, 0x0c u32 reserved[5],
//   then entry_count entries of 32 bytes:
//   0x00 u8 item_id[16], 0x10 u32 offset (from the region's start), 0x14 u32 length,
//   0x18 u32 data_bits (bit 0 is_user, bit 1 is_virtual_disk, bit 2 is_required), 0x1c reserved
// Items: file parameters (u32 block_size, u32 data_bits: bit 0 leave_blocks_allocated, bit 1
// has_parent), virtual disk size (u64), page 83 data (16 bytes), logical sector size (u32),
// physical sector size (u32), parent locator (differencing images only).
struct MetadataTable {
  uint32_t file_parameters = 0;  // item offsets
  uint32_t virtual_disk_size = 0;
  uint32_t logical_sector_size = 0;
  uint32_t physical_sector_size = 0;
  bool parent_locator = false;
};

// vhdx_parse_metadata()'s table walk: duplicates, unknown required items and missing ones.
Status decode_metadata_table(Bytes table, MetadataTable* out);

inline constexpr uint32_t kParamsHasParent = 0x2;

// The geometry vhdx_parse_metadata() and vhdx_calc_bat_entries() derive.
struct Geometry {
  uint64_t virtual_disk_size = 0;  // as stored
  uint32_t block_size = 0;
  uint32_t logical_sector_size = 0;
  uint32_t sectors_per_block = 0;
  uint64_t chunk_ratio = 0;  // payload blocks per sector bitmap block
  uint32_t sectors_per_block_bits = 0;
  uint32_t chunk_ratio_bits = 0;
  uint32_t bat_entries = 0;    // qemu's u32 count, truncations included
  uint64_t total_sectors = 0;  // bs->total_sectors: virtual_disk_size >> 9
};

// The end of vhdx_parse_metadata() (block size and sector size checks) and
// vhdx_calc_bat_entries(), from the item values read.
Status derive_geometry(uint32_t block_size, uint64_t virtual_disk_size,
                       uint32_t logical_sector_size, Geometry* out);

// vhdx_block_translate(): the BAT index of the block holding 512-byte sector `sector` (sector
// bitmap entries interleaved after every chunk_ratio payload entries).
uint64_t bat_index(const Geometry& g, uint64_t sector);

// vhdx_probe(): 100 for "vhdxfile" at offset 0.
int probe(Bytes head);

}  // namespace instar::vhdx
