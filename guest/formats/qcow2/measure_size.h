// measure_size.h: qemu 7.2's qcow2 size arithmetic for `measure` (and convert's output bound),
// a pure function of creation options and counts: no image bytes.
#pragma once

#include <stdint.h>

namespace instar::qcow2 {

// What qcow2_measure() reads from the creation options, already validated.
struct MeasureTarget {
  uint64_t cluster_size = 65536;  // a power of two in [512, 2 MiB]
  uint32_t refcount_order = 4;    // log2(refcount_bits), 0..6
  bool extended_l2 = false;
  uint64_t luks_payload = 0;  // ROUND_UP(LUKS header length, cluster_size); 0 without LUKS
};

// qcow2_measure()'s check that the L1 table stays within QCOW_MAX_L1_SIZE for `virtual_size`
// bytes already rounded up to the cluster size ("The image size is too large").
bool measure_l1_fits(const MeasureTarget& target, uint64_t virtual_size);

// qcow2_refcount_metadata_size(clusters, cluster_size, refcount_order, false): bytes of refcount
// table and blocks that count `clusters` host clusters plus themselves.
uint64_t refcount_metadata_size(uint64_t clusters, uint64_t cluster_size, uint32_t refcount_order);

// qcow2_calc_prealloc_size() + the LUKS payload: the fully allocated file for `virtual_size`
// bytes. Arithmetic wraps as qemu's 64-bit arithmetic does.
uint64_t measure_fully_allocated(const MeasureTarget& target, uint64_t virtual_size);

// info->required: the fully allocated size with only `data_bytes` of the (cluster-rounded)
// virtual size allocated.
uint64_t measure_required(const MeasureTarget& target, uint64_t virtual_size, uint64_t data_bytes);

// ROUND_UP(v, cluster_size) with qemu's wrap-around.
inline uint64_t round_up_to_cluster(uint64_t v, uint64_t cluster_size) {
  return (v + cluster_size - 1) & ~(cluster_size - 1);
}

// get_bitmap_bytes_needed() + qcow2_get_persistent_dirty_bitmap_size()'s per-bitmap terms: the
// bitmap's data clusters and its table, for an image of `image_length` bytes.
uint64_t measure_bitmap_size(uint64_t image_length, uint32_t granularity_bits,
                             uint64_t cluster_size);

// calc_dir_entry_size(name_size, 0): one bitmap directory entry, 8-byte aligned.
inline uint64_t bitmap_directory_entry_size(uint64_t name_size) {
  return (24 + name_size + 7) & ~7ull;
}

}  // namespace instar::qcow2
