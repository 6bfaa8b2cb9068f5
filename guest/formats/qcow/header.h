// header.h: the qcow (v1) header (qemu's block/qcow.c QCowHeader), qemu's qcow_probe() and the
// checks qcow_open() makes of it, plus the geometry derived from it. Pure parsing: no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow {

inline constexpr uint32_t kMagic = 0x514649fb;  // QCOW_MAGIC: "QFI\xfb"
inline constexpr uint32_t kVersion = 1;         // QCOW_VERSION
inline constexpr uint64_t kHeaderBytes = 48;    // sizeof(QCowHeader), what qcow_open() reads
inline constexpr uint32_t kCryptAes = 1;        // QCOW_CRYPT_AES (0 is none)
inline constexpr uint64_t kCompressed = uint64_t{1} << 63;  // QCOW_OFLAG_COMPRESSED
inline constexpr uint64_t kMaxBackingName = 1023;           // qcow_open()'s limit
// BDRV_MAX_LENGTH: bdrv_pread() fails with -EIO for a range ending beyond it.
inline constexpr uint64_t kMaxLength = 0x7fffffffc0000000;

// The on-disk header, all integers big-endian (QCowHeader, 48 bytes packed):
//   0x00 u32 magic                "QFI\xfb"
//   0x04 u32 version              1 (2 and 3 are qcow2's)
//   0x08 u64 backing_file_offset  0: no backing file
//   0x10 u32 backing_file_size    at most 1023
//   0x14 u32 mtime                ignored
//   0x18 u64 size                 guest bytes (qemu uses size / 512 sectors)
//   0x20 u8  cluster_bits         9..16
//   0x21 u8  l2_bits              6..13 (entries per L2 table, 8 bytes each)
//   0x22 u16 padding
//   0x24 u32 crypt_method         0 none, 1 AES-CBC
//   0x28 u64 l1_table_offset
// The L1 table holds ceil(size / 2^(cluster_bits + l2_bits)) big-endian u64 L2 table offsets (0:
// none); each L2 table 2^l2_bits big-endian u64 cluster entries: 0 unallocated, bit 63 set a
// compressed cluster (bits 62..63-cluster_bits its byte count, the rest its offset), else the
// cluster's byte offset.
struct Header {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint64_t backing_file_offset = 0;
  uint32_t backing_file_size = 0;
  uint64_t size = 0;
  uint8_t cluster_bits = 0;
  uint8_t l2_bits = 0;
  uint32_t crypt_method = 0;
  uint64_t l1_table_offset = 0;
};

// What qcow_open() derives from a valid header.
struct Geometry {
  uint64_t cluster_size = 0;
  uint64_t l2_entries = 0;  // l2_size
  uint32_t l1_entries = 0;  // l1_size: at most INT_MAX / 8
  uint64_t length = 0;      // total_sectors * 512: the size rounded down to a sector
};

// The fields of the kHeaderBytes at the start of the file (zero-filled past EOF).
Header decode_header(Bytes bytes);

// qcow_open()'s checks, in qemu's order: the header fields; an AES image opened for I/O (`no_io`
// false) needs `encrypt.key-secret`, which instar does not take (ERROR_ENCRYPTION_KEY_REQUIRED,
// where qcrypto_block_open() fails); the L1 table size; the L1 table's and backing name's reads
// past BDRV_MAX_LENGTH (ERROR_SMALL_OPEN_EIO).
Status validate(const Header& header, bool no_io, Geometry* geometry);

// The compressed cluster an L2 entry with kCompressed names: its bytes in the file.
struct CompressedExtent {
  uint64_t offset = 0;
  uint64_t size = 0;
};
CompressedExtent compressed_extent(uint64_t entry, uint8_t cluster_bits);

// qcow_probe(): 100 for the magic and version 1 in a head of at least kHeaderBytes, else 0.
int probe(Bytes head);

}  // namespace instar::qcow
