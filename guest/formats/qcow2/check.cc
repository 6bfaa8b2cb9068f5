// check.cc: qcow2 reference counting and consistency checks in qemu 7.2's order, and check -r's
// repairs (qemu's BdrvCheckMode fix); each line qemu prints is sent as a code and its numbers
// (check_log.h) for the host to word.
#include "guest/formats/qcow2/check.h"

#include "guest/formats/check_log.h"
#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/header_rewrite.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/checked.h"
#include "guest/lib/mem.h"

namespace instar {

namespace {

// errno values qemu's check returns (Linux), rendered by the host with strerror().
constexpr int32_t kEio = 5;
constexpr int32_t kEnomem = 12;
constexpr int32_t kEinval = 22;
constexpr int32_t kEfbig = 27;

constexpr uint64_t kTableWindowSize = 256 * 1024;
constexpr uint64_t kL1ChunkEntries = 8192;    // 64 KiB of L1 per read
constexpr uint64_t kBatchBytes = 4ull << 20;  // L2 tables read together
constexpr uint32_t kMaxBatchTables = 256;     // abi::kMaxReadvExtents
constexpr int64_t kIntMax = 0x7fffffff;

// ERROR_CHECK_REPAIR_UNSUPPORTED's reasons (guest.proto); 2-4 are InPlaceRefusal's numbers.
constexpr uint64_t kRefuseRebuild = 5;
constexpr uint64_t kRefusePreallocatedUnaligned = 6;
constexpr uint64_t kRefuseRefblockOutside = 7;
constexpr uint64_t kRefuseSnapshotTable = 8;

instar_guest_GuestMessage* new_message(Arena& arena) {
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message != nullptr) *message = instar_guest_GuestMessage_init_zero;
  return message;
}

class Checker {
 public:
  // `fix` (abi::CheckRepair bits) with the writable `sink` of `source`: check -r; 0: read-only.
  Checker(BlockSource& source, Arena& arena, CheckLog& log, const qcow2::Metadata& m,
          const qcow2::TableScratch& tables, uint32_t fix = 0, BlockSink* sink = nullptr)
      : source_(source),
        sink_(sink),
        fix_(sink != nullptr ? fix : 0),
        arena_(arena),
        log_(log),
        m_(m),
        tables_(tables) {
    const qcow2::Header& h = m.header;
    cluster_bits_ = h.cluster_bits;
    cluster_size_ = h.cluster_size();
    order_ = h.refcount_order;
    extended_l2_ = (h.incompatible_features & qcow2::kIncompatExtendedL2) != 0;
    data_file_ = (h.incompatible_features & qcow2::kIncompatDataFile) != 0;
    entry_size_ = qcow2::l2_entry_size(extended_l2_);
    l2_entries_ = cluster_size_ / entry_size_;
    file_size_ = source.size();
    // bdrv_getlength() is sector-granular (bs->total_sectors * 512), and that is the length
    // qcow2_inc_refcounts_imrt() measures regions against.
    file_length_ = (file_size_ + 511) / 512 * 512;
  }

  // qcow2_check_refcounts(); fills `out`. Returns an error only when messages cannot be sent.
  void run(instar_guest_CheckResult* out);
  // Non-zero: check -r needs a repair instar does not make (ERROR_CHECK_REPAIR_UNSUPPORTED's
  // reason); nothing was written.
  uint64_t refusal() const { return refusal_; }

 private:
  bool fail(int32_t error_number) {
    if (error_number_ == 0) error_number_ = error_number;
    return false;
  }
  bool inc_refcounts(uint64_t offset, uint64_t size);
  bool read_tables(const uint64_t* offsets, uint32_t count, uint8_t* buffer);
  bool walk_l1(uint64_t l1_offset, uint64_t l1_size, bool active);
  bool walk_l2(const uint8_t* table, bool active);
  bool walk_snapshots();
  bool walk_bitmaps();
  bool check_refblocks();
  bool disk_refcount(uint64_t cluster, uint64_t* refcount);
  bool set_disk_refcount(uint64_t cluster, uint64_t refcount);
  bool flush_refblock();
  bool write(uint64_t offset, Bytes data);
  void compare_refcounts(uint32_t fix);
  bool check_oflag_copied();
  bool refuse(uint64_t reason) {
    refusal_ = reason;
    return false;
  }
  uint64_t batch_tables() const {
    const uint64_t n = kBatchBytes / cluster_size_;
    return n == 0 ? 1 : (n > kMaxBatchTables ? kMaxBatchTables : n);
  }

  BlockSource& source_;
  BlockSink* sink_;
  uint32_t fix_;
  Arena& arena_;
  CheckLog& log_;
  const qcow2::Metadata& m_;
  const qcow2::TableScratch& tables_;
  uint32_t cluster_bits_ = 0;
  uint64_t cluster_size_ = 0;
  uint32_t order_ = 0;
  bool extended_l2_ = false;
  bool data_file_ = false;
  uint64_t entry_size_ = 8;
  uint64_t l2_entries_ = 0;
  uint64_t file_size_ = 0;    // bytes the device holds: reads stop there
  uint64_t file_length_ = 0;  // qemu's bdrv_getlength(): file_size_ rounded up to 512

