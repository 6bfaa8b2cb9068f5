// snapshot_edit.cc: qcow2_snapshot_create() and qcow2_snapshot_delete(), step for step where the
// order decides the bytes, with refcounts written before the L2 tables whose COPIED flags they
// justify.
#include "guest/formats/qcow2/snapshot_edit.h"

#include <new>

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/host_file.h"
#include "guest/formats/qcow2/l1_table_io.h"
#include "guest/formats/qcow2/refcount_allocator.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/qcow2/table_cache.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

constexpr uint32_t kRefcountCacheSlots = 8;
constexpr uint32_t kL2CacheSlots = 8;
constexpr uint64_t kHeaderSnapshotsOffset = 60;  // nb_snapshots u32, then snapshots_offset u64
constexpr uint64_t kIdMax = 127;                 // QEMUSnapshotInfo.id_str[128]
constexpr uint64_t kNameMax = 255;               // QEMUSnapshotInfo.name[256]
constexpr uint32_t kEio = 5;
constexpr uint32_t kEfbig = 27;
constexpr uint32_t kEinval = 22;
constexpr uint32_t kEnoent = 2;
// ERROR_SNAPSHOT_UNSUPPORTED's reason: -a of a snapshot whose size or L1 table is not the image's.
constexpr uint64_t kApplyResizes = 8;

// The errno a failure stands for in qemu's messages; ERROR_INTERNAL (instar's own limits) stays.
uint32_t error_number(const Status& s) {
  switch (s.code()) {
    case instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE:
      return kEfbig;
    case instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO:
      return static_cast<uint32_t>(s.arg(0));
    default:
      return kEio;
  }
}

// bdrv_snapshot_goto()'s "Failed to load snapshot: <strerror>".
Status load_failed(const Status& s) {
  if (s.ok() || s.code() == instar_guest_ErrorCode_ERROR_INTERNAL ||
      s.code() == instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_FAILED) {
    return s;
  }
  return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_FAILED, error_number(s), 0);
}

Status with_errno(const Status& s, instar_guest_ErrorCode step) {
  if (s.ok() || s.code() == instar_guest_ErrorCode_ERROR_INTERNAL) return s;
  return Status(step, error_number(s));
}

Bytes cut(Bytes b, uint64_t max) {
  return Bytes(b.data, b.size < max ? b.size : max);
}

// One QCowSnapshot as qcow2_read_snapshots() keeps it.
struct Entry {
  uint64_t l1_table_offset;
  uint32_t l1_size;
  Bytes id;
  Bytes name;
  uint32_t date_sec;
  uint32_t date_nsec;
  uint64_t vm_clock_nsec;
  uint64_t vm_state_size;
  uint64_t disk_size;
  uint64_t icount;            // ~0: none
  uint32_t extra_data_size;   // as read; written back as at least kSnapshotExtraDataSize
  uint64_t unknown_extra_at;  // where the bytes past the known extra data are in the old table
};

class SnapshotEditor {
 public:
  SnapshotEditor(const SnapshotEditImage& image, Arena& arena)
      : image_(image), h_(image.metadata->header), file_(*image.sink, image.source), arena_(arena) {
    file_.set_end(image.file_length);
    extended_l2_ = h_.has_extended_l2();
    entry_size_ = l2_entry_size(extended_l2_);
    l2_entries_ = h_.cluster_size() / entry_size_;
  }

  Status init() {
    l1_size_ = h_.l1_size;
    l1_offset_ = h_.l1_table_offset;
    Result<uint64_t*> l1 = read_l1(l1_offset_, l1_size_);
    if (!l1.ok()) return l1.status();
    l1_ = l1.value();
    INSTAR_TRY(read_snapshots());
    INSTAR_TRY(refcounts_.load(arena_, file_, h_.cluster_bits, h_.refcount_order,
                               h_.refcount_table_offset, h_.refcount_table_clusters,
                               kRefcountCacheSlots));
    return l2_cache_.init(arena_, file_, kL2CacheSlots, h_.cluster_size());
  }

  uint32_t count() const { return count_; }
  const Entry& entry(uint32_t i) const { return entries_[i]; }
  uint64_t file_end() const { return file_.end(); }

