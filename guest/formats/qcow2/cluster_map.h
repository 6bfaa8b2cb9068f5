// cluster_map.h: guest offset -> host offset through L1/L2, as qemu 7.2's qcow2_get_host_offset().
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/header.h"
#include "guest/formats/qcow2/subcluster_type.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// One run of guest bytes with the same subcluster type (and, for allocated types, contiguous
// host offsets).
struct Mapping {
  SubclusterType type = SubclusterType::kUnallocatedPlain;
  uint64_t bytes = 0;        // length of the run from the requested offset, > 0
  uint64_t host_offset = 0;  // allocated types: host offset of the first byte;
                             // kCompressed: the raw L2 entry (decode_compressed_l2_entry)
};

// Maps guest offsets of one image. Keeps one L2 table and a window of the L1 table in arena
// memory; tables past the end of the file read as zeros, as qemu's zero-filling reads make them.
class ClusterMap {
 public:
  // `file` must outlive the map. Fails with ERROR_INTERNAL when the arena is too small.
  Status init(BlockSource& file, Arena& arena, const Header& header, bool has_data_file);

  // The run starting at `offset` (inside the virtual disk), at most `bytes` long (1..INT_MAX;
  // runs never cross the end of an L2 table). Corruption qemu reports through
  // qcow2_signal_corruption() fails with the ERROR_CORRUPT_* code and its numbers.
  Status map(uint64_t offset, uint64_t bytes, Mapping* out);

  // qcow2_snapshot_load_tmp()'s switch: map through the L1 table of `size` entries at `offset`
  // from now on (a snapshot's, validated by the caller).
  void use_l1_table(uint64_t offset, uint64_t size);

  const L2Geometry& geometry() const { return geometry_; }
  uint64_t cluster_size() const { return uint64_t{1} << geometry_.cluster_bits; }

 private:
  Status l1_entry(uint64_t index, uint64_t* out);
  Status load_l2(uint64_t l2_offset);
  uint64_t l2_word(uint64_t index, uint32_t word) const;

  BlockSource* file_ = nullptr;
  L2Geometry geometry_;
  uint32_t version_ = 3;
  uint64_t l1_size_ = 0;
  uint64_t l1_offset_ = 0;
  uint64_t l2_entries_ = 0;  // entries per L2 table (= per slice: qemu's default cache entry size)
  uint32_t l2_bits_ = 0;     // log2(l2_entries_)

  uint8_t* l1_window_ = nullptr;
  uint64_t l1_window_first_ = 0;  // first L1 index in the window
  bool l1_window_valid_ = false;

  uint8_t* l2_table_ = nullptr;
  uint64_t l2_loaded_offset_ = 0;  // 0: nothing loaded (0 is never a valid L2 offset)
};

}  // namespace instar::qcow2
