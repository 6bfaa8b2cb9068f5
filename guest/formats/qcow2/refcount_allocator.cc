// refcount_allocator.cc: qcow2-refcount.c's allocation paths, step for step, because the image's
// layout is a function of their exact order (free_cluster_index, -EAGAIN restarts, refblocks
// that describe themselves, the refcount table's growth and the reuse of the table it replaced).
#include "guest/formats/qcow2/refcount_allocator.h"

#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

constexpr uint64_t kMaxClusterOffset = (uint64_t{1} << 56) - 1;  // QCOW_MAX_CLUSTER_OFFSET
constexpr uint64_t kMaxReftableSize = 0x800000;                  // QCOW_MAX_REFTABLE_SIZE
constexpr uint64_t kInt64Max = 0x7fffffffffffffffull;

constexpr uint64_t div_round_up(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}
constexpr uint64_t round_up(uint64_t a, uint64_t b) {
  return div_round_up(a, b) * b;
}

constexpr uint64_t kEagain = 11;
constexpr uint64_t kEinval = 22;

Status too_large() {
  return Status(instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE);
}
Status internal() {
  return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
}

}  // namespace

RefcountMetadataSize refcount_metadata_size(uint64_t clusters, uint64_t cluster_size,
                                            uint32_t refcount_order, bool generous_increase) {
  const uint64_t blocks_per_table_cluster = cluster_size / 8;
  const uint64_t refcounts_per_block = cluster_size * 8 / (uint64_t{1} << refcount_order);
  uint64_t table = 0;
  uint64_t blocks = 0;
  uint64_t n = 0;
  uint64_t last;
  do {
    last = n;
    blocks = div_round_up(clusters + table + blocks, refcounts_per_block);
    table = div_round_up(blocks, blocks_per_table_cluster);
    n = clusters + blocks + table;
    if (n == last && generous_increase) {
      clusters += div_round_up(table, 2);
      n = 0;  // force another round
      generous_increase = false;
    }
  } while (n != last);
  return {(blocks + table) * cluster_size, blocks};
}

Status RefcountAllocator::set_up(Arena& arena, HostFile& file, uint32_t cluster_bits,
                                 uint32_t refcount_order, uint64_t table_offset,
                                 uint32_t table_clusters) {
  arena_ = &arena;
  file_ = &file;
  cluster_bits_ = cluster_bits;
  cluster_size_ = uint64_t{1} << cluster_bits;
  refcount_order_ = refcount_order;
  block_bits_ = cluster_bits + 3 - refcount_order;
  refcount_max_ = refcount_max(refcount_order);
  table_offset_ = table_offset;
  table_size_ = (uint64_t{table_clusters} << cluster_bits) / 8;
  if (table_size_ == 0) return internal();
  table_ = arena.allocate_array<uint64_t>(table_size_);
  return table_ == nullptr ? internal() : Status::Ok();
}

Status RefcountAllocator::init(Arena& arena, HostFile& file, uint32_t cluster_bits,
                               uint32_t refcount_order, uint64_t table_offset,
                               uint32_t table_clusters, uint64_t first_block,
                               uint32_t cache_slots) {
  INSTAR_TRY(set_up(arena, file, cluster_bits, refcount_order, table_offset, table_clusters));
  fill_bytes(table_, 0, table_size_ * 8);
  table_[0] = first_block;
  update_max_table_index();
  INSTAR_TRY(blocks_.init(arena, file, cache_slots, cluster_size_));
  // The block is known to be zero (create wrote it so): cache it without reading it back, so a
  // writer without a read-back source can start.
  Result<uint8_t*> block = blocks_.get_empty(first_block);
  return block.status();
}

Status RefcountAllocator::load(Arena& arena, HostFile& file, uint32_t cluster_bits,
                               uint32_t refcount_order, uint64_t table_offset,
                               uint32_t table_clusters, uint32_t cache_slots) {
  INSTAR_TRY(set_up(arena, file, cluster_bits, refcount_order, table_offset, table_clusters));
  // qcow2_refcount_init(): the table in one read, in chunks of the arena's choosing here.
  constexpr uint64_t kChunkEntries = 512;
  uint8_t raw[kChunkEntries * 8];
  for (uint64_t i = 0; i < table_size_; i += kChunkEntries) {
    const uint64_t n = table_size_ - i < kChunkEntries ? table_size_ - i : kChunkEntries;
    INSTAR_TRY(file.read(table_offset + i * 8, MutableBytes(raw, n * 8)));
    for (uint64_t k = 0; k < n; ++k) table_[i + k] = load_be64(raw + k * 8);
  }
  update_max_table_index();
  return blocks_.init(arena, file, cache_slots, cluster_size_);
}