  // qcow2_snapshot_create() after its checks: the L1 copy, the refcounts, the table.
  Status create(Bytes name, uint32_t date_sec, uint32_t date_nsec) {
    uint8_t* id_text = arena_.allocate_array<uint8_t>(24);
    if (id_text == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    uint64_t* ids = arena_.allocate_array<uint64_t>(count_ == 0 ? 1 : count_);
    if (ids == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    for (uint32_t i = 0; i < count_; ++i) ids[i] = snapshot_id_number(entries_[i].id);
    const Bytes id = decimal(next_snapshot_id(ids, count_), id_text);

    Result<uint64_t> l1_copy = refcounts_.alloc_clusters(l1_size_ * 8);
    if (!l1_copy.ok()) return l1_copy.status();
    INSTAR_TRY(write_l1(l1_, l1_copy.value(), l1_size_));
    INSTAR_TRY(update_snapshot_refcount(l1_offset_, l1_size_, +1));

    Entry e{};
    e.l1_table_offset = l1_copy.value();
    e.l1_size = static_cast<uint32_t>(l1_size_);
    e.id = id;
    e.name = cut(name, kNameMax);
    e.date_sec = date_sec;
    e.date_nsec = date_nsec;
    e.disk_size = h_.virtual_size();
    e.extra_data_size = kSnapshotExtraDataSize;
    entries_[count_++] = e;
    return write_snapshots();
  }

  // bdrv_snapshot_find(): the first snapshot whose name, as bdrv_snapshot_list() copies it (cut
  // to 255 bytes), is `name` (ids are not looked at). -1: none.
  int64_t find(Bytes name) const {
    for (uint32_t i = 0; i < count_; ++i) {
      if (same_bytes(cut(entries_[i].name, kNameMax), name)) return i;
    }
    return -1;
  }

  // qcow2_snapshot_delete(id, name) with the listed (cut) id and name of entry `listed`.
  Status remove(uint32_t listed) {
    const Bytes id = cut(entries_[listed].id, kIdMax);
    const Bytes name = cut(entries_[listed].name, kNameMax);
    uint32_t index = count_;
    for (uint32_t i = 0; i < count_ && index == count_; ++i) {
      if (same_bytes(entries_[i].id, id) && same_bytes(entries_[i].name, name)) index = i;
    }
    if (index == count_) return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_DELETE_NOT_IN_LIST);
    const Entry sn = entries_[index];
    Snapshot check;
    check.l1_table_offset = sn.l1_table_offset;
    check.l1_size = sn.l1_size;
    INSTAR_TRY(validate_snapshot_l1(check, h_.cluster_size()));
    for (uint32_t i = index; i + 1 < count_; ++i) entries_[i] = entries_[i + 1];
    --count_;
    INSTAR_TRY(
        with_errno(write_snapshots(), instar_guest_ErrorCode_ERROR_SNAPSHOT_REMOVE_FROM_LIST));
    // The snapshot is unreferenced now: a failure from here on leaks clusters only.
    INSTAR_TRY(with_errno(update_snapshot_refcount(sn.l1_table_offset, sn.l1_size, -1),
                          instar_guest_ErrorCode_ERROR_SNAPSHOT_FREE));
    // qcow2_free_clusters() only reports a failure on stderr; qemu-img goes on.
    (void)refcounts_.free_clusters(sn.l1_table_offset, uint64_t{sn.l1_size} * 8, true);
    return with_errno(update_snapshot_refcount(l1_offset_, l1_size_, 0),
                      instar_guest_ErrorCode_ERROR_SNAPSHOT_UPDATE_STATUS);
  }

  // find_snapshot_by_id_or_name(): an id match first, then a name match (whole strings).
  int64_t find_by_id_or_name(Bytes text) const {
    for (uint32_t i = 0; i < count_; ++i) {
      if (same_bytes(entries_[i].id, text)) return i;
    }
    for (uint32_t i = 0; i < count_; ++i) {
      if (same_bytes(entries_[i].name, text)) return i;
    }
    return -1;
  }

  // qcow2_snapshot_goto() of entry `index` whose size and L1 length are the image's: the
  // snapshot's clusters gain a reference, its L1 table replaces the active one (written whole),
  // the old active clusters lose one, and the COPIED flags follow.
  Status apply(uint32_t index) {
    const Entry sn = entries_[index];
    Snapshot check;
    check.l1_table_offset = sn.l1_table_offset;
    check.l1_size = sn.l1_size;
    const Status valid = validate_snapshot_l1(check, h_.cluster_size());
    if (!valid.ok()) {
      const bool too_large = valid.code() == instar_guest_ErrorCode_ERROR_SNAPSHOT_L1_TOO_LARGE;
      return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_FAILED, too_large ? kEfbig : kEinval,
                    too_large ? 1 : 2);
    }
    // blk_truncate() to the snapshot's size and qcow2_grow_l1_table() are resize's steps.
    if (sn.disk_size != h_.virtual_size() || sn.l1_size > l1_size_) {
      return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_UNSUPPORTED, kApplyResizes);
    }
    uint64_t* table = arena_.allocate_array<uint64_t>(l1_size_ == 0 ? 1 : l1_size_);
    if (table == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    fill_bytes(table, 0, l1_size_ * 8);
    Result<uint64_t*> snapshot_l1 = read_l1(sn.l1_table_offset, sn.l1_size);
    if (!snapshot_l1.ok()) return load_failed(snapshot_l1.status());
    copy_bytes(table, snapshot_l1.value(), uint64_t{sn.l1_size} * 8);
    INSTAR_TRY(load_failed(update_snapshot_refcount(sn.l1_table_offset, sn.l1_size, +1)));
    INSTAR_TRY(load_failed(write_l1(table, l1_offset_, l1_size_)));
    INSTAR_TRY(load_failed(file_.flush()));
    // The in-memory table is still the old one: its clusters lose the reference it held.
    const Status lowered = update_snapshot_refcount(l1_offset_, l1_size_, -1);
    copy_bytes(l1_, table, l1_size_ * 8);
    INSTAR_TRY(load_failed(lowered));
    return load_failed(update_snapshot_refcount(l1_offset_, l1_size_, 0));
  }