  uint8_t* refs_ = nullptr;  // in-memory refcounts, image refcount width, as qemu keeps them
  uint64_t refs_size_ = 0;   // qemu's nb_clusters (grows by one past EOF at most)
  uint64_t refs_capacity_ = 0;
  uint8_t* l1_chunk_ = nullptr;
  uint8_t* batch_ = nullptr;
  uint8_t* reftable_ = nullptr;
  uint64_t reftable_entries_ = 0;
  uint8_t* refblock_ = nullptr;
  uint64_t refblock_offset_ = 0;
  bool refblock_valid_ = false;
  bool refblock_dirty_ = false;  // check -r changed refblock_: written before another is read
  uint8_t* zeros_ = nullptr;     // one zero cluster: what a discard leaves
  bool rebuild_ = false;         // qemu's `rebuild`: the refcount structure must be rebuilt
  uint64_t refusal_ = 0;
  uint64_t leaks_fixed_ = 0;
  uint64_t corruptions_fixed_ = 0;
  bool signaled_corruption_ = false;
  uint64_t highest_cluster_ = 0;

  uint64_t corruptions_ = 0;
  uint64_t leaks_ = 0;
  uint64_t check_errors_ = 0;
  uint64_t allocated_ = 0;
  uint64_t fragmented_ = 0;
  uint64_t compressed_ = 0;
  int32_t error_number_ = 0;
};

// qcow2_inc_refcounts_imrt(). Region errors count as corruptions and do not stop the walk.
bool Checker::inc_refcounts(uint64_t offset, uint64_t size) {
  if (size == 0) return true;
  // qemu computes in int64_t; offsets here are below 2^56 and sizes below 2^40.
  const int64_t excess = static_cast<int64_t>(offset + size) - static_cast<int64_t>(file_length_);
  if (excess >= static_cast<int64_t>(cluster_size_)) {
    log_.line(instar_guest_CheckLine_CHECK_LINE_REGION_PAST_EOF, offset, size);
    ++corruptions_;
    return true;
  }
  const uint64_t first = offset >> cluster_bits_;
  const uint64_t last = (offset + size - 1) >> cluster_bits_;
  const uint64_t max = qcow2::refcount_max(order_);
  for (uint64_t k = first; k <= last; ++k) {
    if (k >= refs_size_) {
      // The region rule keeps k within one cluster past EOF; the capacity has room for it.
      if (k >= refs_capacity_) {
        ++check_errors_;
        return fail(kEnomem);
      }
      refs_size_ = k + 1;
    }
    const uint64_t refcount = qcow2::get_refcount(refs_, k, order_);
    if (refcount == max) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFCOUNT_OVERFLOW, k << cluster_bits_);
      ++corruptions_;
      continue;
    }
    qcow2::set_refcount(refs_, k, order_, refcount + 1);
  }
  return true;
}

// Reads `count` tables of one cluster each, in one batch; bytes past EOF read as zero.
bool Checker::read_tables(const uint64_t* offsets, uint32_t count, uint8_t* buffer) {
  fill_bytes(buffer, 0, count * cluster_size_);
  ReadRequest requests[kMaxBatchTables];
  uint32_t n = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (offsets[i] >= file_size_) continue;
    const uint64_t room = file_size_ - offsets[i];
    const uint64_t length = room < cluster_size_ ? room : cluster_size_;
    requests[n++] = ReadRequest{offsets[i], MutableBytes(buffer + i * cluster_size_, length)};
  }
  return n == 0 || source_.read_batch(requests, n).ok();
}

// check_refcounts_l1(): the L1 table, then per entry the L2 table and its entries.
bool Checker::walk_l1(uint64_t l1_offset, uint64_t l1_size, bool active) {
  if (l1_size == 0) return true;
  if (!inc_refcounts(l1_offset, l1_size * qcow2::kL1EntrySize)) return false;
  const uint64_t per_batch = batch_tables();
  uint64_t raw[kMaxBatchTables];
  uint64_t offsets[kMaxBatchTables];
  for (uint64_t start = 0; start < l1_size; start += kL1ChunkEntries) {
    const uint64_t entries = l1_size - start < kL1ChunkEntries ? l1_size - start : kL1ChunkEntries;
    if (!read_zero_filled(source_, l1_offset + start * 8, MutableBytes(l1_chunk_, entries * 8))
             .ok()) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_L1_IO_ERROR);
      ++check_errors_;
      return fail(kEio);
    }
    uint64_t i = 0;
    while (i < entries) {
      uint32_t count = 0;
      for (; i < entries && count < per_batch; ++i) {
        const uint64_t entry = load_be64(l1_chunk_ + i * 8);
        if (entry == 0) continue;
        raw[count] = entry;
        offsets[count++] = entry & qcow2::kL1OffsetMask;
      }
      if (count == 0) continue;
      if (!read_tables(offsets, count, batch_)) {
        log_.line(instar_guest_CheckLine_CHECK_LINE_L2_IO_ERROR);
        ++check_errors_;
        return fail(kEio);
      }
      for (uint32_t t = 0; t < count; ++t) {
        const qcow2::L1Entry e = qcow2::decode_l1_entry(raw[t]);
        if (e.reserved_set) {
          log_.line(instar_guest_CheckLine_CHECK_LINE_L1_RESERVED_BITS, raw[t]);
          ++corruptions_;
        }
        if (!inc_refcounts(e.l2_offset, cluster_size_)) return false;
        if ((e.l2_offset & (cluster_size_ - 1)) != 0) {
          log_.line(instar_guest_CheckLine_CHECK_LINE_L2_TABLE_UNALIGNED, e.l2_offset);
          ++corruptions_;
        }
        if (!walk_l2(batch_ + t * cluster_size_, active)) return false;
      }
    }
  }
  return true;
}

