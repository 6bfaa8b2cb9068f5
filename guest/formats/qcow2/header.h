// header.h: the qcow2 image header: decoding and qemu 7.2's open-time validation of it.
#pragma once

#include <stdint.h>

#include "guest/lib/status.h"

namespace instar::qcow2 {

// On-disk header, all fields big-endian (docs/interop/qcow2.txt):
//
//   byte  0 -  3: magic                    "QFI\xfb"
//         4 -  7: version                  2 or 3
//         8 - 15: backing_file_offset      0 = no backing file; name is not NUL-terminated
//        16 - 19: backing_file_size        name length in bytes
//        20 - 23: cluster_bits             cluster size = 1 << cluster_bits
//        24 - 31: size                     virtual disk size in bytes
//        32 - 35: crypt_method             0 none, 1 AES-CBC, 2 LUKS
//        36 - 39: l1_size                  entries in the active L1 table
//        40 - 47: l1_table_offset          cluster aligned
//        48 - 55: refcount_table_offset    cluster aligned
//        56 - 59: refcount_table_clusters
//        60 - 63: nb_snapshots
//        64 - 71: snapshots_offset         cluster aligned
//   version 3 only (version 2 implies the defaults in brackets):
//        72 - 79: incompatible_features    [0]
//        80 - 87: compatible_features      [0]
//        88 - 95: autoclear_features       [0]
//        96 - 99: refcount_order           [4] refcount width = 1 << refcount_order bits
//       100 -103: header_length            [72] bytes of header; extensions follow it
//       104     : compression_type         [0] only if header_length > 104; 0 zlib, 1 zstd
//       105 -111: padding
struct Header {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint64_t backing_file_offset = 0;
  uint32_t backing_file_size = 0;
  uint32_t cluster_bits = 0;
  uint64_t size = 0;
  uint32_t crypt_method = 0;
  uint32_t l1_size = 0;
  uint64_t l1_table_offset = 0;
  uint64_t refcount_table_offset = 0;
  uint32_t refcount_table_clusters = 0;
  uint32_t nb_snapshots = 0;
  uint64_t snapshots_offset = 0;
  uint64_t incompatible_features = 0;
  uint64_t compatible_features = 0;
  uint64_t autoclear_features = 0;
  uint32_t refcount_order = 0;
  uint32_t header_length = 0;
  uint8_t compression_type = 0;

  // Valid once check_header_basics() passed.
  uint64_t cluster_size() const { return uint64_t{1} << cluster_bits; }
  // The end of the header extension area: the backing file name, or the end of cluster 0.
  uint64_t extensions_end() const {
    return backing_file_offset != 0 ? backing_file_offset : cluster_size();
  }
  // bs->total_sectors * 512: what qemu reports as the virtual size.
  uint64_t virtual_size() const { return size / 512 * 512; }
  bool has_extended_l2() const;
};

// Decodes the first kHeaderSize bytes of an image. Version-3 fields are read only for
// version >= 3; version 2 gets qemu's implied values. compression_type is zlib unless
// header_length covers byte 104. No validation.
Header decode_header(const uint8_t* bytes);

// qemu's checks up to (not including) the incompatible-feature check, in qemu's order: magic,
// version, cluster_bits, header_length, backing file offset, compression type.
Status check_header_basics(const Header& header);

// How qemu opens the image. `qemu-img check` opens with BDRV_O_CHECK, which accepts an image
// without a refcount table (the check then reports every cluster as unreferenced by refcounts)
// and leaves the snapshot table to the check itself (validate_snapshot_table). `qemu-img info` in
// releases with the CVE-2024-4467 fix opens with BDRV_O_NO_IO, which skips the external data file
// step, and with it the refusal of a data-file bit without a name and of data-file-raw without a
// data file (abi::kOpFlagNoIo).
enum class OpenMode { kNormal, kCheck, kNoIo };

// qemu's checks after the feature check, in its order: subcluster size, refcount order,
// refcount table, snapshot table location, active L1 table, image size, encryption method.
Status check_header_layout(const Header& header, OpenMode mode = OpenMode::kNormal);

// The snapshot table's count and offset (qcow2_validate_table): ERROR_SNAPSHOT_TABLE_TOO_LARGE
// or ERROR_SNAPSHOT_OFFSET_INVALID.
Status validate_snapshot_table(const Header& header);

}  // namespace instar::qcow2
