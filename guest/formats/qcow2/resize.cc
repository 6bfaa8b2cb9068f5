// resize.cc: qcow2_co_truncate() (preallocation off), step for step where the order decides the
// bytes, and with every table written before the structure that points at it.
#include "guest/formats/qcow2/resize.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/host_file.h"
#include "guest/formats/qcow2/l1_table_io.h"
#include "guest/formats/qcow2/refcount_allocator.h"
#include "guest/formats/qcow2/table_cache.h"
#include "guest/lib/bytes.h"
#include "guest/lib/mem.h"

#include <new>

namespace instar::qcow2 {

namespace {

constexpr uint32_t kRefcountCacheSlots = 8;
constexpr uint32_t kL2CacheSlots = 8;
constexpr uint64_t kEfbig = 27;  // errno EFBIG
constexpr uint64_t kEio = 5;     // errno EIO
constexpr uint64_t kHeaderSizeOffset = 24;
constexpr uint64_t kHeaderL1SizeOffset = 36;

Status failed(instar_guest_ErrorCode code, uint64_t error_number) {
  return Status(code, error_number);
}

// The errno a guest failure stands for in qemu's "<step>: <strerror>" messages.
Status as_step_error(const Status& s, instar_guest_ErrorCode step) {
  if (s.ok()) return s;
  if (s.code() == instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE) return failed(step, kEfbig);
  if (s.code() == instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO) return failed(step, s.arg(0));
  if (s.code() == instar_guest_ErrorCode_ERROR_INTERNAL) return s;
  return failed(step, kEio);
}

class Resizer {
 public:
  Resizer(const ResizeImage& image, Arena& arena)
      : h_(*image.header), file_(*image.sink, image.source), arena_(arena) {
    file_.set_end(image.file_length);
    extended_l2_ = h_.has_extended_l2();
    entry_size_ = l2_entry_size(extended_l2_);
    l2_entries_ = h_.cluster_size() / entry_size_;
  }

  Status init() {
    l1_size_ = h_.l1_size;
    l1_offset_ = h_.l1_table_offset;
    Result<uint64_t*> l1 = read_l1_table(file_, arena_, l1_offset_, l1_size_);
    if (!l1.ok()) return l1.status();
    l1_ = l1.value();
    INSTAR_TRY(refcounts_.load(arena_, file_, h_.cluster_bits, h_.refcount_order,
                               h_.refcount_table_offset, h_.refcount_table_clusters,
                               kRefcountCacheSlots));
    refcounts_.write_header_on_growth();
    return l2_cache_.init(arena_, file_, kL2CacheSlots, h_.cluster_size());
  }