// check_refcounts_l2() without repair. Allocation statistics come from the active tables only.
bool Checker::walk_l2(const uint8_t* table, bool active) {
  uint64_t next_contiguous = 0;
  for (uint64_t i = 0; i < l2_entries_; ++i) {
    uint64_t entry = load_be64(table + i * entry_size_);
    const uint64_t bitmap = extended_l2_ ? load_be64(table + i * entry_size_ + 8) : 0;
    const qcow2::ClusterType type = qcow2::classify_l2_entry(entry, extended_l2_, data_file_);
    if (type != qcow2::ClusterType::kCompressed && (entry & qcow2::kL2StdReservedMask) != 0) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_L2_RESERVED_BITS, entry);
      ++corruptions_;
    }
    switch (type) {
      case qcow2::ClusterType::kCompressed: {
        if ((entry & qcow2::kOflagCopied) != 0) {
          const qcow2::CompressedExtent c = qcow2::decode_compressed_l2_entry(entry, cluster_bits_);
          log_.line(instar_guest_CheckLine_CHECK_LINE_COMPRESSED_COPIED, c.offset);
          entry &= ~qcow2::kOflagCopied;
          ++corruptions_;
        }
        if (data_file_) {
          log_.line(instar_guest_CheckLine_CHECK_LINE_COMPRESSED_WITH_DATA_FILE, i, entry);
          ++corruptions_;
          break;
        }
        if (bitmap != 0) {
          log_.line(instar_guest_CheckLine_CHECK_LINE_COMPRESSED_SUBCLUSTER_BITMAP, i, entry);
          ++corruptions_;
          break;
        }
        const qcow2::CompressedExtent c = qcow2::decode_compressed_l2_entry(entry, cluster_bits_);
        if (!inc_refcounts(c.offset, c.size)) return false;
        if (active) {
          ++allocated_;
          ++compressed_;
          ++fragmented_;  // qemu counts every compressed cluster as fragmented
        }
        break;
      }
      case qcow2::ClusterType::kZeroAlloc:
      case qcow2::ClusterType::kNormal: {
        const uint64_t offset = entry & qcow2::kL2OffsetMask;
        if (((bitmap >> 32) & bitmap) != 0) {
          ++corruptions_;
          log_.line(instar_guest_CheckLine_CHECK_LINE_SUBCLUSTER_BITMAP_CORRUPTED, offset);
        }
        if ((offset & (cluster_size_ - 1)) != 0) {
          ++corruptions_;
          const bool contains_data = extended_l2_ ? (bitmap & qcow2::kL2BitmapAllAlloc) != 0
                                                  : (entry & qcow2::kOflagZero) == 0;
          // -r all turns such an entry into a plain zero cluster (fix_l2_entry_by_zero()).
          if (!contains_data && (fix_ & abi::kRepairErrors) != 0) {
            return refuse(kRefusePreallocatedUnaligned);
          }
          log_.line(contains_data
                        ? instar_guest_CheckLine_CHECK_LINE_DATA_CLUSTER_UNALIGNED
                        : instar_guest_CheckLine_CHECK_LINE_PREALLOCATED_CLUSTER_UNALIGNED,
                    offset);
        }
        if (active) {
          ++allocated_;
          if (next_contiguous != 0 && offset != next_contiguous) ++fragmented_;
          next_contiguous = offset + cluster_size_;
        }
        // Clusters of an external data file are not refcounted in the image file.
        if (!data_file_ && !inc_refcounts(offset, cluster_size_)) return false;
        break;
      }
      case qcow2::ClusterType::kZeroPlain:
        break;
      case qcow2::ClusterType::kUnallocated:
        if ((bitmap & qcow2::kL2BitmapAllAlloc) != 0) {
          ++corruptions_;
          log_.line(instar_guest_CheckLine_CHECK_LINE_UNALLOCATED_SUBCLUSTER_MAP);
        }
        break;
    }
  }
  return true;
}

// The snapshots' L1/L2 tables (with qemu's sanity checks on each entry), then the table itself.
bool Checker::walk_snapshots() {
  const qcow2::Header& h = m_.header;
  if (data_file_ && h.nb_snapshots != 0) {
    log_.line(instar_guest_CheckLine_CHECK_LINE_SNAPSHOTS_WITH_DATA_FILE, h.nb_snapshots);
    ++corruptions_;
  }
  qcow2::SnapshotTableReader snapshots(*tables_.reader, h.snapshots_offset, h.nb_snapshots,
                                       tables_.names);
  qcow2::Snapshot s;
  while (!snapshots.done()) {
    if (!snapshots.next(&s).ok()) {
      ++check_errors_;
      return fail(kEio);
    }
    if ((s.l1_table_offset & (cluster_size_ - 1)) != 0) {
      log_.snapshot_line(instar_guest_CheckLine_CHECK_LINE_SNAPSHOT_L1_UNALIGNED, s.id, s.name,
                         s.l1_table_offset);
      ++corruptions_;
      continue;
    }
    if (s.l1_size > qcow2::kMaxL1SizeBytes / qcow2::kL1EntrySize) {
      log_.snapshot_line(instar_guest_CheckLine_CHECK_LINE_SNAPSHOT_L1_TOO_LARGE, s.id, s.name,
                         s.l1_size);
      ++corruptions_;
      continue;
    }
    if (!walk_l1(s.l1_table_offset, s.l1_size, false)) return false;
  }
  return inc_refcounts(h.snapshots_offset, snapshots.table_length());
}

