// footer.h: the VHD hard disk footer (qemu's block/vpc.c VHDFooter), qemu's probe, the footer
// checks vpc_open() makes and qemu 7.2's rule for the disk size (CHS geometry or current_size).
// Pure parsing: no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::vpc {

inline constexpr uint64_t kFooterSize = 512;  // HEADER_SIZE: what vpc_open() reads and sums
inline constexpr uint32_t kTypeFixed = 2;     // VHD_FIXED (3 dynamic, 4 differencing)
// VHD_MAX_SECTORS: 2040 GiB; a larger disk fails the open with -EFBIG.
inline constexpr uint64_t kMaxSectors = 0xff000000;
// VHD_MAX_GEOMETRY: 65535 cylinders x 16 heads x 255 sectors, what qemu writes with force_size.
inline constexpr uint64_t kMaxGeometry = 65535ull * 16 * 255;

// The footer, 512 bytes, all integers big-endian (VHDFooter). A fixed disk has it only at the end
// of the file; a dynamic (or differencing) disk also at offset 0, where qemu reads it.
//   0x000 char cookie[8]        "conectix"
//   0x008 u32  features
//   0x00c u32  version
//   0x010 u64  data_offset      the dynamic disk header's offset (all ones for a fixed disk)
//   0x018 u32  timestamp        seconds since 2000-01-01
//   0x01c char creator_app[4]   "qemu", "qem2", "vpc ", "win ", "d2v ", "tap\0", "CTXS", ...
//   0x020 u16  creator_major, u16 creator_minor
//   0x024 char creator_os[4]    "Wi2k"
//   0x028 u64  orig_size
//   0x030 u64  current_size     guest bytes, as Hyper-V and the current_size apps read it
//   0x038 u16  cyls, u8 heads, u8 secs_per_cyl   guest sectors as Virtual PC reads them
//   0x03c u32  type             2 fixed, 3 dynamic, 4 differencing
//   0x040 u32  checksum         ~(sum of the 512 bytes with this field zero)
//   0x044 u8   uuid[16]
//   0x054 u8   in_saved_state
//   0x055 u8   reserved[427]    part of the checksummed 512 bytes
struct Footer {
  bool has_cookie = false;
  uint64_t data_offset = 0;
  uint8_t creator_app[4] = {};
  uint64_t current_size = 0;
  uint16_t cyls = 0;
  uint8_t heads = 0;
  uint8_t secs_per_cyl = 0;
  uint32_t type = 0;
  uint32_t checksum = 0;           // as stored
  uint32_t computed_checksum = 0;  // vpc_checksum() of the footer with its checksum field zero
};

// The fields of kFooterSize bytes (zero-filled past EOF; a shorter buffer decodes as zeros).
Footer decode_footer(Bytes sector);

// Whether a footer found at the end of the file (no cookie at offset 0) makes a fixed disk:
// vpc_open() refuses anything else there with "invalid VPC image".
bool is_fixed_footer(const Footer& footer);

// vpc_open()'s checks of the footer it found, in qemu's order: the checksum, then the size
// (qemu 7.2's geometry vs current_size rule) against the 2040 GiB limit. Sets *sectors to the
// guest disk size in 512-byte sectors.
Status validate_footer(const Footer& footer, uint64_t* sectors);

// qemu 7.2's disk size rule: cyls * heads * secs_per_cyl, unless the creator app is one that
// sizes disks by current_size ("win ", "qem2", "d2v ", "CTXS", "tap\0") or the geometry is
// kMaxGeometry (qemu's force_size=on), then current_size / 512.
uint64_t disk_sectors(const Footer& footer);

// vpc_probe(): 100 when the head starts with "conectix", else 0.
int probe(Bytes head);

}  // namespace instar::vpc
