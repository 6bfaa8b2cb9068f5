// header_writer.h: the header cluster qcow2_update_header() writes (header, extensions, name).
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Every field qcow2_update_header() takes from the open image's state.
struct HeaderFields {
  uint32_t version = 3;
  uint32_t cluster_bits = 16;
  uint64_t size = 0;
  uint32_t l1_size = 0;
  uint64_t l1_table_offset = 0;
  uint64_t refcount_table_offset = 0;
  uint32_t refcount_table_clusters = 0;
  uint32_t nb_snapshots = 0;
  uint64_t snapshots_offset = 0;
  uint64_t incompatible_features = 0;
  uint64_t compatible_features = 0;
  uint64_t autoclear_features = 0;
  uint32_t refcount_order = 4;
  uint8_t compression_type = 0;
  Bytes backing_format;  // data == nullptr: no backing-format extension
  Bytes data_file;       // data == nullptr: no external-data-file extension
  Bytes backing_file;    // data == nullptr: no backing file
  // A header rewrite of an open image: its extension area (the bytes from the header's end to
  // the backing name or the cluster's end). Extensions of magics qemu does not know are kept
  // (qemu's s->unknown_header_ext) and written back after the feature table, in the reverse of
  // their order here (qemu inserts each at the head of its list).
  Bytes kept_extensions;
};

// Fills `cluster` (cluster_size bytes) as qcow2_update_header() does: the v2 or v3 header,
// backing format, data file and (v3, clusters over 4k) feature name table extensions, the kept
// unknown extensions, the end marker, then the backing file name. Fails with
// ERROR_CREATE_HEADER_NO_SPACE where qemu gets -ENOSPC.
Status build_header_cluster(const HeaderFields& fields, MutableBytes cluster);

}  // namespace instar::qcow2
