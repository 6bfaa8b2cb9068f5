// header.h: the Parallels (ploop) image header (qemu's block/parallels.h ParallelsHeader), qemu's
// parallels_probe() and the checks parallels_open() makes of it for a read-only open, plus the
// geometry derived from it. Pure parsing: no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::parallels {

inline constexpr uint64_t kHeaderBytes = 64;               // sizeof(ParallelsHeader)
inline constexpr uint32_t kVersion = 2;                    // HEADER_VERSION
inline constexpr uint32_t kInUseMagic = 0x746f6e59;        // HEADER_INUSE_MAGIC
inline constexpr uint64_t kExtMagic = 0xab234cef23dcea87;  // PARALLELS_FORMAT_EXTENSION_MAGIC
// BDRV_MAX_LENGTH and BDRV_REQUEST_MAX_BYTES: bdrv_pread() fails with -EIO for a range ending
// beyond the first or longer than the second.
inline constexpr uint64_t kMaxLength = 0x7fffffffc0000000;
inline constexpr uint64_t kMaxRequest = 0x7ffffe00;

// The on-disk header, all integers little-endian (ParallelsHeader, 64 bytes packed):
//   0x00 char magic[16]    "WithoutFreeSpace" (BAT entries in sectors, 32-bit size) or
//                          "WithouFreSpacExt" (BAT entries in clusters, 64-bit size)
//   0x10 u32  version      2
//   0x14 u32  heads, 0x18 u32 cylinders (geometry, unused)
//   0x1c u32  tracks       sectors per cluster
//   0x20 u32  bat_entries
//   0x24 u64  nb_sectors   guest size in sectors (the old magic uses its low 32 bits)
//   0x2c u32  inuse        kInUseMagic: not closed correctly (check reports it)
//   0x30 u32  data_off     first data sector (0: right after the BAT)
//   0x34 u32  flags
//   0x38 u64  ext_off      Format Extension cluster, in sectors (0: none)
// The BAT follows at 0x40: bat_entries u32s, each 0 (unallocated) or the cluster's place in the
// file, in units of off_multiplier sectors (1 for the old magic, tracks for the new one).
struct Header {
  bool old_magic = false;  // "WithoutFreeSpace"
  bool new_magic = false;  // "WithouFreSpacExt"
  uint32_t version = 0;
  uint32_t tracks = 0;
  uint32_t bat_entries = 0;
  uint64_t nb_sectors = 0;
  uint32_t inuse = 0;
  uint32_t data_off = 0;
  uint64_t ext_off = 0;
};

// What parallels_open() derives from a valid header.
struct Geometry {
  uint64_t cluster_size = 0;    // tracks * 512
  uint64_t off_multiplier = 0;  // sectors per BAT unit
  uint64_t total_sectors = 0;   // bs->total_sectors (may exceed INT64_MAX / 512: the caller's)
};

// The fields of the kHeaderBytes at the start of the file (zero-filled past EOF).
Header decode_header(Bytes bytes);

// parallels_open()'s checks for a read-only open, in qemu's order: version and magic, tracks,
// the BAT's size and the size of the header read that holds it (ERROR_SMALL_OPEN_EIO).
Status validate(const Header& header, Geometry* geometry);

// parallels_probe(): 100 for either magic with version 2 in a head of at least 64 bytes.
int probe(Bytes head);

}  // namespace instar::parallels