  // qcow2_grow_l1_table(bs, min_size, exact_size = true).
  Status grow_l1(uint64_t new_l1_size) {
    if (new_l1_size <= l1_size_) return Status::Ok();
    if (new_l1_size > 0x7fffffffull / 8 || new_l1_size > kMaxL1Entries) {
      return failed(instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1, kEfbig);
    }
    uint64_t* table = arena_.allocate_array<uint64_t>(new_l1_size);
    if (table == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    fill_bytes(table, 0, new_l1_size * 8);
    copy_bytes(table, l1_, l1_size_ * 8);
    Result<uint64_t> offset = refcounts_.alloc_clusters(new_l1_size * 8);
    if (!offset.ok())
      return as_step_error(offset.status(), instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1);
    // The new table's refcounts, then the table, then the header that points at it.
    INSTAR_TRY(as_step_error(refcounts_.flush(), instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1));
    INSTAR_TRY(as_step_error(write_l1(table, offset.value(), 0, new_l1_size),
                             instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1));
    INSTAR_TRY(as_step_error(file_.flush(), instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1));
    uint8_t fields[12];
    store_be32(fields, static_cast<uint32_t>(new_l1_size));
    store_be64(fields + 4, offset.value());
    INSTAR_TRY(as_step_error(file_.write(kHeaderL1SizeOffset, Bytes(fields, sizeof fields)),
                             instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1));
    INSTAR_TRY(as_step_error(file_.flush(), instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1));
    const uint64_t old_offset = l1_offset_;
    const uint64_t old_size = l1_size_;
    l1_ = table;
    l1_offset_ = offset.value();
    l1_size_ = new_l1_size;
    // QCOW2_DISCARD_OTHER: the old table's clusters are freed, not discarded.
    return as_step_error(refcounts_.free_clusters(old_offset, old_size * 8, false),
                         instar_guest_ErrorCode_ERROR_RESIZE_GROW_L1);
  }

  // qcow2_cluster_discard(bs, offset, bytes, QCOW2_DISCARD_ALWAYS, full_discard = true).
  Status discard(uint64_t offset, uint64_t end) {
    const uint64_t cluster_size = h_.cluster_size();
    while (offset < end) {
      const uint64_t clusters = (end - offset + cluster_size - 1) / cluster_size;
      Result<uint64_t> cleared = discard_in_l2(offset, clusters);
      if (!cleared.ok()) {
        return as_step_error(cleared.status(), instar_guest_ErrorCode_ERROR_RESIZE_DISCARD);
      }
      offset += cleared.value() * cluster_size;
    }
    return Status::Ok();
  }

  // qcow2_shrink_l1_table(): the tail of the L1 table zeroed on disk (the header keeps its
  // l1_size), then the L2 tables it pointed at freed and discarded, last first.
  Status shrink_l1(uint64_t new_l1_size) {
    if (new_l1_size >= l1_size_) return Status::Ok();
    const auto step = instar_guest_ErrorCode_ERROR_RESIZE_SHRINK_L1;
    INSTAR_TRY(as_step_error(l2_cache_.flush(), step));
    INSTAR_TRY(as_step_error(
        file_.write_zeros(l1_offset_ + new_l1_size * 8, (l1_size_ - new_l1_size) * 8), step));
    INSTAR_TRY(as_step_error(file_.flush(), step));
    for (uint64_t i = l1_size_; i-- > new_l1_size;) {
      const uint64_t l2 = l1_[i] & kL1OffsetMask;
      if (l2 == 0) continue;
      l2_cache_.discard(l2);
      INSTAR_TRY(as_step_error(refcounts_.free_clusters(l2, h_.cluster_size(), true), step));
      l1_[i] = 0;
    }
    return Status::Ok();
  }

  Status shrink_reftable() {
    INSTAR_TRY(
        as_step_error(refcounts_.flush(), instar_guest_ErrorCode_ERROR_RESIZE_SHRINK_REFTABLE));
    return as_step_error(refcounts_.shrink_table(),
                         instar_guest_ErrorCode_ERROR_RESIZE_SHRINK_REFTABLE);
  }

  // qcow2_get_last_cluster() of the file as it is now, and the length qemu truncates it to.
  Result<uint64_t> truncated_length() {
    const uint64_t length = file_.end();
    Result<int64_t> last = refcounts_.last_cluster(length);
    // "There are no references in the refcount table.": qemu's -EIO.
    const Status found = !last.ok()         ? last.status()
                         : last.value() < 0 ? Status(instar_guest_ErrorCode_ERROR_IO)
                                            : Status::Ok();
    if (!found.ok()) {
      return as_step_error(found, instar_guest_ErrorCode_ERROR_RESIZE_LAST_CLUSTER);
    }
    const uint64_t end = (static_cast<uint64_t>(last.value()) + 1) << h_.cluster_bits;
    return end < length ? end : length;
  }

  // Every cached table written, then the header's size field last.
  Status write_size(uint64_t size) {
    const auto step = instar_guest_ErrorCode_ERROR_RESIZE_UPDATE_SIZE;
    INSTAR_TRY(as_step_error(l2_cache_.flush(), step));
    INSTAR_TRY(as_step_error(refcounts_.flush(), step));
    INSTAR_TRY(as_step_error(file_.flush(), step));
    uint8_t field[8];
    store_be64(field, size);
    INSTAR_TRY(as_step_error(file_.write(kHeaderSizeOffset, Bytes(field, 8)), step));
    return as_step_error(file_.flush(), step);
  }

  uint64_t l1_size() const { return l1_size_; }
  uint64_t file_end() const { return file_.end(); }

 private:
  Status write_l1(const uint64_t* table, uint64_t offset, uint64_t first, uint64_t count) {
    return write_l1_entries(file_, table, offset, first, count);
  }

  // get_cluster_table(): the L2 table of `l1_index`, allocated (l2_allocate(), a copy of the old
  // one when it is shared) unless the L1 entry says this image alone owns it. qemu does this even
  // for an unallocated entry, so a shrink allocates L2 tables for cropped empty ranges too.
  Result<uint64_t> cluster_table(uint64_t l1_index) {
    const uint64_t entry = l1_[l1_index];
    const uint64_t old_l2 = entry & kL1OffsetMask;
    if ((old_l2 & (h_.cluster_size() - 1)) != 0) return Status(instar_guest_ErrorCode_ERROR_IO);
    if ((entry & kOflagCopied) != 0) return old_l2;
    Result<uint64_t> l2 = refcounts_.alloc_clusters(h_.cluster_size());
    if (!l2.ok()) return l2;
    if (l2.value() == 0) return Status(instar_guest_ErrorCode_ERROR_IO);
    INSTAR_TRY(refcounts_.flush());
    Result<uint8_t*> table = l2_cache_.get_empty(l2.value());
    if (!table.ok()) return table.status();
    if (old_l2 != 0) {
      uint8_t* fresh = table.value();
      Result<uint8_t*> old = l2_cache_.get(old_l2);
      if (!old.ok()) return old.status();
      // get() may have reused no slot of `fresh` (the cache keeps both: they differ in offset).
      copy_bytes(fresh, old.value(), h_.cluster_size());
    }
    l2_cache_.mark_dirty(l2.value());
    // The new table on disk before the L1 entry that points at it.
    INSTAR_TRY(l2_cache_.flush());
    l1_[l1_index] = l2.value() | kOflagCopied;
    INSTAR_TRY(write_l1_entry(l1_index));
    if (old_l2 != 0) {
      // QCOW2_DISCARD_OTHER: the shared table loses this image's reference only.
      INSTAR_TRY(refcounts_.free_clusters(old_l2, h_.cluster_size(), false));
    }
    return l2.value();
  }

  // qcow2_write_l1_entry(): the 512-byte sector of the L1 table that holds the entry.
  Status write_l1_entry(uint64_t l1_index) {
    constexpr uint64_t kPerSector = 512 / 8;
    const uint64_t first = l1_index / kPerSector * kPerSector;
    const uint64_t count = l1_size_ - first < kPerSector ? l1_size_ - first : kPerSector;
    INSTAR_TRY(write_l1(l1_, l1_offset_, first, count));
    return file_.flush();
  }

  // discard_in_l2_slice() over one whole L2 table (qemu's default slice is the table): entries
  // cleared and the table written, then the clusters they held freed and discarded.
  Result<uint64_t> discard_in_l2(uint64_t offset, uint64_t clusters) {
    const uint32_t l2_bits = h_.cluster_bits - (extended_l2_ ? 4 : 3);
    const uint64_t l1_index = offset >> (h_.cluster_bits + l2_bits);
    const uint64_t l2_index = (offset >> h_.cluster_bits) & (l2_entries_ - 1);
    if (l1_index >= l1_size_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    Result<uint64_t> l2 = cluster_table(l1_index);
    if (!l2.ok()) return l2;
    if (clusters > l2_entries_ - l2_index) clusters = l2_entries_ - l2_index;
    Result<uint8_t*> table = l2_cache_.get(l2.value());
    if (!table.ok()) return table.status();
    // Which clusters to free, collected before any refcount changes (the L2 table goes first).
    const uint64_t mark = arena_.mark();
    uint64_t* freed = arena_.allocate_array<uint64_t>(clusters * 2);
    if (freed == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    uint64_t nfreed = 0;
    bool dirty = false;
    for (uint64_t i = 0; i < clusters; ++i) {
      uint8_t* e = table.value() + (l2_index + i) * entry_size_;
      const uint64_t entry = load_be64(e);
      const uint64_t bitmap = extended_l2_ ? load_be64(e + 8) : 0;
      if (entry == 0 && bitmap == 0) continue;
      store_be64(e, 0);
      if (extended_l2_) store_be64(e + 8, 0);
      dirty = true;
      switch (classify_l2_entry(entry, extended_l2_, false)) {
        case ClusterType::kCompressed: {
          const CompressedExtent c = decode_compressed_l2_entry(entry, h_.cluster_bits);
          freed[nfreed * 2] = c.offset;
          freed[nfreed * 2 + 1] = c.size;
          ++nfreed;
          break;
        }
        case ClusterType::kNormal:
        case ClusterType::kZeroAlloc: {
          const uint64_t host = entry & kL2OffsetMask;
          if ((host & (h_.cluster_size() - 1)) != 0) {
            return Status(instar_guest_ErrorCode_ERROR_IO);  // qemu signals corruption
          }
          freed[nfreed * 2] = host;
          freed[nfreed * 2 + 1] = h_.cluster_size();
          ++nfreed;
          break;
        }
        case ClusterType::kZeroPlain:
        case ClusterType::kUnallocated:
          break;
      }
    }
    if (dirty) {
      l2_cache_.mark_dirty(l2.value());
      INSTAR_TRY(l2_cache_.flush());
      INSTAR_TRY(file_.flush());
    }
    for (uint64_t i = 0; i < nfreed; ++i) {
      INSTAR_TRY(refcounts_.free_clusters(freed[i * 2], freed[i * 2 + 1], true));
    }
    arena_.release_to(mark);
    return clusters;
  }

  const Header& h_;
  HostFile file_;
  Arena& arena_;
  RefcountAllocator refcounts_;
  TableCache l2_cache_;
  uint64_t* l1_ = nullptr;
  uint64_t l1_size_ = 0;
  uint64_t l1_offset_ = 0;
  bool extended_l2_ = false;
  uint64_t entry_size_ = 8;
  uint64_t l2_entries_ = 0;
};

}  // namespace

uint64_t size_to_l1(uint64_t size, uint32_t cluster_bits, bool extended_l2) {
  const uint32_t shift = cluster_bits + cluster_bits - (extended_l2 ? 4 : 3);
  return (size + (uint64_t{1} << shift) - 1) >> shift;
}

Status resize_image(const ResizeImage& image, uint64_t new_size, Arena& arena,
                    uint64_t* file_length) {
  const Header& h = *image.header;
  void* memory = arena.allocate(sizeof(Resizer), alignof(Resizer));
  if (memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  auto* r = new (memory) Resizer(image, arena);
  INSTAR_TRY(r->init());
  const uint64_t old_size = h.size;
  const uint64_t new_l1_size = size_to_l1(new_size, h.cluster_bits, h.has_extended_l2());
  uint64_t length = 0;
  if (new_size < old_size) {
    const uint64_t cluster_size = h.cluster_size();
    const uint64_t start = (new_size + cluster_size - 1) / cluster_size * cluster_size;
    if (start < old_size) INSTAR_TRY(r->discard(start, old_size));
    INSTAR_TRY(r->shrink_l1(new_l1_size));
    INSTAR_TRY(r->shrink_reftable());
    Result<uint64_t> truncated = r->truncated_length();
    if (!truncated.ok()) return truncated.status();
    length = truncated.value();
  } else {
    INSTAR_TRY(r->grow_l1(new_l1_size));
  }
  INSTAR_TRY(r->write_size(new_size));
  if (new_size >= old_size) length = r->file_end();
  *file_length = length;
  return Status::Ok();
}

}  // namespace instar::qcow2