// qcow2_check_bitmaps_refcounts(): directory, bitmap tables and the clusters they point to.
bool Checker::walk_bitmaps() {
  const qcow2::HeaderExtensions& e = m_.extensions;
  if (e.nb_bitmaps == 0) return true;
  if (!inc_refcounts(e.bitmap_directory_offset, e.bitmap_directory_size)) return false;
  // open_image() validated the directory, so the entries and their steps are well-formed.
  uint64_t position = 0;
  while (position < e.bitmap_directory_size) {
    uint8_t raw[qcow2::kBitmapDirectoryEntrySize];
    if (!tables_.reader->read(e.bitmap_directory_offset + position, MutableBytes(raw, sizeof raw))
             .ok()) {
      ++check_errors_;
      return fail(kEio);
    }
    const qcow2::BitmapDirectoryEntry d = qcow2::decode_bitmap_directory_entry(raw);
    position += (qcow2::kBitmapDirectoryEntrySize + d.name_size + d.extra_data_size + 7) & ~7ull;
    const uint64_t table_bytes = uint64_t{d.bitmap_table_size} * 8;
    if (!inc_refcounts(d.bitmap_table_offset, table_bytes)) return false;
    for (uint64_t done = 0; done < table_bytes; done += kBatchBytes) {
      const uint64_t n = table_bytes - done < kBatchBytes ? table_bytes - done : kBatchBytes;
      if (!read_zero_filled(source_, d.bitmap_table_offset + done, MutableBytes(batch_, n)).ok()) {
        ++corruptions_;
        return true;
      }
      for (uint64_t j = 0; j < n; j += 8) {
        const uint64_t entry = load_be64(batch_ + j);
        const uint64_t offset = entry & 0x00fffffffffffe00ull;  // BME_TABLE_ENTRY_OFFSET_MASK
        // check_table_entry(): reserved bits, the all-ones flag with an offset, alignment.
        if ((entry & 0xff000000000001feull) != 0 ||
            (offset != 0 && ((entry & 1) != 0 || (offset & (cluster_size_ - 1)) != 0))) {
          ++corruptions_;
          continue;
        }
        if (offset != 0 && !inc_refcounts(offset, cluster_size_)) return false;
      }
    }
  }
  return true;
}

// check_refblocks() without repair.
bool Checker::check_refblocks() {
  for (uint64_t i = 0; i < reftable_entries_; ++i) {
    const uint64_t entry = load_be64(reftable_ + i * 8);
    const uint64_t offset = entry & qcow2::kReftableOffsetMask;
    const uint64_t cluster = offset >> cluster_bits_;
    if ((entry & qcow2::kReftableReservedMask) != 0) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFTABLE_RESERVED_BITS, i);
      ++corruptions_;
      rebuild_ = true;
      continue;
    }
    if ((offset & (cluster_size_ - 1)) != 0) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFBLOCK_UNALIGNED, i);
      ++corruptions_;
      rebuild_ = true;
      continue;
    }
    if (cluster >= refs_size_) {
      // -r all grows the file to hold the block (bdrv_co_truncate()).
      if ((fix_ & abi::kRepairErrors) != 0) return refuse(kRefuseRefblockOutside);
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFBLOCK_OUTSIDE_IMAGE, i);
      ++corruptions_;
      continue;
    }
    if (offset != 0) {
      if (!inc_refcounts(offset, cluster_size_)) return false;
      const uint64_t refcount = qcow2::get_refcount(refs_, cluster, order_);
      if (refcount != 1) {
        log_.line(instar_guest_CheckLine_CHECK_LINE_REFBLOCK_REFCOUNT, i, refcount);
        ++corruptions_;
        rebuild_ = true;
      }
    }
  }
  return true;
}

// qcow2_get_refcount(): false for qemu's -EIO (unaligned refblock, signalled once).
bool Checker::disk_refcount(uint64_t cluster, uint64_t* refcount) {
  const uint32_t block_bits = cluster_bits_ + 3 - order_;  // refcount_block_bits
  const uint64_t index = cluster >> block_bits;
  *refcount = 0;
  if (index >= reftable_entries_) return true;
  const uint64_t offset = load_be64(reftable_ + index * 8) & qcow2::kReftableOffsetMask;
  if (offset == 0) return true;
  if ((offset & (cluster_size_ - 1)) != 0) {
    if (!signaled_corruption_) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFBLOCK_OFFSET_UNALIGNED, offset, index);
      signaled_corruption_ = true;
    }
    return false;
  }
  if (!refblock_valid_ || refblock_offset_ != offset) {
    if (!flush_refblock()) return false;
    if (!read_zero_filled(source_, offset, MutableBytes(refblock_, cluster_size_)).ok()) {
      refblock_valid_ = false;
      return false;
    }
    refblock_offset_ = offset;
    refblock_valid_ = true;
  }
  *refcount = qcow2::get_refcount(refblock_, cluster & ((uint64_t{1} << block_bits) - 1), order_);
  return true;
}

// Writes `data` at `offset` of the image (check -r); a failure ends the check with EIO.
bool Checker::write(uint64_t offset, Bytes data) {
  if (sink_->write_at(offset, data).ok()) return true;
  ++check_errors_;
  return fail(kEio);
}

