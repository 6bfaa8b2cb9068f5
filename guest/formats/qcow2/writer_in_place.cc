// writer_in_place.cc: the qcow2 writer over an existing image (qcow2_open() read-write), for the
// ops that write guest data into an image in place (rebase's copy, commit): the same write path
// as a fresh image's (writer.cc), started from the image's own tables.
#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/l1_table_io.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/lib/heap_sort.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

constexpr uint64_t kIncompatDataFile = 1u << 2;

bool overlaps(uint64_t offset, uint64_t bytes, FileRange r) {
  return r.end > r.start && offset < r.end && r.start < offset + bytes;
}

}  // namespace

Status Qcow2Writer::collect_metadata_clusters() {
  const uint64_t* reftable = refs_.table_entries_raw();
  const uint64_t reftable_size = refs_.table_entries();
  metadata_clusters_ = arena_.allocate_array<uint64_t>(l1_size_ + reftable_size + 1);
  if (metadata_clusters_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  metadata_count_ = 0;
  for (uint64_t i = 0; i < l1_size_; ++i) {
    const uint64_t l2 = l1_[i] & kL1OffsetMask;
    if (l2 != 0) metadata_clusters_[metadata_count_++] = l2 & ~(cluster_size_ - 1);
  }
  for (uint64_t i = 0; i < reftable_size; ++i) {
    const uint64_t block = reftable[i] & kReftableOffsetMask;
    if (block != 0) metadata_clusters_[metadata_count_++] = block & ~(cluster_size_ - 1);
  }
  heap_sort(metadata_clusters_, metadata_count_);
  return Status::Ok();
}

Status Qcow2Writer::check_allocation(uint64_t offset, uint64_t bytes) const {
  const Status corrupt = Status(instar_guest_ErrorCode_ERROR_IO, offset);
  // The refcount table where it is now: a grown table frees the old one for reuse, as in qemu.
  const FileRange reftable{
      refs_.table_offset(),
      refs_.table_offset() + (uint64_t{refs_.table_clusters()} << cluster_bits_)};
  if (offset < cluster_size_ || overlaps(offset, bytes, l1_range_) ||
      overlaps(offset, bytes, reftable)) {
    return corrupt;
  }
  // The first metadata cluster at or after `offset`.
  uint64_t lo = 0;
  uint64_t hi = metadata_count_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (metadata_clusters_[mid] < offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < metadata_count_ && metadata_clusters_[lo] < offset + bytes) return corrupt;
  return Status::Ok();
}

Status Qcow2Writer::open_in_place(const Header& h, uint64_t file_length, bool has_backing,
                                  CacheSlots slots) {
  if (created_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  // An external data file is refused before (in_place_refusal): its data goes elsewhere.
  if ((h.incompatible_features & kIncompatDataFile) != 0) {
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP);
  }
  version_ = h.version;
  cluster_bits_ = h.cluster_bits;
  cluster_size_ = h.cluster_size();
  extended_l2_ = h.has_extended_l2();
  l2e_size_ = extended_l2_ ? 16 : 8;
  l2_entries_ = cluster_size_ / l2e_size_;
  sc_bits_ = extended_l2_ ? cluster_bits_ - 5 : cluster_bits_;
  compression_type_ = h.compression_type;
  has_backing_ = has_backing;
  has_data_file_ = false;
  size_ = h.virtual_size();
  // The L1 table must cover the size (qcow2_do_open() checked it); the writer indexes it so.
  const uint64_t shift = cluster_bits_ + log2_of(l2_entries_);
  if (h.l1_size < ((size_ + (uint64_t{1} << shift) - 1) >> shift)) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  l1_size_ = h.l1_size;
  l1_offset_ = h.l1_table_offset;
  file_.set_end(file_length);

  cluster_buf_ = static_cast<uint8_t*>(arena_.allocate(cluster_size_, 64));
  compress_buf_ = static_cast<uint8_t*>(arena_.allocate(cluster_size_, 64));
  if (cluster_buf_ == nullptr || compress_buf_ == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  Result<uint64_t*> l1 = read_l1_table(file_, arena_, l1_offset_, l1_size_);
  if (!l1.ok()) return l1.status();
  l1_ = l1.value();
  INSTAR_TRY(refs_.load(arena_, file_, cluster_bits_, h.refcount_order, h.refcount_table_offset,
                        h.refcount_table_clusters, slots.refcount_blocks));
  // The table grows in place: its new offset goes to the header at once.
  refs_.write_header_on_growth();
  INSTAR_TRY(l2_cache_.init(arena_, file_, slots.l2_tables, cluster_size_));
  l1_range_ = FileRange{l1_offset_, l1_offset_ + l1_size_ * kL1EntrySize};
  INSTAR_TRY(collect_metadata_clusters());
  pending_ = arena_.allocate_array<PendingLink>(kMaxPendingLinks);
  if (pending_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  pending_count_ = 0;
  created_ = true;
  in_place_ = true;
  return Status::Ok();
}

Status Qcow2Writer::defer_link(const L2Meta& m, uint64_t l2_offset) {
  if (pending_count_ == kMaxPendingLinks) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  pending_[pending_count_] = PendingLink{m, l2_offset};
  ++pending_count_;
  return Status::Ok();
}

Status Qcow2Writer::link_pending() {
  for (uint64_t i = 0; i < pending_count_; ++i) {
    INSTAR_TRY(link_l2(pending_[i].meta, pending_[i].l2_offset));
  }
  pending_count_ = 0;
  return Status::Ok();
}

Status Qcow2Writer::flush_in_place() {
  if (!in_place_ || pending_count_ != 0) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  // qcow2_write_caches(): the L2 cache first, which flushes the refcount blocks it depends on
  // before its first table; then the refcount blocks; then the file.
  INSTAR_TRY(l2_cache_.flush());
  INSTAR_TRY(refs_.flush());
  return file_.flush();
}

}  // namespace instar::qcow2
