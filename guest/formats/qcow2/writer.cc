// writer.cc: qcow2_co_create(), qcow2_co_pwritev_part(), qcow2_co_pwritev_compressed_task() and
// qcow2_co_pwrite_zeroes() for a fresh image, step for step: where a table or data cluster lands
// depends on the exact order in which qemu allocates, so this follows its functions one by one.
#include "guest/formats/qcow2/writer.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/compress.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/subcluster_type.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

constexpr uint64_t kRequestMaxBytes = 0x7ffffe00;  // BDRV_REQUEST_MAX_BYTES
constexpr uint64_t kIntMaxBytes = 0x7fffffff;
constexpr uint64_t kIncompatDataFile = 1u << 2;
constexpr uint64_t kIncompatCompression = 1u << 3;
constexpr uint64_t kIncompatExtendedL2 = 1u << 4;
constexpr uint64_t kCompatLazyRefcounts = 1u << 0;
constexpr uint64_t kAutoclearDataFileRaw = 1u << 1;
constexpr uint64_t kBitmapAllZeroes = 0xffffffff00000000ull;  // QCOW_L2_BITMAP_ALL_ZEROES

constexpr uint64_t sub_alloc_range(uint32_t from, uint32_t to) {
  return ((to >= 64 ? ~uint64_t{0} : (uint64_t{1} << to) - 1)) & ~((uint64_t{1} << from) - 1);
}

Status internal() {
  return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
}
Status unsupported() {
  return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP);
}

// Keeps a copy of a command-line name in the arena (the options may not outlive create()).
Result<Bytes> keep(Arena& arena, bool present, Bytes name) {
  if (!present) return Bytes();
  uint8_t* copy = static_cast<uint8_t*>(arena.allocate(name.size + 1, 1));
  if (copy == nullptr) return internal();
  if (name.size != 0) copy_bytes(copy, name.data, name.size);
  return Bytes(copy, name.size);
}

}  // namespace

Status Qcow2Writer::create(const Qcow2CreateOptions& o, CacheSlots slots) {
  if (created_) return internal();
  INSTAR_TRY(validate_create_options(o));

  version_ = o.compat_v3 ? 3 : 2;
  cluster_size_ = o.cluster_size;
  cluster_bits_ = log2_of(o.cluster_size);
  extended_l2_ = o.extended_l2;
  l2e_size_ = extended_l2_ ? 16 : 8;
  l2_entries_ = cluster_size_ / l2e_size_;
  sc_bits_ = extended_l2_ ? cluster_bits_ - 5 : cluster_bits_;
  compression_type_ = o.compression_type;
  has_backing_ = o.has_backing_file;
  has_data_file_ = o.has_data_file;
  size_ = (o.size + 511) & ~uint64_t{511};
  const uint32_t refcount_order = log2_of(o.refcount_bits);

  header_ = HeaderFields{};
  header_.version = version_;
  header_.cluster_bits = cluster_bits_;
  header_.refcount_order = refcount_order;
  header_.compression_type = compression_type_;
  if (o.lazy_refcounts) header_.compatible_features |= kCompatLazyRefcounts;
  if (o.has_data_file) header_.incompatible_features |= kIncompatDataFile;
  if (o.data_file_raw) header_.autoclear_features |= kAutoclearDataFileRaw;
  if (compression_type_ != kCompressionZlib) {
    header_.incompatible_features |= kIncompatCompression;
  }
  if (extended_l2_) header_.incompatible_features |= kIncompatExtendedL2;
  Result<Bytes> name = keep(arena_, o.has_backing_file, o.backing_file);
  if (!name.ok()) return name.status();
  header_.backing_file = name.value();
  name = keep(arena_, o.has_backing_fmt, o.backing_fmt);
  if (!name.ok()) return name.status();
  header_.backing_format = name.value();
  name = keep(arena_, o.has_data_file, o.data_file);
  if (!name.ok()) return name.status();
  header_.data_file = name.value();

  cluster_buf_ = static_cast<uint8_t*>(arena_.allocate(cluster_size_, 64));
  compress_buf_ = static_cast<uint8_t*>(arena_.allocate(cluster_size_, 64));
  if (cluster_buf_ == nullptr || compress_buf_ == nullptr) return internal();

  // A refcount table with one (empty) refcount block: clusters 1 and 2, written in full.
  uint8_t entry[8];
  store_be64(entry, 2 * cluster_size_);
  INSTAR_TRY(file_.write(cluster_size_, Bytes(entry, 8)));
  INSTAR_TRY(file_.write_zeros(cluster_size_ + 8, 2 * cluster_size_ - 8));
  INSTAR_TRY(refs_.init(arena_, file_, cluster_bits_, refcount_order, cluster_size_, 1,
                        2 * cluster_size_, slots.refcount_blocks));
  INSTAR_TRY(l2_cache_.init(arena_, file_, slots.l2_tables, cluster_size_));

  // Opened, the image first takes the header and refcount clusters.
  Result<uint64_t> first = refs_.alloc_clusters(3 * cluster_size_);
  if (!first.ok()) return first.status();
  if (first.value() != 0) return internal();

  // blk_truncate() to the size: qcow2_grow_l1_table() with the exact size.
  const uint32_t shift = cluster_bits_ + log2_of(l2_entries_);
  l1_size_ = (size_ + (uint64_t{1} << shift) - 1) >> shift;
  if (l1_size_ > kMaxL1SizeBytes / kL1EntrySize) {
    return Status(instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE);
  }
  l1_ = arena_.allocate_array<uint64_t>(l1_size_ == 0 ? 1 : l1_size_);
  if (l1_ == nullptr) return internal();
  fill_bytes(l1_, 0, l1_size_ * 8);
  if (l1_size_ != 0) {
    Result<uint64_t> l1 = refs_.alloc_clusters(l1_size_ * kL1EntrySize);
    if (!l1.ok()) return l1.status();
    l1_offset_ = l1.value();
    INSTAR_TRY(refs_.flush());
    INSTAR_TRY(file_.write_zeros(l1_offset_, l1_size_ * kL1EntrySize));
  }

  // The header with the size, backing file and format; then the image is closed and reopened.
  INSTAR_TRY(write_header());
  created_ = true;
  // qcow2_co_create(): data_file_raw needs the L1/L2 tables to map 1:1, so off becomes metadata;
  // with a data file, qcow2_co_truncate() preallocates falloc and full as metadata too and hands
  // the mode to the data file (the host's part: data_file_area()).
  const bool metadata_only = o.preallocation == Preallocation::kMetadata ||
                             (o.data_file_raw && o.preallocation == Preallocation::kOff) ||
                             (has_data_file_ && o.preallocation != Preallocation::kOff);
  if (metadata_only) {
    INSTAR_TRY(preallocate_metadata());
  } else if (o.preallocation != Preallocation::kOff) {
    INSTAR_TRY(preallocate_data_area());
  }
  INSTAR_TRY(refs_.flush());
  refs_.reopen();
  return Status::Ok();
}