  // What qemu's close does: every cached table written.
  Status close() {
    INSTAR_TRY(refcounts_.flush());
    INSTAR_TRY(l2_cache_.flush());
    return file_.flush();
  }

 private:
  Result<uint64_t*> read_l1(uint64_t offset, uint64_t size) {
    return read_l1_table(file_, arena_, offset, size);
  }

  Status write_l1(const uint64_t* table, uint64_t offset, uint64_t size) {
    return write_l1_entries(file_, table, offset, 0, size);
  }

  static Bytes decimal(uint64_t v, uint8_t* out) {
    uint8_t digits[24];
    uint64_t n = 0;
    do {
      digits[n++] = static_cast<uint8_t>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (uint64_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
    return Bytes(out, n);
  }

  // qcow2_read_snapshots(): every entry kept (ids and names copied out of the reader's scratch),
  // with room for one more.
  Status read_snapshots() {
    snapshots_offset_ = h_.snapshots_offset;
    entries_ = arena_.allocate_array<Entry>(uint64_t{h_.nb_snapshots} + 1);
    if (entries_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    SnapshotTableReader reader(*image_.tables->reader, h_.snapshots_offset, h_.nb_snapshots,
                               image_.tables->names);
    while (!reader.done()) {
      const uint64_t start = (reader.table_length() + 7) & ~uint64_t{7};
      Snapshot s;
      INSTAR_TRY(reader.next(&s));
      Entry& e = entries_[count_++];
      e.l1_table_offset = s.l1_table_offset;
      e.l1_size = s.l1_size;
      INSTAR_TRY(keep(s.id, &e.id));
      INSTAR_TRY(keep(s.name, &e.name));
      e.date_sec = s.date_sec;
      e.date_nsec = s.date_nsec;
      e.vm_clock_nsec = s.vm_clock_nsec;
      e.vm_state_size = s.vm_state_size;
      e.disk_size = s.has_disk_size ? s.disk_size : h_.virtual_size();
      e.icount = s.has_icount ? s.icount : ~uint64_t{0};
      e.extra_data_size = s.extra_data_size;
      e.unknown_extra_at =
          h_.snapshots_offset + start + kSnapshotHeaderSize + kSnapshotExtraDataSize;
    }
    snapshots_size_ = reader.table_length();
    return Status::Ok();
  }

  Status keep(Bytes from, Bytes* to) {
    uint8_t* copy = arena_.allocate_array<uint8_t>(from.size == 0 ? 1 : from.size);
    if (copy == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    copy_bytes(copy, from.data, from.size);
    *to = Bytes(copy, from.size);
    return Status::Ok();
  }

  // update_refcount() of [offset, offset + length) by one; qemu's -EAGAIN (a refcount block had
  // to be allocated for a cluster that should already have one) is an error here, as in
  // qcow2_update_cluster_refcount().
  Status change(uint64_t offset, uint64_t length, int addend) {
    return refcounts_.change_refcount(offset, length, addend < 0, true);
  }

  // qcow2_update_snapshot_refcount(): every cluster the L1 table at `l1_offset` maps gets
  // `addend`, and the COPIED flags follow (set where the refcount is now 1). The active table is
  // the one in memory; another is read from the file, and written back only if it is the
  // active one. Each L2 table is written after the refcounts it depends on.
  Status update_snapshot_refcount(uint64_t l1_offset, uint64_t l1_size, int addend) {
    const uint64_t mark = arena_.mark();
    uint64_t* table = l1_;
    if (l1_offset != l1_offset_) {
      Result<uint64_t*> read = read_l1(l1_offset, l1_size);
      if (!read.ok()) return read.status();
      table = read.value();
    }
    const uint64_t cluster_mask = h_.cluster_size() - 1;
    bool l1_modified = false;
    for (uint64_t i = 0; i < l1_size; ++i) {
      const uint64_t old_l1 = table[i];
      if (old_l1 == 0) continue;
      uint64_t l2 = old_l1 & kL1OffsetMask;
      if ((l2 & cluster_mask) != 0) return Status(instar_guest_ErrorCode_ERROR_IO);
      Result<uint8_t*> slice = l2_cache_.get(l2);
      if (!slice.ok()) return slice.status();
      for (uint64_t j = 0; j < l2_entries_; ++j) {
        uint8_t* e = slice.value() + j * entry_size_;
        const uint64_t old_entry = load_be64(e);
        uint64_t entry = old_entry & ~kOflagCopied;
        const uint64_t offset = entry & kL2OffsetMask;
        uint64_t refcount = 0;
        switch (classify_l2_entry(entry, extended_l2_, false)) {
          case ClusterType::kCompressed: {
            if (addend != 0) {
              const CompressedExtent c = decode_compressed_l2_entry(entry, h_.cluster_bits);
              INSTAR_TRY(change(c.offset, c.size, addend));
            }
            refcount = 2;  // compressed clusters are never written in place
            break;
          }
          case ClusterType::kNormal:
          case ClusterType::kZeroAlloc: {
            if ((offset & cluster_mask) != 0) return Status(instar_guest_ErrorCode_ERROR_IO);
            if (addend != 0) INSTAR_TRY(change(offset, 1, addend));
            Result<uint64_t> r = refcounts_.get_refcount(offset >> h_.cluster_bits);
            if (!r.ok()) return r.status();
            refcount = r.value();
            break;
          }
          case ClusterType::kZeroPlain:
          case ClusterType::kUnallocated:
            break;
        }
        if (refcount == 1) entry |= kOflagCopied;
        if (entry != old_entry) {
          // The refcount operations above use their own cache: the table pointer stays valid.
          store_be64(e, entry);
          l2_cache_.mark_dirty(l2);
        }
      }
      if (addend != 0) INSTAR_TRY(change(l2, 1, addend));
      Result<uint64_t> r = refcounts_.get_refcount(l2 >> h_.cluster_bits);
      if (!r.ok()) return r.status();
      // A table freed here is dropped unwritten (update_refcount()'s qcow2_cache_discard()).
      if (r.value() == 0) l2_cache_.discard(l2);
      if (r.value() == 1) l2 |= kOflagCopied;
      if (l2 != old_l1) {
        table[i] = l2;
        l1_modified = true;
      }
      // Refcounts first: an L2 entry without COPIED over a refcount of 1 is only a missed
      // optimisation, one with COPIED over a shared cluster would be corruption.
      INSTAR_TRY(refcounts_.flush());
      INSTAR_TRY(l2_cache_.flush());
    }
    INSTAR_TRY(file_.flush());
    // The L1 table is written back unless it is being deleted (addend -1).
    if (addend >= 0 && l1_modified) {
      INSTAR_TRY(write_l1(table, l1_offset, l1_size));
      INSTAR_TRY(file_.flush());
    }
    if (table != l1_) arena_.release_to(mark);
    return Status::Ok();
  }

  // qcow2_write_snapshots(): the whole list at a newly allocated place (only the entries' bytes
  // are written: the padding between them and the cluster's tail are left as they are), then
  // the header's count and offset, then the old table freed and discarded.
  Status write_snapshots() {
    uint64_t size = 0;
    for (uint32_t i = 0; i < count_; ++i) {
      const Entry& e = entries_[i];
      size = (size + 7) & ~uint64_t{7};
      size += kSnapshotHeaderSize;
      size +=
          e.extra_data_size > kSnapshotExtraDataSize ? e.extra_data_size : kSnapshotExtraDataSize;
      size += e.id.size + e.name.size;
      if (size > kMaxSnapshotsSize) return Status(instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE);
    }
    Result<uint64_t> table = refcounts_.alloc_clusters(size);
    if (!table.ok()) return table.status();
    INSTAR_TRY(refcounts_.flush());
    INSTAR_TRY(l2_cache_.flush());
    INSTAR_TRY(file_.flush());
    uint64_t offset = table.value();
    for (uint32_t i = 0; i < count_; ++i) {
      const Entry& e = entries_[i];
      offset = (offset + 7) & ~uint64_t{7};
      uint8_t head[kSnapshotHeaderSize + kSnapshotExtraDataSize] = {};
      const uint32_t extra = e.extra_data_size > kSnapshotExtraDataSize
                                 ? e.extra_data_size
                                 : static_cast<uint32_t>(kSnapshotExtraDataSize);
      store_be64(head + 0, e.l1_table_offset);
      store_be32(head + 8, e.l1_size);
      store_be16(head + 12, static_cast<uint16_t>(e.id.size));
      store_be16(head + 14, static_cast<uint16_t>(e.name.size));
      store_be32(head + 16, e.date_sec);
      store_be32(head + 20, e.date_nsec);
      store_be64(head + 24, e.vm_clock_nsec);
      // A VM state over 32 bits is 0 here: older readers then see a disk-only snapshot.
      store_be32(head + 32,
                 e.vm_state_size <= 0xffffffffu ? static_cast<uint32_t>(e.vm_state_size) : 0u);
      store_be32(head + 36, extra);
      store_be64(head + 40, e.vm_state_size);
      store_be64(head + 48, e.disk_size);
      store_be64(head + 56, e.icount);
      INSTAR_TRY(file_.write(offset, Bytes(head, sizeof head)));
      offset += sizeof head;
      if (e.extra_data_size > kSnapshotExtraDataSize) {
        const uint64_t unknown = e.extra_data_size - kSnapshotExtraDataSize;
        uint8_t data[kMaxSnapshotExtraData];
        INSTAR_TRY(file_.read(e.unknown_extra_at, MutableBytes(data, unknown)));
        INSTAR_TRY(file_.write(offset, Bytes(data, unknown)));
        offset += unknown;
      }
      if (e.id.size != 0) INSTAR_TRY(file_.write(offset, e.id));
      offset += e.id.size;
      if (e.name.size != 0) INSTAR_TRY(file_.write(offset, e.name));
      offset += e.name.size;
    }
    // The new table and its refcounts are on disk before the header points at it.
    INSTAR_TRY(file_.flush());
    uint8_t fields[12];
    store_be32(fields, count_);
    store_be64(fields + 4, table.value());
    INSTAR_TRY(file_.write(kHeaderSnapshotsOffset, Bytes(fields, sizeof fields)));
    INSTAR_TRY(file_.flush());
    // qcow2_free_clusters() reports a failure on stderr only.
    (void)refcounts_.free_clusters(snapshots_offset_, snapshots_size_, true);
    snapshots_offset_ = table.value();
    snapshots_size_ = size;
    return Status::Ok();
  }

  const SnapshotEditImage& image_;
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
  Entry* entries_ = nullptr;
  uint32_t count_ = 0;
  uint64_t snapshots_offset_ = 0;
  uint64_t snapshots_size_ = 0;
};

Result<SnapshotEditor*> make_editor(const SnapshotEditImage& image, Arena& arena) {
  void* memory = arena.allocate(sizeof(SnapshotEditor), alignof(SnapshotEditor));
  if (memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  auto* editor = new (memory) SnapshotEditor(image, arena);
  INSTAR_TRY(editor->init());
  return editor;
}

}  // namespace

uint64_t snapshot_id_number(Bytes id) {
  uint64_t i = 0;
  while (i < id.size && (id[i] == ' ' || (id[i] >= '\t' && id[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < id.size && (id[i] == '+' || id[i] == '-')) negative = id[i++] == '-';
  uint64_t value = 0;
  bool overflow = false;
  for (; i < id.size && id[i] >= '0' && id[i] <= '9'; ++i) {
    const uint64_t digit = id[i] - '0';
    if (value > (~uint64_t{0} - digit) / 10) overflow = true;
    value = value * 10 + digit;
  }
  if (overflow) return ~uint64_t{0};
  return negative ? 0 - value : value;
}

uint64_t next_snapshot_id(const uint64_t* ids, uint32_t count) {
  uint64_t max = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (ids[i] > max) max = ids[i];
  }
  return max + 1;
}

SnapshotEdit create_snapshot(const SnapshotEditImage& image, Bytes name, uint32_t date_sec,
                             uint32_t date_nsec, Arena& arena) {
  SnapshotEdit out;
  if (image.metadata->header.nb_snapshots >= kMaxSnapshots) {
    out.error_number = kEfbig;
    return out;
  }
  Result<SnapshotEditor*> editor = make_editor(image, arena);
  Status s = editor.status();
  if (s.ok()) s = editor.value()->create(name, date_sec, date_nsec);
  // qemu's close writes what its caches hold, whether the create succeeded or not.
  if (editor.ok()) {
    const Status closed = editor.value()->close();
    if (s.ok()) s = closed;
    out.file_length = editor.value()->file_end();
  }
  if (!s.ok() && s.code() == instar_guest_ErrorCode_ERROR_INTERNAL) {
    out.status = s;
  } else if (!s.ok()) {
    out.error_number = error_number(s);
  }
  return out;
}

namespace {

// Opens the editor, finds the snapshot with `find` (not found: `missing` says what to report),
// runs `change` on it and closes (qemu's close writes what its caches hold either way).
template <typename Find, typename Change, typename Missing>
SnapshotEdit edit_found(const SnapshotEditImage& image, Arena& arena, Find find, Change change,
                        Missing missing) {
  SnapshotEdit out;
  Result<SnapshotEditor*> editor = make_editor(image, arena);
  if (!editor.ok()) {
    out.status = editor.status();
    return out;
  }
  SnapshotEditor& e = *editor.value();
  const int64_t index = find(e);
  if (index < 0) {
    missing(out);
    return out;
  }
  out.status = change(e, static_cast<uint32_t>(index));
  const Status closed = e.close();
  if (out.status.ok()) out.status = closed;
  out.file_length = e.file_end();
  return out;
}

}  // namespace

SnapshotEdit delete_snapshot(const SnapshotEditImage& image, Bytes name, Arena& arena) {
  return edit_found(
      image, arena, [&](const SnapshotEditor& e) { return e.find(name); },
      [](SnapshotEditor& e, uint32_t index) { return e.remove(index); },
      [](SnapshotEdit& out) { out.not_found = true; });
}

SnapshotEdit apply_snapshot(const SnapshotEditImage& image, Bytes id_or_name, Arena& arena) {
  return edit_found(
      image, arena, [&](const SnapshotEditor& e) { return e.find_by_id_or_name(id_or_name); },
      [](SnapshotEditor& e, uint32_t index) { return e.apply(index); },
      [](SnapshotEdit& out) {
        out.status = Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_FAILED, kEnoent, 0);
      });
}

}  // namespace instar::qcow2