Status RefcountAllocator::shrink_table() {
  const uint64_t block_mask = (uint64_t{1} << block_bits_) - 1;
  uint64_t* kept = arena_->allocate_array<uint64_t>(table_size_);
  if (kept == nullptr) return internal();
  for (uint64_t i = 0; i < table_size_; ++i) {
    const uint64_t block = table_[i] & kReftableOffsetMask;
    kept[i] = 0;
    if (block == 0) continue;
    Result<uint8_t*> data = blocks_.get(block);
    if (!data.ok()) return data.status();
    // A block that describes itself is unused when its own entry is its only reference.
    uint64_t own = ~uint64_t{0};
    if (((block >> cluster_bits_) >> block_bits_) == i) own = (block >> cluster_bits_) & block_mask;
    bool unused = true;
    for (uint64_t k = 0; k <= block_mask && unused; ++k) {
      if (k != own && qcow2::get_refcount(data.value(), k, refcount_order_) != 0) unused = false;
    }
    if (!unused) kept[i] = table_[i];
  }
  // The whole table in one write, dropped entries zero, before any dropped block is freed.
  constexpr uint64_t kChunkEntries = 512;
  uint8_t raw[kChunkEntries * 8];
  for (uint64_t i = 0; i < table_size_; i += kChunkEntries) {
    const uint64_t n = table_size_ - i < kChunkEntries ? table_size_ - i : kChunkEntries;
    for (uint64_t k = 0; k < n; ++k) store_be64(raw + k * 8, kept[i + k]);
    INSTAR_TRY(file_->write(table_offset_ + i * 8, Bytes(raw, n * 8)));
  }
  INSTAR_TRY(file_->flush());
  // qcow2_discard_refcount_block() for each dropped block, in table order: its refcount (held by
  // the block covering it, possibly itself) drops from 1 to 0, then its cluster is discarded.
  for (uint64_t i = 0; i < table_size_; ++i) {
    const uint64_t block = table_[i] & kReftableOffsetMask;
    if (table_[i] == 0 || kept[i] != 0) continue;
    const uint64_t cluster_index = block >> cluster_bits_;
    const uint64_t covering_index = cluster_index >> block_bits_;
    const uint64_t covering =
        covering_index < table_size_ ? table_[covering_index] & kReftableOffsetMask : 0;
    if (covering == 0) return Status(instar_guest_ErrorCode_ERROR_IO);
    Result<uint8_t*> data = blocks_.get(covering);
    if (!data.ok()) return data.status();
    if (qcow2::get_refcount(data.value(), cluster_index & block_mask, refcount_order_) != 1) {
      return Status(instar_guest_ErrorCode_ERROR_IO);  // qemu: "Invalid refcount" corruption
    }
    set_refcount(data.value(), cluster_index & block_mask, refcount_order_, 0);
    blocks_.mark_dirty(covering);
    if (cluster_index < free_cluster_index_) free_cluster_index_ = cluster_index;
    blocks_.discard(block);
    INSTAR_TRY(file_->discard(block, cluster_size_));
    table_[i] = 0;
  }
  update_max_table_index();
  return Status::Ok();
}

void RefcountAllocator::update_max_table_index() {
  uint64_t i = table_size_ - 1;
  while (i > 0 && (table_[i] & kReftableOffsetMask) == 0) --i;
  max_table_index_ = i;
}

Result<uint64_t> RefcountAllocator::get_refcount(uint64_t cluster_index) {
  const uint64_t table_index = cluster_index >> block_bits_;
  if (table_index >= table_size_) return uint64_t{0};
  const uint64_t block = table_[table_index] & kReftableOffsetMask;
  if (block == 0) return uint64_t{0};
  Result<uint8_t*> data = blocks_.get(block);
  if (!data.ok()) return data.status();
  return qcow2::get_refcount(data.value(), cluster_index & ((uint64_t{1} << block_bits_) - 1),
                             refcount_order_);
}

Result<uint64_t> RefcountAllocator::alloc_clusters_noref(uint64_t size, uint64_t max) {
  const uint64_t nb_clusters = size_to_clusters(size);
retry:
  for (uint64_t i = 0; i < nb_clusters; ++i) {
    const uint64_t next = free_cluster_index_++;
    Result<uint64_t> refcount = get_refcount(next);
    if (!refcount.ok()) return refcount.status();
    if (refcount.value() != 0) goto retry;
  }
  if (free_cluster_index_ > 0 && free_cluster_index_ - 1 > (max >> cluster_bits_)) {
    return too_large();
  }
  return (free_cluster_index_ - nb_clusters) << cluster_bits_;
}