// preallocate_co() (qcow2_co_truncate() with preallocation=metadata): every cluster allocated
// and mapped as a write would allocate it, without data (only a partial last cluster's
// copy-on-write tail is written), then the file extended to the last allocation's end.
Status Qcow2Writer::preallocate_metadata() {
  const uint64_t max_chunk = kIntMaxBytes & ~(cluster_size_ - 1);
  uint64_t offset = 0;
  uint64_t bytes = size_;
  uint64_t host_end = 0;
  preallocating_ = true;
  while (bytes > 0) {
    uint64_t cur = bytes < max_chunk ? bytes : max_chunk;
    Result<uint64_t> host = alloc_host_offset(offset, &cur);
    if (!host.ok()) return host.status();
    host_end = host.value() + cur;
    bytes -= cur;
    offset += cur;
  }
  preallocating_ = false;
  // bdrv_co_truncate() of the data file to the end, if that is longer: the host's part.
  if (has_data_file_) {
    data_file_area_.end = host_end;
    return Status::Ok();
  }
  // bdrv_co_truncate() of the file: zeros up to the end (written here: the sink has no truncate;
  // the bytes and length are the same).
  if (host_end > file_.end()) {
    const uint64_t from = host_end - 512 > file_.end() ? host_end - 512 : file_.end();
    INSTAR_TRY(file_.write_zeros(from, host_end - from));
  }
  return Status::Ok();
}

// qcow2_co_truncate() with preallocation=falloc|full from size 0: refcount structures for the
// whole file reserved behind what is allocated (qcow2_refcount_area()), every data cluster
// allocated in one run behind them, the file grown over that run (the host allocates or zeroes
// it: data_area_), then the clusters entered in their L2 tables, which are allocated as usual.
Status Qcow2Writer::preallocate_data_area() {
  Result<int64_t> last = refs_.last_cluster(file_.end());
  if (!last.ok()) return last.status();
  const uint64_t old_file_size = last.value() >= 0
                                     ? (static_cast<uint64_t>(last.value()) + 1) << cluster_bits_
                                     : size_to_clusters(file_.end()) << cluster_bits_;
  const uint64_t nb_data_clusters = size_to_clusters(size_);
  // An overestimate, so that entering the clusters in new L2 tables needs no new refcount
  // block; plus one table for an unaligned head or tail.
  const uint64_t nb_l2_tables = (nb_data_clusters + l2_entries_ - 1) / l2_entries_ + 1;
  Result<uint64_t> start = refs_.reserve_area(old_file_size, nb_data_clusters + nb_l2_tables);
  if (!start.ok()) return start.status();
  Result<uint64_t> allocated = refs_.alloc_clusters_at(start.value(), nb_data_clusters);
  if (!allocated.ok()) return allocated.status();
  if (allocated.value() != nb_data_clusters) return internal();
  const uint64_t new_file_size = start.value() + (nb_data_clusters << cluster_bits_);
  // handle_aiocb_truncate() preallocates from the file's length at that moment.
  data_area_ = FileRange{file_.end(), new_file_size};
  file_.grow_to(new_file_size);

  // qcow2_alloc_cluster_link_l2() per L2 table, as preallocated clusters (no subcluster bits).
  preallocating_ = true;
  uint64_t guest_offset = 0;
  uint64_t host_offset = start.value();
  uint64_t remaining = nb_data_clusters;
  while (remaining > 0) {
    uint64_t nb = l2_entries_ - l2_index(guest_offset);
    if (nb > remaining) nb = remaining;
    Result<uint64_t> l2_offset = get_cluster_table(guest_offset);
    if (!l2_offset.ok()) return l2_offset.status();
    const L2Meta m{host_offset, guest_offset,        nb, false, 0,
                   0,           nb << cluster_bits_, 0,  false, false};
    INSTAR_TRY(apply_l2_meta(m, l2_offset.value()));
    guest_offset += nb << cluster_bits_;
    host_offset += nb << cluster_bits_;
    remaining -= nb;
  }
  preallocating_ = false;
  return Status::Ok();
}

