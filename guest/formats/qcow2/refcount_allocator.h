// refcount_allocator.h: host cluster allocation exactly as qemu 7.2's qcow2-refcount.c does it
// (alloc_clusters_noref, update_refcount, alloc_refcount_block, qcow2_refcount_area,
// qcow2_alloc_bytes), so that every table and data cluster lands where qemu puts it.
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/host_file.h"
#include "guest/formats/qcow2/table_cache.h"
#include "guest/lib/arena.h"

namespace instar::qcow2 {

// qcow2_refcount_metadata_size(): refcount blocks plus table clusters needed to cover `clusters`
// clusters and themselves; `generous_increase` adds room for half the table again.
struct RefcountMetadataSize {
  uint64_t bytes;
  uint64_t refblock_count;
};
RefcountMetadataSize refcount_metadata_size(uint64_t clusters, uint64_t cluster_size,
                                            uint32_t refcount_order, bool generous_increase);

class RefcountAllocator {
 public:
  // Takes over the refcount table qemu's create wrote: `table_clusters` clusters at
  // `table_offset` whose only entry points at the (zeroed) refcount block `first_block`.
  Status init(Arena& arena, HostFile& file, uint32_t cluster_bits, uint32_t refcount_order,
              uint64_t table_offset, uint32_t table_clusters, uint64_t first_block,
              uint32_t cache_slots);

  // Takes over an existing image's refcount table (qcow2_refcount_init() on open): the
  // `table_clusters` clusters at `table_offset` are read from `file`.
  Status load(Arena& arena, HostFile& file, uint32_t cluster_bits, uint32_t refcount_order,
              uint64_t table_offset, uint32_t table_clusters, uint32_t cache_slots);

  // An existing image's table lives in its header: when the table grows, its offset and size
  // are written to the header at once (qcow2_refcount_area()), before the old table is freed.
  void write_header_on_growth() { header_on_growth_ = true; }

  Result<uint64_t> get_refcount(uint64_t cluster_index);
  // qcow2_shrink_reftable(): refcount blocks that count nothing but themselves leave the table
  // (rewritten whole first), then are freed and discarded.
  Status shrink_table();
  // qcow2_alloc_clusters(): `size` bytes of contiguous free clusters, refcounts raised.
  Result<uint64_t> alloc_clusters(uint64_t size);
  // qcow2_alloc_clusters_at(): as many of the `nb_clusters` clusters from `offset` on as are
  // free (possibly 0), allocated.
  Result<uint64_t> alloc_clusters_at(uint64_t offset, uint64_t nb_clusters);
  // qcow2_refcount_area() with an exact size: refcount blocks and a new refcount table from
  // `start_offset` (cluster-aligned, nothing allocated from there on) on, covering the file up to
  // there plus `additional_clusters` more; returns where the table ends (the first free byte).
  Result<uint64_t> reserve_area(uint64_t start_offset, uint64_t additional_clusters);
  // qcow2_get_last_cluster(): the last cluster below `file_size` with a nonzero refcount, -1 if
  // none (qemu then signals corruption; its callers round the file size up instead).
  Result<int64_t> last_cluster(uint64_t file_size);
  // qcow2_alloc_bytes(): `size` bytes for a compressed cluster, packed behind the previous one.
  Result<uint64_t> alloc_bytes(uint64_t size);

  // qcow2_free_clusters(): lowers the refcounts of [offset, offset + size) by one. With
  // `discard` (qemu's discard passthrough for the request type), a cluster whose refcount drops
  // to 0 is discarded in the file, which then reads as zeros there.
  Status free_clusters(uint64_t offset, uint64_t size, bool discard);
  // update_refcount() by one over [offset, offset + length), up or down (qcow2_update_cluster_
  // refcount() for a cluster, the compressed range of qcow2_update_snapshot_refcount()). A
  // refcount block that has to be allocated on the way is qemu's -EAGAIN, an error here as there
  // (ERROR_REFCOUNT_ERRNO 11); a refcount leaving its range is -EINVAL (ERROR_REFCOUNT_ERRNO 22).
  Status change_refcount(uint64_t offset, uint64_t length, bool decrease, bool discard);
  // What reopening the image resets: the allocation cursors (qemu-img convert opens the target
  // afresh after creating it).
  void reopen() {
    free_cluster_index_ = 0;
    free_byte_offset_ = 0;
  }

  // Writes every cached refcount block back.
  Status flush() { return blocks_.flush(); }
  // The refcount block cache, for the L2 cache's write-back dependency on it.
  TableCache& block_cache() { return blocks_; }

  uint64_t table_offset() const { return table_offset_; }
  // The refcount table's entries (host order, `table_entries()` of them), raw.
  const uint64_t* table_entries_raw() const { return table_; }
  uint64_t table_entries() const { return table_size_; }
  uint32_t table_clusters() const {
    return static_cast<uint32_t>((table_size_ * 8) >> cluster_bits_);
  }

 private:
  // The geometry both init() and load() start from, and the table's memory (not yet filled).
  Status set_up(Arena& arena, HostFile& file, uint32_t cluster_bits, uint32_t refcount_order,
                uint64_t table_offset, uint32_t table_clusters);
  // Result value true: qemu's -EAGAIN (a refcount block was allocated where the caller may have
  // meant to put its data, so it must search again).
  Result<bool> update_refcount(uint64_t offset, uint64_t length, uint64_t addend, bool decrease,
                               bool discard = false);
  Result<bool> alloc_refcount_block(uint64_t cluster_index);
  Result<uint64_t> alloc_clusters_noref(uint64_t size, uint64_t max);
  Result<uint64_t> refcount_area(uint64_t start_offset, uint64_t additional_clusters,
                                 bool exact_size, uint64_t new_refblock_index,
                                 uint64_t new_refblock_offset);
  void update_max_table_index();
  uint64_t size_to_clusters(uint64_t size) const {
    return (size + cluster_size_ - 1) >> cluster_bits_;
  }

  Arena* arena_ = nullptr;
  HostFile* file_ = nullptr;
  TableCache blocks_;
  uint32_t cluster_bits_ = 0;
  uint64_t cluster_size_ = 0;
  uint32_t refcount_order_ = 0;
  uint32_t block_bits_ = 0;  // log2 of the entries per refcount block
  uint64_t refcount_max_ = 0;
  uint64_t* table_ = nullptr;  // host order
  uint64_t table_size_ = 0;    // entries
  uint64_t table_offset_ = 0;
  uint64_t max_table_index_ = 0;
  uint64_t free_cluster_index_ = 0;
  uint64_t free_byte_offset_ = 0;
  bool header_on_growth_ = false;
};

}  // namespace instar::qcow2