Result<bool> RefcountAllocator::alloc_refcount_block(uint64_t cluster_index) {
  const uint64_t table_index = cluster_index >> block_bits_;
  if (table_index < table_size_ && (table_[table_index] & kReftableOffsetMask) != 0) return false;

  Result<uint64_t> allocated = alloc_clusters_noref(cluster_size_, kInt64Max);
  if (!allocated.ok()) return allocated.status();
  const uint64_t new_block = allocated.value();
  if (new_block == 0) return internal();  // qemu: "Preventing invalid allocation of refblock"

  const uint64_t block_span_bits = cluster_bits_ + block_bits_;
  if ((new_block >> block_span_bits) == ((cluster_index << cluster_bits_) >> block_span_bits)) {
    // The block describes itself.
    Result<uint8_t*> data = blocks_.get_empty(new_block);
    if (!data.ok()) return data.status();
    set_refcount(data.value(), (new_block >> cluster_bits_) & ((uint64_t{1} << block_bits_) - 1),
                 refcount_order_, 1);
  } else {
    // Described elsewhere: this recurses at most twice before a block describes itself.
    Result<bool> r = update_refcount(new_block, cluster_size_, 1, false);
    if (!r.ok() || r.value()) return r;
    INSTAR_TRY(blocks_.flush());
    Result<uint8_t*> data = blocks_.get_empty(new_block);
    if (!data.ok()) return data.status();
  }
  blocks_.mark_dirty(new_block);
  INSTAR_TRY(blocks_.flush());

  if (table_index < table_size_) {
    // Hook the block up in the existing table: qemu writes just this entry.
    uint8_t entry[8];
    store_be64(entry, new_block);
    INSTAR_TRY(file_->write(table_offset_ + table_index * 8, Bytes(entry, 8)));
    table_[table_index] = new_block;
    if (table_index > max_table_index_) max_table_index_ = table_index;
    return true;
  }

  // Grow the table: new refblocks and the table go behind everything allocated so far, where
  // they describe themselves.
  const uint64_t used = (cluster_index + 1) > ((new_block >> cluster_bits_) + 1)
                            ? cluster_index + 1
                            : (new_block >> cluster_bits_) + 1;
  const uint64_t blocks_used = div_round_up(used, uint64_t{1} << block_bits_);
  const uint64_t meta_offset = (blocks_used << block_bits_) * cluster_size_;
  Result<uint64_t> end = refcount_area(meta_offset, 0, false, table_index, new_block);
  if (!end.ok()) return end.status();
  return true;
}

Result<uint64_t> RefcountAllocator::reserve_area(uint64_t start_offset,
                                                 uint64_t additional_clusters) {
  return refcount_area(start_offset, additional_clusters, true, 0, 0);
}

Result<int64_t> RefcountAllocator::last_cluster(uint64_t file_size) {
  for (uint64_t i = size_to_clusters(file_size); i > 0; --i) {
    Result<uint64_t> refcount = get_refcount(i - 1);
    if (!refcount.ok()) return refcount.status();
    if (refcount.value() > 0) return static_cast<int64_t>(i - 1);
  }
  return int64_t{-1};
}