Status Qcow2Writer::write_header() {
  header_.size = size_;
  header_.l1_size = static_cast<uint32_t>(l1_size_);
  header_.l1_table_offset = l1_offset_;
  header_.refcount_table_offset = refs_.table_offset();
  header_.refcount_table_clusters = refs_.table_clusters();
  const uint64_t mark = arena_.mark();
  uint8_t* cluster = static_cast<uint8_t*>(arena_.allocate(cluster_size_, 64));
  if (cluster == nullptr) return internal();
  Status s = build_header_cluster(header_, MutableBytes(cluster, cluster_size_));
  if (s.ok()) s = file_.write(0, Bytes(cluster, cluster_size_));
  arena_.release_to(mark);
  return s;
}

Status Qcow2Writer::finish() {
  // An image opened in place keeps its header: its caches and the file are flushed.
  if (in_place_) return flush_in_place();
  if (!created_) return internal();
  INSTAR_TRY(l2_cache_.flush());
  INSTAR_TRY(refs_.flush());
  INSTAR_TRY(write_header());
  return file_.flush();
}

// --- L2 tables ----------------------------------------------------------------------------------

Result<uint64_t> Qcow2Writer::get_cluster_table(uint64_t guest_offset) {
  const uint64_t l1_index = guest_offset >> (cluster_bits_ + log2_of(l2_entries_));
  if (l1_index >= l1_size_) return internal();  // writes stay below size()
  if ((l1_[l1_index] & kOflagCopied) == 0) {
    if ((l1_[l1_index] & kL1OffsetMask) != 0) return unsupported();  // shared L2: not fresh
    // l2_allocate(): a zeroed table written at once, then the L1 entry.
    Result<uint64_t> l2 = refs_.alloc_clusters(cluster_size_);
    if (!l2.ok()) return l2.status();
    if (l2.value() == 0) return internal();
    if (in_place_) INSTAR_TRY(check_allocation(l2.value(), cluster_size_));
    INSTAR_TRY(refs_.flush());
    Result<uint8_t*> table = l2_cache_.get_empty(l2.value());
    if (!table.ok()) return table.status();
    l2_cache_.mark_dirty(l2.value());
    INSTAR_TRY(l2_cache_.flush());
    // qcow2_cache_flush() ends with bdrv_flush(), qcow2_write_l1_entry() is a bdrv_pwrite_sync():
    // an existing image's L1 entry reaches the disk after the table it names, then is synced.
    if (in_place_) INSTAR_TRY(file_.flush());
    l1_[l1_index] = l2.value() | kOflagCopied;
    uint8_t entry[8];
    store_be64(entry, l1_[l1_index]);
    INSTAR_TRY(file_.write(l1_offset_ + l1_index * kL1EntrySize, Bytes(entry, 8)));
    if (in_place_) INSTAR_TRY(file_.flush());
  }
  return l1_[l1_index] & kL1OffsetMask;
}

bool Qcow2Writer::cluster_needs_new_alloc(uint64_t entry) const {
  if (entry & kOflagCompressed) return true;
  if ((entry & kL2OffsetMask) == 0) return true;  // unallocated or zero without a cluster
  return (entry & kOflagCopied) == 0;
}

uint64_t Qcow2Writer::count_single_write_clusters(const uint8_t* l2, uint64_t nb_clusters,
                                                  uint64_t index, bool new_alloc) const {
  uint64_t expected = l2_entry(l2, index) & kL2OffsetMask;
  uint64_t i = 0;
  for (; i < nb_clusters; ++i) {
    const uint64_t entry = l2_entry(l2, index + i);
    if (cluster_needs_new_alloc(entry) != new_alloc) break;
    if (!new_alloc) {
      if (expected != (entry & kL2OffsetMask)) break;
      expected += cluster_size_;
    }
  }
  return i;
}

// --- write --------------------------------------------------------------------------------------

Status Qcow2Writer::write(uint64_t offset, Bytes data) {
  return write_range(offset, data.size, data.data);
}

Status Qcow2Writer::write_range(uint64_t offset, uint64_t bytes, const uint8_t* data) {
  if (!created_ || offset > size_ || bytes > size_ - offset) return internal();
  if (has_data_file_) return unsupported();  // data goes to the data file: not written yet
  uint64_t done = 0;
  while (done < bytes) {
    uint64_t cur = bytes - done;
    if (cur > kIntMaxBytes) cur = kIntMaxBytes;
    Result<uint64_t> host = alloc_host_offset(offset + done, &cur);
    if (!host.ok()) return host.status();
    if (data != nullptr) {
      INSTAR_TRY(file_.write(host.value(), Bytes(data + done, cur)));
    } else {
      INSTAR_TRY(file_.write_zeros(host.value(), cur));
    }
    if (in_place_) INSTAR_TRY(link_pending());
    done += cur;
  }
  return Status::Ok();
}

