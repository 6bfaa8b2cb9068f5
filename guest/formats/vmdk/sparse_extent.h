// sparse_extent.h: one hosted sparse extent (monolithicSparse, streamOptimized) opened as
// vmdk_open() opens an image whose file starts with "KDMV": header, footer, checks, grain
// directory and grain tables, grain reads.
#pragma once

#include <stdint.h>

#include "guest/formats/vmdk/header.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar::vmdk {

// get_cluster_offset()'s answers (VMDK_OK, VMDK_UNALLOC, VMDK_ZEROED, VMDK_ERROR).
enum class GrainState { kAllocated, kUnallocated, kZeroed, kError };

struct Grain {
  GrainState state = GrainState::kUnallocated;
  uint64_t host_offset = 0;  // kAllocated: cluster_sector * 512 (the marker when compressed)
};

// What vmdk_open() learns from the descriptor besides the extent.
struct DescriptorFacts {
  uint32_t cid = 0;
  uint32_t parent_cid = 0;
  bool has_backing = false;
  Bytes backing_name;  // in the arena, valid while the open's memory is
};

class SparseExtent {
 public:
  // vmdk_open() of a file with a sparse magic: the file's first bytes are given in `head`
  // (at least 4). Errors are qemu's, in its order; `detail` takes the createType an
  // "Unsupported image type" error quotes. Tables are read lazily through caches in `arena`.
  Status open(BlockSource& file, Bytes head, Arena& arena, ErrorNames* detail,
              DescriptorFacts* facts);

  uint64_t sectors() const { return header_.capacity; }
  uint64_t cluster_bytes() const { return header_.granularity * kSectorSize; }
  bool compressed() const { return compressed_; }

  // get_cluster_offset(allocate = false) for the guest offset `offset` inside the extent.
  Status lookup(uint64_t offset, Grain* out);

  // vmdk_read_extent(): `out.size` bytes at `in_grain` inside the allocated grain `grain`.
  Status read(const Grain& grain, uint64_t in_grain, MutableBytes out);

 private:
  Status load_l1_entry(uint32_t index, uint32_t* entry);
  // The compressed grain (marker or not) at `host_offset` into inflate_buffer_.
  Status load_grain(uint64_t host_offset);

  BlockSource* file_ = nullptr;
  Header header_;
  bool compressed_ = false;
  bool has_marker_ = false;
  bool has_zero_grain_ = false;
  uint32_t l1_size_ = 0;
  uint32_t l1_entry_sectors_ = 0;
  uint64_t l1_offset_ = 0;
  // A window of the grain directory and the last grain table read.
  uint32_t* l1_window_ = nullptr;
  uint32_t l1_window_first_ = 0;
  uint32_t l1_window_count_ = 0;
  uint8_t* l2_table_ = nullptr;
  uint32_t l2_cached_offset_ = 0;      // 0: nothing cached (0 is never a table)
  uint8_t* grain_buffer_ = nullptr;    // compressed: two grains as read
  uint8_t* inflate_buffer_ = nullptr;  // compressed: the inflated grain
  bool inflated_valid_ = false;
  uint64_t inflated_host_offset_ = 0;
  uint64_t inflated_size_ = 0;  // uncompress()'s output length (may be short of a grain)
  Arena* arena_ = nullptr;
};

}  // namespace instar::vmdk