// The refcount block cache's write-back: the changed block goes out whole, as qemu's cache
// writes it.
bool Checker::flush_refblock() {
  if (!refblock_dirty_) return true;
  refblock_dirty_ = false;
  return write(refblock_offset_, Bytes(refblock_, cluster_size_));
}

// update_refcount() of one cluster to `refcount` (its reference count). A cluster that drops to
// 0 is discarded at once (QCOW2_DISCARD_ALWAYS): it reads as zeros; it is referenced by nothing,
// so that is safe before its refcount block is written.
bool Checker::set_disk_refcount(uint64_t cluster, uint64_t refcount) {
  uint64_t old = 0;
  if (!disk_refcount(cluster, &old)) return false;
  const uint32_t block_bits = cluster_bits_ + 3 - order_;
  qcow2::set_refcount(refblock_, cluster & ((uint64_t{1} << block_bits) - 1), order_, refcount);
  refblock_dirty_ = true;
  if (refcount != 0) return true;
  const uint64_t offset = cluster << cluster_bits_;
  if (offset >= file_size_) return true;
  const uint64_t room = file_size_ - offset;
  return write(offset, Bytes(zeros_, room < cluster_size_ ? room : cluster_size_));
}

// compare_refcounts(): finds the highest used cluster for the image end offset; with `fix`,
// leaks (-r leaks) and refcounts too low but not 0 (-r all) are set to the reference count.
void Checker::compare_refcounts(uint32_t fix) {
  highest_cluster_ = 0;
  for (uint64_t i = 0; i < refs_size_; ++i) {
    uint64_t on_disk = 0;
    if (!disk_refcount(i, &on_disk)) {
      if (error_number_ != 0) return;  // a write-back failed
      log_.line(instar_guest_CheckLine_CHECK_LINE_REFCOUNT_READ_ERROR, i);
      ++check_errors_;
      continue;
    }
    const uint64_t counted = qcow2::get_refcount(refs_, i, order_);
    if (on_disk > 0 || counted > 0) highest_cluster_ = i;
    if (on_disk == counted) continue;
    if (on_disk == 0) rebuild_ = true;
    const bool repair = on_disk != 0 && ((on_disk > counted && (fix & abi::kRepairLeaks) != 0) ||
                                         (on_disk < counted && (fix & abi::kRepairErrors) != 0));
    log_.line(repair              ? instar_guest_CheckLine_CHECK_LINE_REPAIR_CLUSTER
              : on_disk < counted ? instar_guest_CheckLine_CHECK_LINE_REFCOUNT_TOO_LOW
                                  : instar_guest_CheckLine_CHECK_LINE_CLUSTER_LEAKED,
              i, on_disk, counted);
    if (repair) {
      if (!set_disk_refcount(i, counted)) return;
      ++(on_disk > counted ? leaks_fixed_ : corruptions_fixed_);
      continue;
    }
    if (on_disk < counted) {
      ++corruptions_;
    } else {
      ++leaks_;
    }
  }
}

// check_oflag_copied(): COPIED must be set exactly when the refcount is 1. -r all sets or clears
// it, and so does -r leaks when the refcounts are right by now (no error, corruption or leak
// left): an L1 entry is written alone (qcow2_write_l1_entry() with byte-granular files), a
// changed L2 table whole.
bool Checker::check_oflag_copied() {
  const qcow2::Header& h = m_.header;
  const bool repair =
      (fix_ & abi::kRepairErrors) != 0 ||
      ((fix_ & abi::kRepairLeaks) != 0 && check_errors_ == 0 && corruptions_ == 0 && leaks_ == 0);
  const uint64_t per_batch = batch_tables();
  uint64_t raw[kMaxBatchTables];
  uint64_t offsets[kMaxBatchTables];
  uint64_t indices[kMaxBatchTables];
  for (uint64_t start = 0; start < h.l1_size; start += kL1ChunkEntries) {
    const uint64_t remaining = h.l1_size - start;
    const uint64_t entries = remaining < kL1ChunkEntries ? remaining : kL1ChunkEntries;
    if (!read_zero_filled(source_, h.l1_table_offset + start * 8,
                          MutableBytes(l1_chunk_, entries * 8))
             .ok()) {
      ++check_errors_;
      return fail(kEio);
    }
    uint64_t i = 0;
    while (i < entries) {
      uint32_t count = 0;
      for (; i < entries && count < per_batch; ++i) {
        const uint64_t entry = load_be64(l1_chunk_ + i * 8);
        if ((entry & qcow2::kL1OffsetMask) == 0) continue;
        raw[count] = entry;
        indices[count] = start + i;
        offsets[count++] = entry & qcow2::kL1OffsetMask;
      }
      if (count == 0) continue;
      if (!read_tables(offsets, count, batch_)) {
        log_.line(instar_guest_CheckLine_CHECK_LINE_L2_READ_ERROR);
        ++check_errors_;
        return fail(kEio);
      }
      for (uint32_t t = 0; t < count; ++t) {
        uint64_t refcount = 0;
        if (!disk_refcount(offsets[t] >> cluster_bits_, &refcount)) continue;
        if ((refcount == 1) != ((raw[t] & qcow2::kOflagCopied) != 0)) {
          log_.line(repair ? instar_guest_CheckLine_CHECK_LINE_REPAIR_OFLAG_COPIED_L2
                           : instar_guest_CheckLine_CHECK_LINE_OFLAG_COPIED_L2,
                    indices[t], raw[t], refcount);
          if (repair) {
            uint8_t entry[8];
            store_be64(entry, refcount == 1 ? raw[t] | qcow2::kOflagCopied
                                            : raw[t] & ~qcow2::kOflagCopied);
            if (!write(h.l1_table_offset + indices[t] * 8, Bytes(entry, sizeof entry))) {
              return false;
            }
            ++corruptions_fixed_;
          } else {
            ++corruptions_;
          }
        }
        uint8_t* table = batch_ + t * cluster_size_;
        bool table_changed = false;
        for (uint64_t j = 0; j < l2_entries_; ++j) {
          const uint64_t entry = load_be64(table + j * entry_size_);
          const qcow2::ClusterType type = qcow2::classify_l2_entry(entry, extended_l2_, data_file_);
          if (type != qcow2::ClusterType::kNormal && type != qcow2::ClusterType::kZeroAlloc) {
            continue;
          }
          // Clusters of an external data file have no refcount in the image file; qemu takes
          // theirs as 1, so only a clear COPIED flag is reported for them.
          uint64_t data_refcount = 1;
          if (!data_file_ &&
              !disk_refcount((entry & qcow2::kL2OffsetMask) >> cluster_bits_, &data_refcount)) {
            continue;
          }
          if ((data_refcount == 1) != ((entry & qcow2::kOflagCopied) != 0)) {
            log_.line(repair ? instar_guest_CheckLine_CHECK_LINE_REPAIR_OFLAG_COPIED_DATA
                             : instar_guest_CheckLine_CHECK_LINE_OFLAG_COPIED_DATA,
                      entry, data_refcount);
            if (repair) {
              store_be64(table + j * entry_size_, data_refcount == 1
                                                      ? entry | qcow2::kOflagCopied
                                                      : entry & ~qcow2::kOflagCopied);
              table_changed = true;
              ++corruptions_fixed_;
            } else {
              ++corruptions_;
            }
          }
        }
        if (table_changed && !write(offsets[t], Bytes(table, cluster_size_))) return false;
      }
    }
  }
  return true;
}