// qcow2_alloc_host_offset(): gathers as many contiguous host bytes for the request as it can.
Result<uint64_t> Qcow2Writer::alloc_host_offset(uint64_t offset, uint64_t* bytes) {
  uint64_t start = offset;
  uint64_t remaining = *bytes;
  uint64_t cluster_offset = kInvalidOffset;
  uint64_t host_offset = kInvalidOffset;
  uint64_t cur = 0;
  for (;;) {
    if (host_offset == kInvalidOffset && cluster_offset != kInvalidOffset) {
      host_offset = cluster_offset;
    }
    start += cur;
    remaining -= cur;
    if (cluster_offset != kInvalidOffset) cluster_offset += cur;
    if (remaining == 0) break;
    // In place: no room for another deferred L2Meta; the caller writes this much first.
    if (in_place_ && pending_count_ == kMaxPendingLinks) break;
    cur = remaining;
    Result<int> copied = handle_copied(start, &cluster_offset, &cur);
    if (!copied.ok()) return copied.status();
    if (copied.value()) continue;
    if (cur == 0) break;
    Result<int> alloc = handle_alloc(start, &cluster_offset, &cur);
    if (!alloc.ok()) return alloc.status();
    if (alloc.value()) continue;
    break;
  }
  *bytes -= remaining;
  if (*bytes == 0 || host_offset == kInvalidOffset) return internal();
  return host_offset;
}

// The clusters a write of `bytes` at `guest_offset` may cover in one step: within its L2 table and
// qemu's request size limit (both handle_copied() and handle_alloc() clamp alike).
uint64_t Qcow2Writer::request_clusters(uint64_t guest_offset, uint64_t bytes) const {
  const uint64_t index = l2_index(guest_offset);
  uint64_t nb_clusters = size_to_clusters(offset_into_cluster(guest_offset) + bytes);
  if (nb_clusters > l2_entries_ - index) nb_clusters = l2_entries_ - index;
  if (nb_clusters > (kRequestMaxBytes >> cluster_bits_)) {
    nb_clusters = kRequestMaxBytes >> cluster_bits_;
  }
  return nb_clusters;
}

Result<int> Qcow2Writer::handle_copied(uint64_t guest_offset, uint64_t* host_offset,
                                       uint64_t* bytes) {
  const uint64_t index = l2_index(guest_offset);
  uint64_t nb_clusters = request_clusters(guest_offset, *bytes);
  Result<uint64_t> l2_offset = get_cluster_table(guest_offset);
  if (!l2_offset.ok()) return l2_offset.status();
  Result<uint8_t*> l2 = l2_cache_.get(l2_offset.value());
  if (!l2.ok()) return l2.status();
  const uint64_t entry = l2_entry(l2.value(), index);
  const uint64_t cluster_offset = entry & kL2OffsetMask;
  if (cluster_needs_new_alloc(entry)) return 0;
  if (*host_offset != kInvalidOffset && cluster_offset != *host_offset) {
    *bytes = 0;
    return 0;
  }
  const uint64_t keep = count_single_write_clusters(l2.value(), nb_clusters, index, false);
  const uint64_t limit = keep * cluster_size_ - offset_into_cluster(guest_offset);
  if (*bytes > limit) *bytes = limit;
  INSTAR_TRY(calculate_l2_meta(cluster_offset, guest_offset, *bytes, l2_offset.value(), true));
  *host_offset = cluster_offset + offset_into_cluster(guest_offset);
  return 1;
}

Result<int> Qcow2Writer::handle_alloc(uint64_t guest_offset, uint64_t* host_offset,
                                      uint64_t* bytes) {
  const uint64_t index = l2_index(guest_offset);
  uint64_t nb_clusters = request_clusters(guest_offset, *bytes);
  Result<uint64_t> l2_offset = get_cluster_table(guest_offset);
  if (!l2_offset.ok()) return l2_offset.status();
  Result<uint8_t*> l2 = l2_cache_.get(l2_offset.value());
  if (!l2.ok()) return l2.status();
  nb_clusters = count_single_write_clusters(l2.value(), nb_clusters, index, true);
  if (nb_clusters == 0) return internal();

  uint64_t alloc_offset;
  if (has_data_file_) {
    // do_alloc_cluster_offset(): a data file maps guest offsets 1:1, nothing is allocated.
    alloc_offset = guest_offset & ~(cluster_size_ - 1);
  } else if (*host_offset == kInvalidOffset) {
    Result<uint64_t> r = refs_.alloc_clusters(nb_clusters * cluster_size_);
    if (!r.ok()) return r.status();
    alloc_offset = r.value();
    if (in_place_) INSTAR_TRY(check_allocation(alloc_offset, nb_clusters * cluster_size_));
  } else {
    alloc_offset = *host_offset & ~(cluster_size_ - 1);
    Result<uint64_t> r = refs_.alloc_clusters_at(alloc_offset, nb_clusters);
    if (!r.ok()) return r.status();
    nb_clusters = r.value();
    if (nb_clusters == 0) {  // the contiguous allocation cannot be extended
      *bytes = 0;
      return 0;
    }
    if (in_place_) INSTAR_TRY(check_allocation(alloc_offset, nb_clusters * cluster_size_));
  }
  const uint64_t requested = *bytes + offset_into_cluster(guest_offset);
  const uint64_t avail = nb_clusters << cluster_bits_;
  const uint64_t nb_bytes = requested < avail ? requested : avail;
  *host_offset = alloc_offset + offset_into_cluster(guest_offset);
  if (*bytes > nb_bytes - offset_into_cluster(guest_offset)) {
    *bytes = nb_bytes - offset_into_cluster(guest_offset);
  }
  INSTAR_TRY(calculate_l2_meta(alloc_offset, guest_offset, *bytes, l2_offset.value(), false));
  return 1;
}

