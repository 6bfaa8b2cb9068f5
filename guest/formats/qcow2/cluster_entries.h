// cluster_entries.h: pure decoders for qcow2 L1 and L2 (standard and extended) table entries.
#pragma once

#include <stdint.h>

namespace instar::qcow2 {

// L1 table entry (docs/interop/qcow2.txt "Cluster mapping"), big-endian u64:
//
//   bit  0 -  8: reserved (0)
//        9 - 55: L2 table offset, cluster aligned; 0 = the L2 table is unallocated
//       56 - 62: reserved (0)
//       63     : COPIED: the L2 table's refcount is exactly 1
inline constexpr uint64_t kL1OffsetMask = 0x00fffffffffffe00ull;    // L1E_OFFSET_MASK
inline constexpr uint64_t kL1ReservedMask = 0x7f000000000001ffull;  // L1E_RESERVED_MASK
inline constexpr uint64_t kOflagCopied = 1ull << 63;                // QCOW_OFLAG_COPIED
inline constexpr uint64_t kOflagCompressed = 1ull << 62;            // QCOW_OFLAG_COMPRESSED
inline constexpr uint64_t kOflagZero = 1ull << 0;                   // QCOW_OFLAG_ZERO

struct L1Entry {
  uint64_t l2_offset = 0;
  bool copied = false;
  bool reserved_set = false;
};

constexpr L1Entry decode_l1_entry(uint64_t raw) {
  L1Entry e;
  e.l2_offset = raw & kL1OffsetMask;
  e.copied = (raw & kOflagCopied) != 0;
  e.reserved_set = (raw & kL1ReservedMask) != 0;
  return e;
}

// Standard L2 table entry, big-endian u64:
//
//   bit  0 - 61: cluster descriptor
//       62     : 0 = standard cluster, 1 = compressed cluster
//       63     : COPIED (never set for compressed clusters)
//
// Standard cluster descriptor:
//   bit  0     : all zeros (v3; reserved when the image has extended L2 entries)
//        1 -  8: reserved (0)
//        9 - 55: host cluster offset, cluster aligned; 0 = unallocated (unless external data file)
//       56 - 61: reserved (0)
//
// Compressed cluster descriptor, x = 62 - (cluster_bits - 8):
//   bit  0 - x-1: host offset of the compressed data (any byte)
//        x - 61 : number of additional 512-byte sectors the data occupies
//
// Extended L2 entries (incompatible bit 4) are 16 bytes: the u64 above, then a u64 subcluster
// bitmap: bit n (0..31) = subcluster n allocated, bit 32+n = subcluster n reads as zeros.
inline constexpr uint64_t kL2OffsetMask = 0x00fffffffffffe00ull;       // L2E_OFFSET_MASK
inline constexpr uint64_t kL2StdReservedMask = 0x3f000000000001feull;  // L2E_STD_RESERVED_MASK
inline constexpr uint64_t kL2BitmapAllAlloc = 0xffffffffull;           // QCOW_L2_BITMAP_ALL_ALLOC

// qemu's QCow2ClusterType.
enum class ClusterType : uint8_t {
  kUnallocated,
  kZeroPlain,  // reads as zeros, no host cluster
  kZeroAlloc,  // reads as zeros, host cluster preallocated
  kNormal,
  kCompressed,
};

// qcow2_get_cluster_type(): with subclusters the zero bit is not looked at (the bitmap decides);
// with an external data file offset 0 is a valid host offset when COPIED is set.
constexpr ClusterType classify_l2_entry(uint64_t entry, bool extended_l2, bool has_data_file) {
  if ((entry & kOflagCompressed) != 0) return ClusterType::kCompressed;
  if ((entry & kOflagZero) != 0 && !extended_l2) {
    return (entry & kL2OffsetMask) != 0 ? ClusterType::kZeroAlloc : ClusterType::kZeroPlain;
  }
  if ((entry & kL2OffsetMask) == 0) {
    return has_data_file && (entry & kOflagCopied) != 0 ? ClusterType::kNormal
                                                        : ClusterType::kUnallocated;
  }
  return ClusterType::kNormal;
}

// Host bytes of a compressed cluster, as qcow2_parse_compressed_l2_entry() computes them: the
// run starts at `offset` and ends at the end of its last 512-byte sector.
struct CompressedExtent {
  uint64_t offset = 0;
  uint64_t size = 0;
};

constexpr CompressedExtent decode_compressed_l2_entry(uint64_t entry, uint32_t cluster_bits) {
  const uint32_t csize_shift = 62 - (cluster_bits - 8);
  const uint64_t csize_mask = (uint64_t{1} << (cluster_bits - 8)) - 1;
  const uint64_t offset_mask = (uint64_t{1} << csize_shift) - 1;
  CompressedExtent c;
  c.offset = entry & offset_mask;
  const uint64_t sectors = ((entry >> csize_shift) & csize_mask) + 1;
  c.size = sectors * 512 - (c.offset & 511);
  return c;
}

// Bytes of one L2 entry (8, or 16 with extended L2) and entries per L2 table.
constexpr uint64_t l2_entry_size(bool extended_l2) {
  return extended_l2 ? 16 : 8;
}

}  // namespace instar::qcow2
