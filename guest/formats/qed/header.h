// header.h: the QED header (qemu's block/qed.h QEDHeader), qemu's bdrv_qed_probe() and the checks
// bdrv_qed_do_open() makes of it, plus the geometry derived from it. Pure parsing: no I/O.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qed {

inline constexpr uint32_t kMagic = 0x00444551;  // QED_MAGIC: "QED\0" little-endian
inline constexpr uint64_t kHeaderBytes = 64;    // sizeof(QEDHeader), what bdrv_qed_do_open() reads
inline constexpr uint64_t kFeatureBackingFile = 0x01;     // QED_F_BACKING_FILE
inline constexpr uint64_t kFeatureNeedCheck = 0x02;       // QED_F_NEED_CHECK
inline constexpr uint64_t kFeatureBackingNoProbe = 0x04;  // QED_F_BACKING_FORMAT_NO_PROBE
inline constexpr uint64_t kFeatureMask = 0x07;            // QED_FEATURE_MASK
inline constexpr uint32_t kMinClusterSize = 4 * 1024;
inline constexpr uint32_t kMaxClusterSize = 64 * 1024 * 1024;
inline constexpr uint32_t kMinTableSize = 1;  // in clusters
inline constexpr uint32_t kMaxTableSize = 16;
// sizeof(bs->auto_backing_file) (PATH_MAX): qed_read_string() refuses names this long or longer.
inline constexpr uint64_t kBackingNameBuffer = 4096;
// Table entries: 0 is an unallocated cluster (or L2 table), 1 a zero cluster (L2 only).
inline constexpr uint64_t kUnallocated = 0;
inline constexpr uint64_t kZeroCluster = 1;

// The on-disk header, all integers little-endian (QEDHeader, 64 bytes packed):
//   0x00 u32 magic                    'Q' 'E' 'D' '\0'
//   0x04 u32 cluster_size             in bytes: power of 2 in [4 KiB, 64 MiB]
//   0x08 u32 table_size               L1 and L2 tables, in clusters: power of 2 in [1, 16]
//   0x0c u32 header_size              in clusters
//   0x10 u64 features                 QED_F_BACKING_FILE 1, NEED_CHECK 2, BACKING_FORMAT_NO_PROBE 4
//   0x18 u64 compat_features          none known (not checked on open)
//   0x20 u64 autoclear_features       none known (cleared by read-write opens only)
//   0x28 u64 l1_table_offset          in bytes
//   0x30 u64 image_size               guest bytes
//   0x38 u32 backing_filename_offset  in bytes from the start of the file
//   0x3c u32 backing_filename_size    in bytes
// Each table is table_size clusters of little-endian u64 entries: the L1 table's name L2 tables,
// the L2 tables' name data clusters (0 unallocated, 1 zero cluster).
struct Header {
  uint32_t magic = 0;
  uint32_t cluster_size = 0;
  uint32_t table_size = 0;
  uint32_t header_size = 0;
  uint64_t features = 0;
  uint64_t compat_features = 0;
  uint64_t autoclear_features = 0;
  uint64_t l1_table_offset = 0;
  uint64_t image_size = 0;
  uint32_t backing_filename_offset = 0;
  uint32_t backing_filename_size = 0;
};

// The fields of the kHeaderBytes bytes at the start of the file (zero-filled past EOF).
Header decode_header(Bytes bytes);

// What bdrv_qed_do_open() derives from a valid header and the file's length.
struct Geometry {
  uint64_t file_size = 0;     // s->file_size: the file length, rounded up to a sector (as
                              // bdrv_getlength() gives it), then down to a cluster
  uint64_t table_nelems = 0;  // entries per table
  uint32_t l2_shift = 0;      // log2(cluster_size)
  uint32_t l1_shift = 0;      // l2_shift + log2(table_nelems): guest bytes per L2 table
  uint64_t header_bytes = 0;  // header_size * cluster_size
};

// bdrv_qed_do_open()'s checks of a decoded header against the file length, in qemu's order,
// each failing with qemu's error; on success fills `geometry`. The backing file name's bounds are
// checked here too (its bytes are read by the caller).
Status validate(const Header& header, uint64_t file_length, Geometry* geometry);

// qed_check_cluster_offset(): cluster aligned, past the header and before the rounded file end.
bool valid_cluster_offset(const Header& header, const Geometry& geometry, uint64_t offset);
// qed_check_table_offset(): a table's first and last clusters are valid cluster offsets (and a
// one-cluster table never is: qemu's overflow check rejects an end equal to the start).
bool valid_table_offset(const Header& header, const Geometry& geometry, uint64_t offset);

// qed_bytes_to_clusters() as qemu computes it: rounded up to clusters, then divided by
// cluster_size - 1 (sic), which check's cluster numbering inherits.
uint64_t bytes_to_clusters(const Header& header, uint64_t bytes);

// bdrv_qed_probe(): 100 when the head holds a whole header with QED's magic, else 0.
int probe(Bytes head);

}  // namespace instar::qed