Status Qcow2Writer::calculate_l2_meta(uint64_t host_cluster_offset, uint64_t guest_offset,
                                      uint64_t bytes, uint64_t l2_offset, bool keep_old) {
  const L2Geometry geometry{extended_l2_, has_data_file_, cluster_bits_};
  Result<uint8_t*> got = l2_cache_.get(l2_offset);
  if (!got.ok()) return got.status();
  const uint8_t* l2 = got.value();
  uint64_t index = l2_index(guest_offset);
  const uint64_t cow_start_to = offset_into_cluster(guest_offset);
  const uint64_t cow_end_from = cow_start_to + bytes;
  const uint64_t nb_clusters = size_to_clusters(cow_end_from);
  const uint64_t sc_size = uint64_t{1} << sc_bits_;

  bool skip_cow = keep_old;
  for (uint64_t i = 0; i < nb_clusters; ++i) {
    const uint64_t entry = l2_entry(l2, index + i);
    const uint64_t bitmap = l2_bitmap(l2, index + i);
    SubclusterType type;
    if (skip_cow) {
      const uint64_t from = cow_start_to > (i << cluster_bits_) ? cow_start_to : i << cluster_bits_;
      const uint64_t to =
          cow_end_from < ((i + 1) << cluster_bits_) ? cow_end_from : (i + 1) << cluster_bits_;
      const uint32_t first_sc = sc_index(from);
      const uint32_t last_sc = sc_index(to - 1);
      const int32_t count = subcluster_range(geometry, entry, bitmap, first_sc, &type);
      if (type != SubclusterType::kNormal || first_sc + count <= last_sc) skip_cow = false;
    } else {
      type = subcluster_type(geometry, entry, bitmap, 0);
    }
    if (type == SubclusterType::kInvalid) return internal();
  }
  if (skip_cow) return Status::Ok();

  uint64_t cow_start_from = 0;
  {
    const uint64_t entry = l2_entry(l2, index);
    const uint64_t bitmap = l2_bitmap(l2, index);
    const uint32_t sc = sc_index(guest_offset);
    const SubclusterType type = subcluster_type(geometry, entry, bitmap, sc);
    if (!keep_old) {
      switch (type) {
        case SubclusterType::kZeroPlain:
        case SubclusterType::kUnallocatedPlain:
          cow_start_from = uint64_t{sc} << sc_bits_;
          break;
        default:
          // COW from compressed or shared data: not a fresh image.
          return unsupported();
      }
    } else {
      switch (type) {
        case SubclusterType::kNormal:
          cow_start_from = cow_start_to;
          break;
        case SubclusterType::kZeroAlloc:
        case SubclusterType::kUnallocatedAlloc:
          cow_start_from = uint64_t{sc} << sc_bits_;
          break;
        default:
          return internal();
      }
    }
  }
  uint64_t cow_end_to = 0;
  {
    const uint64_t last = index + nb_clusters - 1;
    const uint64_t entry = l2_entry(l2, last);
    const uint64_t bitmap = l2_bitmap(l2, last);
    const uint32_t sc = sc_index(guest_offset + bytes - 1);
    const SubclusterType type = subcluster_type(geometry, entry, bitmap, sc);
    const uint64_t round_sc = (cow_end_from + sc_size - 1) & ~(sc_size - 1);
    if (!keep_old) {
      switch (type) {
        case SubclusterType::kZeroPlain:
        case SubclusterType::kUnallocatedPlain:
          cow_end_to = round_sc;
          break;
        default:
          return unsupported();
      }
    } else {
      switch (type) {
        case SubclusterType::kNormal:
          cow_end_to = cow_end_from;
          break;
        case SubclusterType::kZeroAlloc:
        case SubclusterType::kUnallocatedAlloc:
          cow_end_to = round_sc;
          break;
        default:
          return internal();
      }
    }
  }
  const auto unallocated = [&](uint64_t i, uint64_t at) {
    const SubclusterType t =
        subcluster_type(geometry, l2_entry(l2, i), l2_bitmap(l2, i), sc_index(at));
    return t == SubclusterType::kUnallocatedPlain || t == SubclusterType::kUnallocatedAlloc;
  };
  const L2Meta m{host_cluster_offset,
                 guest_offset & ~(cluster_size_ - 1),
                 nb_clusters,
                 keep_old,
                 cow_start_from,
                 cow_start_to - cow_start_from,
                 cow_end_from,
                 cow_end_to - cow_end_from,
                 unallocated(index, guest_offset),
                 unallocated(index + nb_clusters - 1, guest_offset + bytes - 1)};
  return apply_l2_meta(m, l2_offset);
}

