// writer.h: a fresh qcow2 image laid out byte for byte as qemu-img 7.2 does: `create` as
// qcow2_co_create(), then the writes of an op (convert) as block/qcow2*.c places them.
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/create_options.h"
#include "guest/formats/qcow2/header.h"
#include "guest/formats/qcow2/header_writer.h"
#include "guest/formats/qcow2/host_file.h"
#include "guest/formats/qcow2/refcount_allocator.h"
#include "guest/formats/qcow2/table_cache.h"
#include "guest/lib/arena.h"
#include "guest/lib/image_writer.h"

namespace instar::qcow2 {

// The backing chain a target's backing file names (guest/lib/image_writer.h).
using TargetBacking = ::instar::TargetBacking;

class Qcow2Writer final : public ImageWriter {
 public:
  // How many L2 tables and refcount blocks stay in memory. A table evicted and needed again is
  // read back through the `readback` source; without one that access fails with ERROR_INTERNAL.
  struct CacheSlots {
    uint32_t l2_tables = 16;
    uint32_t refcount_blocks = 16;
  };

  Qcow2Writer(BlockSink& sink, BlockSource* readback, Arena& arena)
      : file_(sink, readback), arena_(arena) {}

  // `qemu-img create -f qcow2`: checks the options as qcow2_co_create() does, writes the header
  // cluster, refcount table, refcount block and L1 table, then continues as a reopened image
  // (qemu-img convert reopens its target after creating it). finish() completes the file.
  Status create(const Qcow2CreateOptions& options, CacheSlots slots);
  Status create(const Qcow2CreateOptions& options) { return create(options, CacheSlots{}); }

  // qcow2_open() read-write of an existing image, for the ops that write guest data into it in
  // place (rebase, commit; writer_in_place.cc): `h`'s geometry, its L1 table and its refcount
  // table taken over, `file_length` the file's length before the first write. `h` must have
  // passed open_image() and in_place_refusal(); `has_backing`: it names a backing file (attach
  // it with set_backing()). Writes then land where qemu 7.2 puts them in that image, in qemu's
  // write-back order: refcount blocks and data flushed before an L2 table that names them, an
  // L2 table flushed before the L1 entry naming it. A write that needs what a fresh image never
  // has (copy-on-write of a shared L2 table) fails with ERROR_UNSUPPORTED_OP.
  Status open_in_place(const Header& h, uint64_t file_length, bool has_backing, CacheSlots slots);
  // The end of an in-place op's writes: every cached refcount block, then every L2 table,
  // written back and the file flushed (qcow2_write_caches() + bdrv_flush). The header stays as
  // it was: the op rewrites it (rebase) or needs none (commit).
  Status flush_in_place();
  // Where the refcount table is now (it moves when it grows), for the op's header rewrite.
  uint64_t refcount_table_offset() const { return refs_.table_offset(); }
  uint32_t refcount_table_clusters() const { return refs_.table_clusters(); }

  // BDRV_O_UNMAP: clusters that write_zeroes frees are discarded in the file (qemu-img convert
  // opens its target so unless -S 0 is given, qemu-io always). On by default.
  void set_discard_requests(bool on) { discard_requests_ = on; }

  // The opened backing file of a target created with a backing file (`-B`); without it such a
  // target reads as if its backing file held zeros. Set before the first write.
  void set_backing(TargetBacking* backing) { backing_ = backing; }

  uint64_t size() const override { return size_; }
  uint32_t cluster_size() const override { return static_cast<uint32_t>(cluster_size_); }
  bool has_zero_init() const override { return !has_backing_; }
  Status write(uint64_t offset, Bytes data) override;
  Status write_compressed(uint64_t offset, Bytes data) override;
  Status write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
  Status finish() override;
  // preallocation=falloc|full: the data area of the file, which the host preallocates.
  FileRange preallocated_area() const override { return data_area_; }
  // With a data file and preallocation (data_file_raw forces metadata): the zeros perform_cow()
  // writes into the data file (a partial last cluster's tail), and in `end` how long
  // preallocate_co() makes that file at least (0: not preallocated). The host writes both.
  FileRange data_file_zeros() const { return data_file_zeros_; }
  uint64_t data_file_end() const { return data_file_area_.end; }

 private:
  static constexpr uint64_t kInvalidOffset = ~uint64_t{0};

  // QCowL2Meta: a run of clusters handle_copied()/handle_alloc() gave to a write.
  struct L2Meta {
    uint64_t alloc_offset;  // host offset of the first cluster
    uint64_t guest_offset;  // guest offset of the first cluster
    uint64_t nb_clusters;
    bool keep_old;
    uint64_t cow_start_offset, cow_start_bytes;
    uint64_t cow_end_offset, cow_end_bytes;
    // The COW region's subcluster is unallocated (not a zero one): it reads from the backing file.
    bool cow_start_from_backing, cow_end_from_backing;
  };

