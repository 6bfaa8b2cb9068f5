// snapshot_table.cc: snapshot table entry decoding with qemu's per-entry and total-size limits.
#include "guest/formats/qcow2/snapshot_table.h"

#include "guest/formats/qcow2/header_extensions.h"
#include "guest/formats/qcow2/limits.h"

namespace instar::qcow2 {

SnapshotEntryHeader decode_snapshot_entry_header(const uint8_t* p) {
  SnapshotEntryHeader h;
  h.l1_table_offset = load_be64(p + 0);
  h.l1_size = load_be32(p + 8);
  h.id_str_size = load_be16(p + 12);
  h.name_size = load_be16(p + 14);
  h.date_sec = load_be32(p + 16);
  h.date_nsec = load_be32(p + 20);
  h.vm_clock_nsec = load_be64(p + 24);
  h.vm_state_size = load_be32(p + 32);
  h.extra_data_size = load_be32(p + 36);
  return h;
}

Status validate_snapshot_l1(const Snapshot& s, uint64_t cluster_size) {
  if (s.l1_size > kMaxL1SizeBytes / kL1EntrySize) {
    return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_L1_TOO_LARGE);
  }
  if (static_cast<uint64_t>(kInt64Max) - uint64_t{s.l1_size} * kL1EntrySize < s.l1_table_offset ||
      (s.l1_table_offset & (cluster_size - 1)) != 0) {
    return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_L1_OFFSET_INVALID);
  }
  return Status::Ok();
}

Status SnapshotTableReader::next(Snapshot* out) {
  if (done() || scratch_.size < kSnapshotNameScratchSize) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  // The table offset is at most INT64_MAX and the running length at most 64 MiB plus one
  // entry (checked below), so these sums cannot wrap.
  table_length_ = (table_length_ + 7) & ~uint64_t{7};
  uint64_t offset = table_offset_ + table_length_;

  uint8_t raw_header[kSnapshotHeaderSize];
  INSTAR_TRY(reader_.read(offset, MutableBytes(raw_header, sizeof raw_header)));
  offset += kSnapshotHeaderSize;
  const SnapshotEntryHeader h = decode_snapshot_entry_header(raw_header);

  if (h.extra_data_size > kMaxSnapshotExtraData) {
    return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_EXTRA_TOO_LARGE, index_);
  }
  uint8_t extra[kSnapshotExtraDataSize] = {};
  const uint64_t known_extra =
      h.extra_data_size < kSnapshotExtraDataSize ? h.extra_data_size : kSnapshotExtraDataSize;
  INSTAR_TRY(reader_.read(offset, MutableBytes(extra, known_extra)));
  offset += h.extra_data_size;  // unknown extra data is skipped

  Snapshot s;
  s.l1_table_offset = h.l1_table_offset;
  s.l1_size = h.l1_size;
  s.date_sec = h.date_sec;
  s.date_nsec = h.date_nsec;
  s.vm_clock_nsec = h.vm_clock_nsec;
  s.extra_data_size = h.extra_data_size;
  s.vm_state_size = h.extra_data_size >= 8 ? load_be64(extra) : h.vm_state_size;
  s.has_disk_size = h.extra_data_size >= 16;
  if (s.has_disk_size) s.disk_size = load_be64(extra + 8);
  s.has_icount = h.extra_data_size >= 24;
  if (s.has_icount) s.icount = load_be64(extra + 16);
  // qemu stores -1 for "no icount"; an on-disk -1 means the same.
  if (s.has_icount && s.icount == ~uint64_t{0}) s.has_icount = false;

  const MutableBytes id = scratch_.sub(0, h.id_str_size);
  const MutableBytes name = scratch_.sub(65535, h.name_size);
  INSTAR_TRY(reader_.read(offset, id));
  offset += h.id_str_size;
  INSTAR_TRY(reader_.read(offset, name));
  s.id = until_nul(id);
  s.name = until_nul(name);

  table_length_ += kSnapshotHeaderSize + h.extra_data_size + h.id_str_size + h.name_size;
  if (table_length_ > kMaxSnapshotsSize || table_length_ > kIntMax) {
    return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_BIG, count_ - index_);
  }
  ++index_;
  *out = s;
  return Status::Ok();
}

}  // namespace instar::qcow2