// handle_alloc_space() and qcow2_alloc_cluster_link_l2() for one L2Meta. In a fresh image every
// COW region reads as zeros, so qemu zeroes the whole range (write_zeroes) before the data
// lands in it; the L2 entries then point at the new clusters.
Status Qcow2Writer::apply_l2_meta(const L2Meta& m, uint64_t l2_offset) {
  if (preallocating_ && has_data_file_) {
    // perform_cow() writes the regions into the data file, which the host writes: recorded.
    // Only a partial last cluster has one, so one range covers them.
    const uint64_t from = m.cow_start_bytes != 0 ? m.alloc_offset + m.cow_start_offset
                                                 : m.alloc_offset + m.cow_end_offset;
    const uint64_t to = m.cow_end_bytes != 0
                            ? m.alloc_offset + m.cow_end_offset + m.cow_end_bytes
                            : m.alloc_offset + m.cow_start_offset + m.cow_start_bytes;
    if (m.cow_start_bytes != 0 || m.cow_end_bytes != 0) {
      if (data_file_zeros_.end != 0 && (from != data_file_zeros_.end)) return unsupported();
      if (data_file_zeros_.end == 0) data_file_zeros_.start = from;
      data_file_zeros_.end = to;
    }
  } else if (preallocating_) {
    // perform_cow() without data: only the regions themselves are written.
    if (m.cow_start_bytes != 0) {
      INSTAR_TRY(file_.write_zeros(m.alloc_offset + m.cow_start_offset, m.cow_start_bytes));
    }
    if (m.cow_end_bytes != 0) {
      INSTAR_TRY(file_.write_zeros(m.alloc_offset + m.cow_end_offset, m.cow_end_bytes));
    }
  }
  if ((m.cow_start_bytes != 0 || m.cow_end_bytes != 0) && !preallocating_) {
    INSTAR_TRY(file_.write_zeros(m.alloc_offset + m.cow_start_offset,
                                 m.cow_end_offset + m.cow_end_bytes - m.cow_start_offset));
  }
  if (m.cow_start_bytes != 0 || m.cow_end_bytes != 0) {
    // perform_cow(): what the regions read as before, i.e. the backing file's bytes where the
    // target has nothing (is_zero_cow() only spares the read where those are zeros).
    if (m.cow_start_from_backing) {
      INSTAR_TRY(copy_from_backing(m.guest_offset + m.cow_start_offset,
                                   m.alloc_offset + m.cow_start_offset, m.cow_start_bytes));
    }
    if (m.cow_end_from_backing) {
      INSTAR_TRY(copy_from_backing(m.guest_offset + m.cow_end_offset,
                                   m.alloc_offset + m.cow_end_offset, m.cow_end_bytes));
    }
  }
  // In place, the entries wait for the data (qcow2_handle_l2meta() after the data write): an L2
  // table written back meanwhile (the next table's l2_allocate()) must not name unwritten data.
  if (in_place_) return defer_link(m, l2_offset);
  return link_l2(m, l2_offset);
}

// qcow2_alloc_cluster_link_l2(): the L2 entries of one L2Meta.
Status Qcow2Writer::link_l2(const L2Meta& m, uint64_t l2_offset) {
  Result<uint8_t*> got = l2_cache_.get(l2_offset);
  if (!got.ok()) return got.status();
  uint8_t* l2 = got.value();
  const uint64_t index = l2_index(m.guest_offset);
  for (uint64_t i = 0; i < m.nb_clusters; ++i) {
    uint8_t* slot = l2 + (index + i) * l2e_size_;
    store_be64(slot, (m.alloc_offset + (i << cluster_bits_)) | kOflagCopied);
    // qcow2_alloc_cluster_link_l2(): preallocated subclusters stay unallocated.
    if (extended_l2_ && !preallocating_) {
      uint64_t bitmap = load_be64(slot + 8);
      uint64_t from = m.cow_start_offset;
      uint64_t to = m.cow_end_offset + m.cow_end_bytes;
      if (from < (i << cluster_bits_)) from = i << cluster_bits_;
      if (to > ((i + 1) << cluster_bits_)) to = (i + 1) << cluster_bits_;
      const uint32_t first_sc = sc_index(from);
      const uint32_t last_sc = sc_index(to - 1);
      bitmap |= sub_alloc_range(first_sc, last_sc + 1);
      bitmap &= ~(sub_alloc_range(first_sc, last_sc + 1) << 32);
      store_be64(slot + 8, bitmap);
    }
  }
  l2_cache_.mark_dirty(l2_offset);
  // qcow2_alloc_cluster_link_l2(): the L2 table waits for the refcounts (and the data) of the
  // clusters it now names. A fresh image is only complete after finish() anyway.
  if (in_place_) l2_cache_.set_dependency(&refs_.block_cache());
  return Status::Ok();
}

Status Qcow2Writer::copy_from_backing(uint64_t guest_offset, uint64_t host_offset, uint64_t bytes) {
  if (backing_ == nullptr || bytes == 0) return Status::Ok();
  INSTAR_TRY(backing_->read(guest_offset, MutableBytes(cluster_buf_, bytes)));
  return file_.write(host_offset, Bytes(cluster_buf_, bytes));
}

// is_zero() of qcow2_co_pwrite_zeroes() for a range the target has unallocated.
Result<bool> Qcow2Writer::backing_reads_as_zero(uint64_t offset, uint64_t bytes) {
  if (bytes == 0 || backing_ == nullptr) return true;
  return backing_->reads_as_zero(offset, bytes);
}

// --- write_compressed ---------------------------------------------------------------------------