Result<uint64_t> RefcountAllocator::refcount_area(uint64_t start_offset,
                                                  uint64_t additional_clusters, bool exact_size,
                                                  uint64_t new_refblock_index,
                                                  uint64_t new_refblock_offset) {
  if ((start_offset & (cluster_size_ - 1)) != 0) return internal();
  const uint64_t block_entries = uint64_t{1} << block_bits_;
  const RefcountMetadataSize meta =
      refcount_metadata_size(start_offset / cluster_size_ + additional_clusters, cluster_size_,
                             refcount_order_, !exact_size);
  if (meta.refblock_count > kMaxReftableSize) return too_large();
  const uint64_t total = meta.refblock_count;
  const uint64_t area_index = (start_offset / cluster_size_) / block_entries;

  uint64_t table_size = exact_size ? total : total + div_round_up(total, 2);
  table_size = round_up(table_size, cluster_size_ / 8);
  const uint64_t table_clusters = (table_size * 8) / cluster_size_;
  if (table_size > kMaxReftableSize) return too_large();

  uint64_t* new_table = arena_->allocate_array<uint64_t>(table_size);
  if (new_table == nullptr) return internal();
  fill_bytes(new_table, 0, table_size * 8);
  const uint64_t keep = table_size > max_table_index_ ? max_table_index_ + 1 : table_size;
  copy_bytes(new_table, table_, keep * 8);
  if (new_refblock_offset != 0) new_table[new_refblock_index] = new_refblock_offset;

  uint64_t additional = 0;
  for (uint64_t i = area_index; i < total; ++i) {
    if (new_table[i] == 0) ++additional;
  }
  const uint64_t table_offset = start_offset + additional * cluster_size_;
  const uint64_t end_offset = table_offset + table_clusters * cluster_size_;

  uint64_t block_offset = start_offset;
  for (uint64_t i = area_index; i < total; ++i) {
    uint64_t this_block;
    uint8_t* data;
    if (new_table[i] != 0) {
      this_block = new_table[i];
      Result<uint8_t*> got = blocks_.get(this_block);
      if (!got.ok()) return got.status();
      data = got.value();
    } else {
      this_block = block_offset;
      Result<uint8_t*> got = blocks_.get_empty(this_block);
      if (!got.ok()) return got.status();
      data = got.value();
      blocks_.mark_dirty(this_block);
      new_table[i] = block_offset;
      block_offset += cluster_size_;
    }
    const uint64_t first_covered = i * block_entries * cluster_size_;
    if (first_covered < end_offset) {
      uint64_t j =
          first_covered < start_offset ? (start_offset - first_covered) / cluster_size_ : 0;
      uint64_t end_index = (end_offset - first_covered) / cluster_size_;
      if (end_index > block_entries) end_index = block_entries;
      for (; j < end_index; ++j) set_refcount(data, j, refcount_order_, 1);
      blocks_.mark_dirty(this_block);
    }
  }
  INSTAR_TRY(blocks_.flush());

  // Write the table (all of it, including the unused tail) and switch to it.
  const uint64_t chunk_entries = 64;
  uint8_t buf[chunk_entries * 8];
  for (uint64_t i = 0; i < table_size; i += chunk_entries) {
    const uint64_t n = table_size - i < chunk_entries ? table_size - i : chunk_entries;
    for (uint64_t k = 0; k < n; ++k) store_be64(buf + k * 8, new_table[i + k]);
    INSTAR_TRY(file_->write(table_offset + i * 8, Bytes(buf, n * 8)));
  }
  if (header_on_growth_) {
    // The header's refcount_table_offset and refcount_table_clusters, synced, as qemu does.
    constexpr uint64_t kHeaderReftableOffset = 48;
    uint8_t fields[12];
    store_be64(fields, table_offset);
    store_be32(fields + 8, static_cast<uint32_t>(table_clusters));
    INSTAR_TRY(file_->flush());
    INSTAR_TRY(file_->write(kHeaderReftableOffset, Bytes(fields, sizeof fields)));
    INSTAR_TRY(file_->flush());
  }
  const uint64_t old_offset = table_offset_;
  const uint64_t old_size = table_size_;
  table_ = new_table;
  table_size_ = table_size;
  table_offset_ = table_offset;
  update_max_table_index();

  // Free the old table; its clusters become the first free ones again.
  Result<bool> freed = update_refcount(old_offset, old_size * 8, 1, true);
  if (!freed.ok()) return freed.status();
  return end_offset;
}