void Checker::run(instar_guest_CheckResult* out) {
  const qcow2::Header& h = m_.header;
  out->format = instar_guest_Format_FORMAT_QCOW2;
  const uint64_t nb_clusters = div_round_up(file_size_, cluster_size_);
  if (nb_clusters > static_cast<uint64_t>(kIntMax)) {
    out->check_errors = 1;
    out->error_number = kEfbig;
    return;
  }
  out->total_clusters = div_round_up(h.virtual_size(), cluster_size_);

  // Fixed buffers first, then the refcount array: what is left of the arena bounds the image
  // size we can check; beyond it qemu's "Cannot allocate memory" is the honest answer.
  reftable_entries_ = uint64_t{h.refcount_table_clusters} << (cluster_bits_ - 3);
  l1_chunk_ = arena_.allocate_array<uint8_t>(kL1ChunkEntries * 8);
  batch_ = arena_.allocate_array<uint8_t>(
      batch_tables() * cluster_size_ > kBatchBytes ? batch_tables() * cluster_size_ : kBatchBytes);
  refblock_ = arena_.allocate_array<uint8_t>(cluster_size_);
  reftable_ = arena_.allocate_array<uint8_t>(reftable_entries_ * 8);
  refs_capacity_ = nb_clusters + 2;
  const uint64_t refs_bytes = qcow2::refcount_array_bytes(refs_capacity_, order_);
  refs_ = arena_.allocate_array<uint8_t>(refs_bytes);
  if (fix_ != 0) {
    zeros_ = arena_.allocate_array<uint8_t>(cluster_size_);
    if (zeros_ != nullptr) fill_bytes(zeros_, 0, cluster_size_);
  }
  if (l1_chunk_ == nullptr || batch_ == nullptr || refblock_ == nullptr || reftable_ == nullptr ||
      refs_ == nullptr || (fix_ != 0 && zeros_ == nullptr)) {
    out->check_errors = 1;
    out->error_number = kEnomem;
    return;
  }
  fill_bytes(refs_, 0, refs_bytes);
  refs_size_ = nb_clusters;
  if (!read_zero_filled(source_, h.refcount_table_offset,
                        MutableBytes(reftable_, reftable_entries_ * 8))
           .ok()) {
    out->check_errors = 1;
    out->error_number = kEio;
    return;
  }

  // calculate_refcounts(), in qemu's order.
  bool ok =
      inc_refcounts(0, cluster_size_) && walk_l1(h.l1_table_offset, h.l1_size, true) &&
      walk_snapshots() && inc_refcounts(h.refcount_table_offset, reftable_entries_ * 8) &&
      (!m_.extensions.has_crypto_header ||
       inc_refcounts(m_.extensions.crypto_header_offset, m_.extensions.crypto_header_length)) &&
      walk_bitmaps() && check_refblocks();
  if (refusal_ != 0) return;
  if (ok) {
    // A repair runs the comparison again with the fix mode; the first one's counts are dropped.
    const uint64_t pre_corruptions = corruptions_;
    const uint64_t pre_leaks = leaks_;
    const uint64_t pre_check_errors = check_errors_;
    compare_refcounts(0);
    if (rebuild_ && (fix_ & abi::kRepairErrors) != 0) {
      // rebuild_refcount_structure(): new refcount table and blocks, not made by instar yet.
      refusal_ = kRefuseRebuild;
      return;
    }
    if (fix_ != 0 && rebuild_) {
      log_.line(instar_guest_CheckLine_CHECK_LINE_NEED_REBUILD);
      ++check_errors_;
      ok = fail(kEio);
    } else if (fix_ != 0 && (leaks_ != 0 || corruptions_ != 0)) {
      corruptions_ = pre_corruptions;
      leaks_ = pre_leaks;
      check_errors_ = pre_check_errors;
      compare_refcounts(fix_);
      ok = error_number_ == 0;
    }
    // The refcounts reach the disk before any COPIED flag that relies on them.
    ok = ok && flush_refblock() && (sink_ == nullptr || sink_->flush().ok() || fail(kEio)) &&
         check_oflag_copied();
  }
  out->corruptions = corruptions_;
  out->leaks_fixed = leaks_fixed_;
  out->corruptions_fixed = corruptions_fixed_;
  out->leaks = leaks_;
  out->check_errors = check_errors_;
  out->allocated_clusters = allocated_;
  out->fragmented_clusters = fragmented_;
  out->compressed_clusters = compressed_;
  if (!ok) {
    out->error_number = error_number_ != 0 ? error_number_ : kEio;
    return;
  }
  out->image_end_offset = (highest_cluster_ + 1) * cluster_size_;
}