Status Qcow2Writer::write_compressed(uint64_t offset, Bytes data) {
  if (!created_) return internal();
  if (data.size == 0) {
    // qemu-img's end-of-file signal: the file is truncated to its length rounded up to 512.
    const uint64_t end = file_.end();
    const uint64_t aligned = (end + 511) & ~uint64_t{511};
    return file_.write_zeros(end, aligned - end);
  }
  if (has_data_file_) return unsupported();
  if (offset_into_cluster(offset) != 0 || offset >= size_) return internal();
  if (data.size != cluster_size_ && (data.size > cluster_size_ || offset + data.size != size_)) {
    return internal();  // qemu: -EINVAL
  }
  copy_bytes(cluster_buf_, data.data, data.size);
  fill_bytes(cluster_buf_ + data.size, 0, cluster_size_ - data.size);
  Result<uint64_t> out_len =
      compress_cluster(compression_type_, Bytes(cluster_buf_, cluster_size_),
                       MutableBytes(compress_buf_, cluster_size_ - 1), arena_);
  if (!out_len.ok()) return out_len.status();
  if (out_len.value() == 0) return write(offset, data);  // does not shrink: written as is

  // qcow2_alloc_compressed_cluster_offset()
  Result<uint64_t> l2_offset = get_cluster_table(offset);
  if (!l2_offset.ok()) return l2_offset.status();
  Result<uint8_t*> l2 = l2_cache_.get(l2_offset.value());
  if (!l2.ok()) return l2.status();
  const uint64_t index = l2_index(offset);
  if (l2_entry(l2.value(), index) & kL2OffsetMask) return internal();  // qemu: -EIO
  Result<uint64_t> host = refs_.alloc_bytes(out_len.value());
  if (!host.ok()) return host.status();
  const uint64_t nb_csectors = (host.value() + out_len.value() - 1) / 512 - host.value() / 512;
  const uint32_t csize_shift = 62 - (cluster_bits_ - 8);
  l2 = l2_cache_.get(l2_offset.value());
  if (!l2.ok()) return l2.status();
  uint8_t* slot = l2.value() + index * l2e_size_;
  store_be64(slot, host.value() | kOflagCompressed | (nb_csectors << csize_shift));
  if (extended_l2_) store_be64(slot + 8, 0);
  l2_cache_.mark_dirty(l2_offset.value());
  return file_.write(host.value(), Bytes(compress_buf_, out_len.value()));
}

// --- write_zeroes -------------------------------------------------------------------------------

Status Qcow2Writer::write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
  if (!created_ || offset > size_ || bytes > size_ - offset) return internal();
  // bdrv_co_do_pwrite_zeroes(): an unaligned head and tail go to the driver on their own.
  const uint64_t alignment = uint64_t{1} << sc_bits_;
  uint64_t head = offset % alignment;
  const uint64_t tail = (offset + bytes) % alignment;
  // qemu only passes BDRV_REQ_MAY_UNMAP on to v3 images.
  const bool unmap = may_unmap && version_ >= 3;
  while (bytes > 0) {
    uint64_t num = bytes;
    if (head) {
      num = alignment - head < bytes ? alignment - head : bytes;
      head = (head + num) % alignment;
    } else if (tail && num > alignment) {
      num -= tail;
    }
    Status s = zeroize(offset, num, unmap);
    if (s.code() == instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP) {
      s = write_range(offset, num, nullptr);  // the bounce-buffer fallback writes zeros
    }
    INSTAR_TRY(s);
    offset += num;
    bytes -= num;
  }
  return Status::Ok();
}

// qcow2_co_pwrite_zeroes() + qcow2_subcluster_zeroize(). ERROR_UNSUPPORTED_OP stands for
// qemu's -ENOTSUP, after which the block layer writes zeros instead.
Status Qcow2Writer::zeroize(uint64_t offset, uint64_t bytes, bool may_unmap) {
  const L2Geometry geometry{extended_l2_, has_data_file_, cluster_bits_};
  const uint64_t sc_size = uint64_t{1} << sc_bits_;
  const uint64_t head = offset & (sc_size - 1);
  uint64_t tail = ((offset + bytes + sc_size - 1) & ~(sc_size - 1)) - (offset + bytes);
  if (offset + bytes == size_) tail = 0;
  if (head || tail) {
    // The rest of the subcluster must read as zeros: judged from the L2 entry, and where that is
    // unallocated, from the backing file.
    const uint64_t request_end = offset + bytes;
    offset -= head;
    bytes = sc_size;
    const uint64_t l1_index = offset >> (cluster_bits_ + log2_of(l2_entries_));
    SubclusterType type = SubclusterType::kUnallocatedPlain;
    if (l1_[l1_index] & kL1OffsetMask) {
      Result<uint8_t*> l2 = l2_cache_.get(l1_[l1_index] & kL1OffsetMask);
      if (!l2.ok()) return l2.status();
      const uint64_t i = l2_index(offset);
      type = subcluster_type(geometry, l2_entry(l2.value(), i), l2_bitmap(l2.value(), i),
                             sc_index(offset));
    }
    if (type != SubclusterType::kUnallocatedPlain && type != SubclusterType::kUnallocatedAlloc &&
        type != SubclusterType::kZeroPlain && type != SubclusterType::kZeroAlloc) {
      return unsupported();
    }
    // An unallocated subcluster reads as the backing file: its rest must be zeros there.
    if (type == SubclusterType::kUnallocatedPlain || type == SubclusterType::kUnallocatedAlloc) {
      Result<bool> zero = backing_reads_as_zero(offset, head);
      if (zero.ok() && zero.value()) zero = backing_reads_as_zero(request_end, tail);
      if (!zero.ok()) return zero.status();
      if (!zero.value()) return unsupported();
    }
    if (offset + bytes > size_) bytes = size_ - offset;
  }

  uint64_t end = offset + bytes;
  if (version_ < 3) {
    // No zero flag: without a backing file, qemu discards (keeping what reads as zeros).
    if (has_backing_) return unsupported();
    uint64_t nb = size_to_clusters(end - offset);
    while (nb > 0) {
      uint64_t done = 0;
      INSTAR_TRY(zero_in_l2(offset, nb, true, &done));
      nb -= done;
      offset += done * cluster_size_;
    }
    return Status::Ok();
  }
  const uint64_t head_bytes = (end < ((offset + cluster_size_ - 1) & ~(cluster_size_ - 1))
                                   ? end
                                   : ((offset + cluster_size_ - 1) & ~(cluster_size_ - 1))) -
                              offset;
  offset += head_bytes;
  uint64_t tail_bytes = 0;
  if (end < size_) {
    const uint64_t cluster_start = end & ~(cluster_size_ - 1);
    tail_bytes = end - (offset > cluster_start ? offset : cluster_start);
  }
  end -= tail_bytes;
  if (head_bytes) {
    INSTAR_TRY(zero_subclusters(offset - head_bytes, (head_bytes + sc_size - 1) >> sc_bits_));
  }
  uint64_t nb = size_to_clusters(end - offset);
  while (nb > 0) {
    uint64_t done = 0;
    INSTAR_TRY(zero_in_l2(offset, nb, may_unmap, &done));
    nb -= done;
    offset += done * cluster_size_;
  }
  if (tail_bytes) INSTAR_TRY(zero_subclusters(end, (tail_bytes + sc_size - 1) >> sc_bits_));
  return Status::Ok();
}