Result<bool> RefcountAllocator::update_refcount(uint64_t offset, uint64_t length, uint64_t addend,
                                                bool decrease, bool discard) {
  if (length == 0) return false;
  const uint64_t mask = ~(cluster_size_ - 1);
  const uint64_t start = offset & mask;
  const uint64_t last = (offset + length - 1) & mask;
  uint64_t old_table_index = ~uint64_t{0};
  uint64_t block = 0;
  uint64_t cluster_offset = start;
  Result<bool> ret = false;
  for (; cluster_offset <= last; cluster_offset += cluster_size_) {
    const uint64_t cluster_index = cluster_offset >> cluster_bits_;
    const uint64_t table_index = cluster_index >> block_bits_;
    if (table_index != old_table_index) {
      ret = alloc_refcount_block(cluster_index);
      if (ret.ok() && ret.value() && free_cluster_index_ > (start >> cluster_bits_)) {
        free_cluster_index_ = start >> cluster_bits_;
      }
      if (!ret.ok() || ret.value()) break;
      block = table_[table_index] & kReftableOffsetMask;
    }
    old_table_index = table_index;

    Result<uint8_t*> data = blocks_.get(block);
    if (!data.ok()) {
      ret = data.status();
      break;
    }
    blocks_.mark_dirty(block);
    const uint64_t index = cluster_index & ((uint64_t{1} << block_bits_) - 1);
    uint64_t refcount = qcow2::get_refcount(data.value(), index, refcount_order_);
    if (decrease ? (refcount < addend)
                 : (refcount + addend < refcount || refcount + addend > refcount_max_)) {
      ret = Status(instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO, kEinval);
      break;
    }
    refcount = decrease ? refcount - addend : refcount + addend;
    if (refcount == 0 && cluster_index < free_cluster_index_) free_cluster_index_ = cluster_index;
    set_refcount(data.value(), index, refcount_order_, refcount);
    if (refcount == 0 && discard) {
      // The discard punches a hole: the cluster reads as zeros until it is written again. A
      // freed refcount block leaves the cache unwritten (qcow2_cache_discard()).
      blocks_.discard(cluster_offset);
      Status zeroed = file_->discard(cluster_offset, cluster_size_);
      if (!zeroed.ok()) {
        ret = zeroed;
        break;
      }
    }
  }
  if (!ret.ok() || ret.value()) {
    // Undo what was done (qemu passes cluster_offset - offset; not positive means nothing).
    if (cluster_offset > offset) {
      Result<bool> undo = update_refcount(offset, cluster_offset - offset, addend, !decrease);
      (void)undo;
    }
  }
  return ret;
}

Status RefcountAllocator::free_clusters(uint64_t offset, uint64_t size, bool discard) {
  Result<bool> r = update_refcount(offset, size, 1, true, discard);
  return r.status();
}

Status RefcountAllocator::change_refcount(uint64_t offset, uint64_t length, bool decrease,
                                          bool discard) {
  Result<bool> r = update_refcount(offset, length, 1, decrease, discard);
  if (!r.ok()) return r.status();
  if (r.value()) return Status(instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO, kEagain);
  return Status::Ok();
}

Result<uint64_t> RefcountAllocator::alloc_clusters(uint64_t size) {
  for (;;) {
    Result<uint64_t> offset = alloc_clusters_noref(size, kMaxClusterOffset);
    if (!offset.ok()) return offset;
    Result<bool> r = update_refcount(offset.value(), size, 1, false);
    if (!r.ok()) return r.status();
    if (!r.value()) return offset;
  }
}

Result<uint64_t> RefcountAllocator::alloc_clusters_at(uint64_t offset, uint64_t nb_clusters) {
  if (nb_clusters == 0) return uint64_t{0};
  for (;;) {
    uint64_t cluster_index = offset >> cluster_bits_;
    uint64_t i = 0;
    for (; i < nb_clusters; ++i) {
      Result<uint64_t> refcount = get_refcount(cluster_index++);
      if (!refcount.ok()) return refcount.status();
      if (refcount.value() != 0) break;
    }
    Result<bool> r = update_refcount(offset, i << cluster_bits_, 1, false);
    if (!r.ok()) return r.status();
    if (!r.value()) return i;
  }
}

Result<uint64_t> RefcountAllocator::alloc_bytes(uint64_t size) {
  uint64_t offset = free_byte_offset_;
  if (offset != 0) {
    Result<uint64_t> refcount = get_refcount(offset >> cluster_bits_);
    if (!refcount.ok()) return refcount.status();
    if (refcount.value() == refcount_max_) offset = 0;
  }
  uint64_t free_in_cluster = cluster_size_ - (offset & (cluster_size_ - 1));
  const uint64_t cluster_offset_mask = (uint64_t{1} << (62 - (cluster_bits_ - 8))) - 1;
  for (;;) {
    if (offset == 0 || free_in_cluster < size) {
      Result<uint64_t> new_cluster = alloc_clusters_noref(
          cluster_size_,
          cluster_offset_mask < kMaxClusterOffset ? cluster_offset_mask : kMaxClusterOffset);
      if (!new_cluster.ok()) return new_cluster;
      if (new_cluster.value() == 0) return internal();
      if (offset == 0 || round_up(offset, cluster_size_) != new_cluster.value()) {
        offset = new_cluster.value();
        free_in_cluster = cluster_size_;
      } else {
        free_in_cluster += cluster_size_;
      }
    }
    Result<bool> r = update_refcount(offset, size, 1, false);
    if (!r.ok()) return r.status();
    if (!r.value()) break;
    offset = 0;
  }
  free_byte_offset_ = offset + size;
  if ((free_byte_offset_ & (cluster_size_ - 1)) == 0) free_byte_offset_ = 0;
  return offset;
}

}  // namespace instar::qcow2