// qcow2_check_read_snapshot_table()'s first step: the table's count and offset, which the open
// (BDRV_O_CHECK) left alone. A bad table ends the check with qcow2_validate_table()'s errno;
// the host prints qemu's report of it.
bool snapshot_table_is_usable(const qcow2::Header& h, instar_guest_CheckResult* out) {
  const Status table = qcow2::validate_snapshot_table(h);
  if (table.ok()) return true;
  const bool too_large = table.code() == instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_LARGE;
  out->format = instar_guest_Format_FORMAT_QCOW2;
  out->snapshot_table_fault = too_large
                                  ? instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_TOO_LARGE
                                  : instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_OFFSET_INVALID;
  out->overhanging_snapshots =
      h.nb_snapshots > qcow2::kMaxSnapshots ? h.nb_snapshots - qcow2::kMaxSnapshots : 0;
  out->check_errors = 1;
  out->error_number = too_large ? kEfbig : kEinval;
  return false;
}

// qcow2_check_read_snapshot_table()'s second step failed: qemu-img prints the read error (the
// host renders it from the code) and "Check failed: <strerror>".
void snapshot_table_unreadable(const Status& why, instar_guest_CheckResult* out) {
  out->format = instar_guest_Format_FORMAT_QCOW2;
  out->snapshot_table_fault = instar_guest_SnapshotTableFault_SNAPSHOT_TABLE_READ_FAILED;
  out->snapshot_read_error = why.code();
  out->snapshot_read_error_arg = why.nargs() > 0 ? why.arg(0) : 0;
  out->check_errors = 1;
  out->error_number = why.code() == instar_guest_ErrorCode_ERROR_IO ? kEio : kEfbig;
}

// Its last step: every v3 entry needs the 16 bytes of extra data that hold vm_state_size_large
// and disk_size; each shorter one is a corruption, reported before the refcount check runs.
uint64_t report_incomplete_snapshots(const qcow2::Header& h, const qcow2::TableScratch& tables,
                                     CheckLog& log) {
  if (h.version < 3) return 0;
  qcow2::SnapshotTableReader snapshots(*tables.reader, h.snapshots_offset, h.nb_snapshots,
                                       tables.names);
  qcow2::Snapshot s;
  uint64_t incomplete = 0;
  for (uint32_t index = 0; !snapshots.done() && snapshots.next(&s).ok(); ++index) {
    if (s.extra_data_size < 16) {
      log.line(instar_guest_CheckLine_CHECK_LINE_SNAPSHOT_INCOMPLETE, index);
      ++incomplete;
    }
  }
  return incomplete;
}

Status report_failure(MessageSink& sink, Arena& arena, const Status& failure,
                      const ErrorNames* names) {
  INSTAR_TRY(emit_error(sink, arena, failure, names));
  return emit_done(sink, arena, 1);
}

Status emit_result(MessageSink& sink, Arena& arena, instar_guest_GuestMessage* message) {
  message->which_body = instar_guest_GuestMessage_check_result_tag;
  INSTAR_TRY(emit_message(sink, arena, *message));
  return emit_done(sink, arena, 0);
}

// What qemu writes to the header of an image it opened read-write for a check: qcow2_mark_clean()
// (after a repair, and again on close) clears the dirty bit; qcow2_mark_consistent() clears the
// corrupt bit when no corruption is left. One qcow2_update_header() of the whole first cluster.
Status mark_clean(qcow2::HeaderRewrite& rewrite, BlockSink& out, bool consistent) {
  uint64_t features = rewrite.fields.incompatible_features & ~qcow2::kIncompatDirty;
  if (consistent) features &= ~qcow2::kIncompatCorrupt;
  if (features == rewrite.fields.incompatible_features) return Status::Ok();
  INSTAR_TRY(out.flush());  // the repairs first (qcow2_flush_caches())
  rewrite.fields.incompatible_features = features;
  return qcow2::write_header(rewrite, out);
}