// zero_in_l2_slice() (v3) and, for v2, discard_in_l2_slice() without full discard.
Status Qcow2Writer::zero_in_l2(uint64_t offset, uint64_t nb_clusters, bool may_unmap,
                               uint64_t* done) {
  Result<uint64_t> l2_offset = get_cluster_table(offset);
  if (!l2_offset.ok()) return l2_offset.status();
  const uint64_t index = l2_index(offset);
  if (nb_clusters > l2_entries_ - index) nb_clusters = l2_entries_ - index;
  for (uint64_t i = 0; i < nb_clusters; ++i) {
    Result<uint8_t*> l2 = l2_cache_.get(l2_offset.value());
    if (!l2.ok()) return l2.status();
    uint8_t* slot = l2.value() + (index + i) * l2e_size_;
    const uint64_t old_entry = load_be64(slot);
    const uint64_t old_bitmap = extended_l2_ ? load_be64(slot + 8) : 0;
    const bool compressed = (old_entry & kOflagCompressed) != 0;
    const bool allocated = compressed || (old_entry & kL2OffsetMask) != 0;
    uint64_t new_entry = old_entry;
    uint64_t new_bitmap = old_bitmap;
    bool unmap;
    if (version_ >= 3) {
      unmap = compressed || (may_unmap && allocated);
      if (unmap) new_entry = 0;
      if (extended_l2_) {
        new_bitmap = kBitmapAllZeroes;
      } else {
        new_entry |= kOflagZero;
      }
    } else {
      unmap = allocated;
      if (allocated) new_entry = 0;
    }
    if (old_entry == new_entry && old_bitmap == new_bitmap) continue;
    store_be64(slot, new_entry);
    if (extended_l2_) store_be64(slot + 8, new_bitmap);
    l2_cache_.mark_dirty(l2_offset.value());
    if (unmap) INSTAR_TRY(free_any_cluster(old_entry));
  }
  *done = nb_clusters;
  return Status::Ok();
}

Status Qcow2Writer::zero_subclusters(uint64_t offset, uint64_t nb_subclusters) {
  if (!extended_l2_) return zeroize(offset, cluster_size_, false);  // whole clusters only
  Result<uint64_t> l2_offset = get_cluster_table(offset);
  if (!l2_offset.ok()) return l2_offset.status();
  Result<uint8_t*> l2 = l2_cache_.get(l2_offset.value());
  if (!l2.ok()) return l2.status();
  uint8_t* slot = l2.value() + l2_index(offset) * l2e_size_;
  if (load_be64(slot) & kOflagCompressed) return unsupported();
  const uint32_t sc = sc_index(offset);
  const uint64_t range = sub_alloc_range(sc, sc + static_cast<uint32_t>(nb_subclusters));
  const uint64_t old_bitmap = load_be64(slot + 8);
  const uint64_t new_bitmap = (old_bitmap | (range << 32)) & ~range;
  if (old_bitmap != new_bitmap) {
    store_be64(slot + 8, new_bitmap);
    l2_cache_.mark_dirty(l2_offset.value());
  }
  return Status::Ok();
}

Status Qcow2Writer::free_any_cluster(uint64_t entry) {
  if (entry & kOflagCompressed) {
    const uint32_t csize_shift = 62 - (cluster_bits_ - 8);
    const uint64_t csize_mask = (uint64_t{1} << (cluster_bits_ - 8)) - 1;
    const uint64_t nb_csectors = ((entry >> csize_shift) & csize_mask) + 1;
    const uint64_t host = entry & ((uint64_t{1} << csize_shift) - 1) & ~uint64_t{511};
    return refs_.free_clusters(host, nb_csectors * 512, discard_requests_);
  }
  if (entry & kL2OffsetMask) {
    return refs_.free_clusters(entry & kL2OffsetMask, cluster_size_, discard_requests_);
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