  Status write_range(uint64_t offset, uint64_t bytes, const uint8_t* data);
  Result<uint64_t> alloc_host_offset(uint64_t offset, uint64_t* bytes);
  uint64_t request_clusters(uint64_t guest_offset, uint64_t bytes) const;
  Result<int> handle_copied(uint64_t guest_offset, uint64_t* host_offset, uint64_t* bytes);
  Result<int> handle_alloc(uint64_t guest_offset, uint64_t* host_offset, uint64_t* bytes);
  Status calculate_l2_meta(uint64_t host_cluster_offset, uint64_t guest_offset, uint64_t bytes,
                           uint64_t l2_offset, bool keep_old);
  Status apply_l2_meta(const L2Meta& m, uint64_t l2_offset);
  Status link_l2(const L2Meta& m, uint64_t l2_offset);
  // In place: the L2Metas of one alloc_host_offset() linked only after its data is written.
  Status defer_link(const L2Meta& m, uint64_t l2_offset);
  Status link_pending();
  Status copy_from_backing(uint64_t guest_offset, uint64_t host_offset, uint64_t bytes);
  Result<bool> backing_reads_as_zero(uint64_t offset, uint64_t bytes);
  uint64_t count_single_write_clusters(const uint8_t* l2, uint64_t nb_clusters, uint64_t index,
                                       bool new_alloc) const;
  bool cluster_needs_new_alloc(uint64_t entry) const;
  // get_cluster_table(): the L2 table for `guest_offset`, allocated (l2_allocate()) if needed.
  Result<uint64_t> get_cluster_table(uint64_t guest_offset);
  Status zeroize(uint64_t offset, uint64_t bytes, bool may_unmap);
  Status zero_in_l2(uint64_t offset, uint64_t nb_clusters, bool may_unmap, uint64_t* done);
  Status zero_subclusters(uint64_t offset, uint64_t nb_subclusters);
  Status free_any_cluster(uint64_t entry);
  Status write_header();
  // In place: a cluster range just allocated must not be metadata the image already has (a
  // hostile image whose refcounts say its own tables are free); qemu's overlap check.
  Status check_allocation(uint64_t offset, uint64_t bytes) const;
  Status collect_metadata_clusters();
  Status preallocate_metadata();
  Status preallocate_data_area();

  uint64_t l2_entry(const uint8_t* l2, uint64_t i) const { return load_be64(l2 + i * l2e_size_); }
  uint64_t l2_bitmap(const uint8_t* l2, uint64_t i) const {
    return extended_l2_ ? load_be64(l2 + i * l2e_size_ + 8) : 0;
  }
  uint64_t offset_into_cluster(uint64_t o) const { return o & (cluster_size_ - 1); }
  uint64_t size_to_clusters(uint64_t s) const { return (s + cluster_size_ - 1) >> cluster_bits_; }
  // offset_to_sc_index(): the subcluster of `o` within its cluster (always 0 without
  // extended L2 entries).
  uint32_t sc_index(uint64_t o) const {
    return static_cast<uint32_t>((o >> sc_bits_) & (extended_l2_ ? 31 : 0));
  }
  uint64_t l2_index(uint64_t guest) const { return (guest >> cluster_bits_) & (l2_entries_ - 1); }

  HostFile file_;
  Arena& arena_;
  RefcountAllocator refs_;
  TableCache l2_cache_;
  HeaderFields header_;
  bool created_ = false;
  bool in_place_ = false;  // open_in_place(): an existing image, flushed in qemu's order
  // open_in_place(): the image's L2 tables and refcount blocks (sorted) and its L1 table, which no
  // allocation may return (the refcount table is checked where it is now).
  struct PendingLink {
    L2Meta meta;
    uint64_t l2_offset;
  };
  static constexpr uint64_t kMaxPendingLinks = 8192;
  PendingLink* pending_ = nullptr;
  uint64_t pending_count_ = 0;
  uint64_t* metadata_clusters_ = nullptr;
  uint64_t metadata_count_ = 0;
  FileRange l1_range_;
  bool discard_requests_ = true;
  bool has_backing_ = false;
  TargetBacking* backing_ = nullptr;
  bool preallocating_ = false;  // preallocate_*() is allocating: no data is written
  FileRange data_area_;         // preallocate_data_area()'s range of the file
  FileRange data_file_zeros_;   // COW zeros preallocate_metadata() leaves in the data file
  FileRange data_file_area_;    // .end: the data file's length after preallocate_metadata()
  bool has_data_file_ = false;
  uint8_t compression_type_ = 0;
  uint32_t version_ = 3;
  uint32_t cluster_bits_ = 16;
  uint64_t cluster_size_ = 65536;
  bool extended_l2_ = false;
  uint64_t l2e_size_ = 8;
  uint64_t l2_entries_ = 8192;
  uint32_t sc_bits_ = 16;  // subcluster bits (the cluster bits without extended L2)
  uint64_t size_ = 0;
  uint64_t* l1_ = nullptr;
  uint64_t l1_size_ = 0;
  uint64_t l1_offset_ = 0;
  uint8_t* cluster_buf_ = nullptr;   // a cluster of input for compression
  uint8_t* compress_buf_ = nullptr;  // its compressed form
};

}  // namespace instar::qcow2