// Why qemu's read-write open would write before the check (or instar would not repair what it
// does): ERROR_CHECK_REPAIR_UNSUPPORTED's reason, 0 when none applies.
uint64_t repair_refusal(const qcow2::Metadata& m) {
  if (m.extensions.has_data_file ||
      (m.header.incompatible_features & qcow2::kIncompatDataFile) != 0) {
    return 2;
  }
  if (m.extensions.nb_bitmaps != 0 || m.extensions.bitmaps_ignored) return 3;
  return m.header.autoclear_features != 0 ? 4 : 0;
}

Status refuse_repair(MessageSink& sink, Arena& arena, uint64_t reason) {
  return report_failure(
      sink, arena, Status(instar_guest_ErrorCode_ERROR_CHECK_REPAIR_UNSUPPORTED, reason), nullptr);
}

}  // namespace

Status qcow2::check(BlockSource& source, MessageSink& sink, Arena& arena) {
  return check(source, sink, arena, 0, nullptr);
}

Status qcow2::check(BlockSource& source, MessageSink& sink, Arena& arena, uint32_t fix,
                    BlockSink* out) {
  if (out == nullptr) fix = 0;
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(qcow2::kSnapshotNameScratchSize);
  auto* detail = static_cast<qcow2::OpenErrorDetail*>(
      arena.allocate(sizeof(qcow2::OpenErrorDetail), alignof(qcow2::OpenErrorDetail)));
  auto* metadata = static_cast<qcow2::Metadata*>(
      arena.allocate(sizeof(qcow2::Metadata), alignof(qcow2::Metadata)));
  instar_guest_GuestMessage* log_message = new_message(arena);
  instar_guest_GuestMessage* result = new_message(arena);
  if (window == nullptr || names == nullptr || detail == nullptr || metadata == nullptr ||
      log_message == nullptr || result == nullptr) {
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL), nullptr);
  }
  WindowedReader reader(source, MutableBytes(window, kTableWindowSize));
  const qcow2::TableScratch tables{&reader, MutableBytes(names, qcow2::kSnapshotNameScratchSize)};
  detail->clear();
  *metadata = qcow2::Metadata();
  // As qemu-img check: BDRV_O_CHECK (qcow2::OpenMode::kCheck).
  const Status opened =
      qcow2::open_image(source, arena, tables, metadata, detail, qcow2::OpenMode::kCheck);
  if (!opened.ok()) {
    return report_failure(sink, arena, opened, detail);
  }
  qcow2::HeaderRewrite rewrite;
  if (fix != 0) {
    if (const uint64_t why = repair_refusal(*metadata); why != 0) {
      return refuse_repair(sink, arena, why);
    }
    INSTAR_TRY(qcow2::prepare_header_rewrite(*metadata, source, arena, &rewrite));
  }
  instar_guest_CheckResult& r = result->body.check_result;
  // qcow2_check_read_snapshot_table(): -r all would repair what ends a read-only check here.
  bool table_ok = snapshot_table_is_usable(metadata->header, &r);
  if (table_ok) {
    // The entries themselves (qcow2_do_read_snapshots()): a failure ends the check.
    const Status entries = qcow2::read_snapshot_table(metadata->header, tables);
    if (!entries.ok()) {
      snapshot_table_unreadable(entries, &r);
      table_ok = false;
    }
  }
  if (!table_ok) {
    if ((fix & abi::kRepairErrors) != 0) return refuse_repair(sink, arena, kRefuseSnapshotTable);
    if (fix != 0 && !mark_clean(rewrite, *out, false).ok()) {  // on close
      if (r.error_number == 0) r.error_number = kEio;
    }
    return emit_result(sink, arena, result);
  }
  CheckLog log(sink, arena, log_message);
  const uint64_t incomplete = report_incomplete_snapshots(metadata->header, tables, log);
  if (incomplete != 0 && (fix & abi::kRepairErrors) != 0) {
    return refuse_repair(sink, arena, kRefuseSnapshotTable);
  }
  const uint64_t mark = arena.mark();
  {
    Checker checker(source, arena, log, *metadata, tables, fix, out);
    checker.run(&r);
    if (checker.refusal() != 0) return refuse_repair(sink, arena, checker.refusal());
  }
  arena.release_to(mark);
  r.corruptions += incomplete;
  // A failed header write ends the check as qemu's does: "Check failed: <strerror>".
  if (fix != 0 &&
      !mark_clean(rewrite, *out, r.error_number == 0 && r.check_errors == 0 && r.corruptions == 0)
           .ok()) {
    if (r.error_number == 0) r.error_number = kEio;
    INSTAR_TRY(log.flush());
    return emit_result(sink, arena, result);
  }
  if (r.leaks_fixed != 0 || r.corruptions_fixed != 0) {
    // img_check's second, read-only check of the repaired image ("Double checking ...").
    const uint64_t leaks_fixed = r.leaks_fixed;
    const uint64_t corruptions_fixed = r.corruptions_fixed;
    r = instar_guest_CheckResult_init_zero;
    WindowedReader fresh(source, MutableBytes(window, kTableWindowSize));
    const qcow2::TableScratch again{&fresh, tables.names};
    const uint64_t incomplete_again = report_incomplete_snapshots(metadata->header, again, log);
    Checker checker(source, arena, log, *metadata, again);
    checker.run(&r);
    r.corruptions += incomplete_again;
    r.leaks_fixed = leaks_fixed;
    r.corruptions_fixed = corruptions_fixed;
  }
  INSTAR_TRY(log.flush());
  return emit_result(sink, arena, result);
}

}  // namespace instar
