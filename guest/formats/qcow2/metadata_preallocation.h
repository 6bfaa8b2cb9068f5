// metadata_preallocation.h: qemu's test for a qcow2 image whose clusters are in use without the
// file system holding them (preallocation=metadata), after which its block status asks the file.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Where the refcounts of an opened image are (its header's fields).
struct RefcountGeometry {
  uint64_t table_offset = 0;
  uint32_t table_clusters = 0;
  uint32_t cluster_bits = 0;
  uint32_t refcount_order = 0;
};

// qcow2_detect_metadata_preallocation(): whether at least max(real * 10 / 9, real + 2) clusters
// of the image file `file` have a nonzero refcount, `real` being the clusters the file system
// allocated for it (`allocated_bytes` / cluster size). Like qemu it counts cluster by cluster
// from 0 to the file's end and stops at that threshold, so a small image file that is mostly
// holes is found after a few refcount blocks and any other image reads them all.
// Fails where qcow2_get_refcount() fails: a refcount block offset that is not cluster aligned
// (ERROR_CORRUPT_REFBLOCK_OFFSET_UNALIGNED, qemu's corruption event); or when the allocation is
// abi::kAllocationUnknown (bdrv_get_allocated_file_size() failed). qemu takes any failure as
// "not preallocated".
Result<bool> detect_metadata_preallocation(BlockSource& file, const RefcountGeometry& geometry,
                                           uint64_t allocated_bytes, Arena& arena);

}  // namespace instar::qcow2
