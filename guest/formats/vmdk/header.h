// header.h: the VMDK4 sparse extent header ("KDMV"), its stream footer and qemu's probe.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"

namespace instar::vmdk {

inline constexpr uint32_t kMagicVmdk4 = 0x4b444d56;  // "KDMV", VMDK4_MAGIC
inline constexpr uint32_t kMagicVmdk3 = 0x434f5744;  // "COWD", VMDK3_MAGIC (VMFS sparse)
inline constexpr uint64_t kSectorSize = 512;

// VMDK4Header after the 4-byte magic: 75 packed little-endian bytes.
inline constexpr uint64_t kHeaderSize = 75;

inline constexpr uint32_t kFlagRedundantGd = 1u << 1;  // VMDK4_FLAG_RGD
inline constexpr uint32_t kFlagZeroGrain = 1u << 2;    // VMDK4_FLAG_ZERO_GRAIN
inline constexpr uint32_t kFlagMarker = 1u << 17;      // VMDK4_FLAG_MARKER
inline constexpr uint16_t kCompressionDeflate = 1;     // VMDK4_COMPRESSION_DEFLATE
inline constexpr uint64_t kGdAtEnd = ~uint64_t{0};     // VMDK4_GD_AT_END: the footer has it

// The footer qemu reads for a stream-optimized image: the footer marker sector, the footer (a
// second header), the end-of-stream marker sector, ending 512 bytes before the file's end.
inline constexpr uint64_t kFooterSize = 3 * kSectorSize;
inline constexpr uint64_t kFooterDistance = 1536;  // from total_sectors * 512

struct Header {
  uint32_t version = 0;
  uint32_t flags = 0;
  uint64_t capacity = 0;     // sectors
  uint64_t granularity = 0;  // sectors per grain
  uint64_t desc_offset = 0;  // sectors
  uint64_t desc_size = 0;    // sectors
  uint32_t num_gtes_per_gt = 0;
  uint64_t rgd_offset = 0;    // sectors
  uint64_t gd_offset = 0;     // sectors
  uint64_t grain_offset = 0;  // sectors
  uint16_t compress_algorithm = 0;
};

// The header's fields from the kHeaderSize bytes that follow the magic.
Header decode_header(Bytes after_magic);

// vmdk_open_vmdk4()'s footer sanity checks on the kFooterSize bytes it reads: the footer's magic,
// a footer marker (size 0, type 3) before it and an end-of-stream marker (all zero) after it.
// On success `*out` is the footer's header.
bool decode_footer(Bytes footer, Header* out);

// vmdk_probe(): 100 for either sparse magic or a text descriptor whose first line that is not a
// comment or blank is "version=1", "version=2" or "version=3" (LF or CRLF); otherwise 0.
int probe(Bytes head);

}  // namespace instar::vmdk
