// snapshot_table.h: the qcow2 internal snapshot table, read entry by entry as qemu 7.2 does.
#pragma once

#include <stdint.h>

#include "guest/formats/windowed_reader.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Snapshot table entry (docs/interop/qcow2.txt "Snapshot table"), big-endian, each entry
// starting at a multiple of 8 bytes from the table start:
//
//   byte  0 -  7: l1_table_offset
//         8 - 11: l1_size
//        12 - 13: id_str_size
//        14 - 15: name_size
//        16 - 19: date_sec
//        20 - 23: date_nsec
//        24 - 31: vm_clock_nsec
//        32 - 35: vm_state_size         (32-bit; superseded by extra data bytes 0-7)
//        36 - 39: extra_data_size
//        40 -   : extra data:  0 - 7 vm_state_size_large, 8 - 15 disk_size, 16 - 23 icount
//                 then id_str (id_str_size bytes), then name (name_size bytes); no NULs
struct SnapshotEntryHeader {
  uint64_t l1_table_offset = 0;
  uint32_t l1_size = 0;
  uint16_t id_str_size = 0;
  uint16_t name_size = 0;
  uint32_t date_sec = 0;
  uint32_t date_nsec = 0;
  uint64_t vm_clock_nsec = 0;
  uint32_t vm_state_size = 0;
  uint32_t extra_data_size = 0;
};

SnapshotEntryHeader decode_snapshot_entry_header(const uint8_t* bytes);

// One snapshot as qemu sees it after reading it.
struct Snapshot {
  uint64_t l1_table_offset = 0;
  uint32_t l1_size = 0;
  Bytes id;    // up to the first NUL (qemu keeps a C string)
  Bytes name;  // likewise
  uint32_t date_sec = 0;
  uint32_t date_nsec = 0;
  uint64_t vm_clock_nsec = 0;
  uint64_t vm_state_size = 0;  // the large field when extra data holds it
  bool has_disk_size = false;  // else the disk size is the image's virtual size
  uint64_t disk_size = 0;
  bool has_icount = false;  // qemu's icount -1 = absent
  uint64_t icount = 0;
  uint32_t extra_data_size = 0;
};

// qcow2_validate_table() of a snapshot's L1 table: ERROR_SNAPSHOT_L1_TOO_LARGE,
// ERROR_SNAPSHOT_L1_OFFSET_INVALID.
Status validate_snapshot_l1(const Snapshot& s, uint64_t cluster_size);

// Bytes of scratch a SnapshotTableReader needs for ids and names.
inline constexpr uint64_t kSnapshotNameScratchSize = 2 * 65535;

// qcow2_read_snapshots() without repair: entries in order, with qemu's limits on extra data
// (ERROR_SNAPSHOT_EXTRA_TOO_LARGE, args: index) and on the running table size
// (ERROR_SNAPSHOT_TABLE_TOO_BIG, args: entries from this one to the end).
class SnapshotTableReader {
 public:
  // `scratch` holds kSnapshotNameScratchSize bytes; a Snapshot's id/name stay valid until the
  // next call to next().
  SnapshotTableReader(WindowedReader& reader, uint64_t table_offset, uint32_t count,
                      MutableBytes scratch)
      : reader_(reader), table_offset_(table_offset), count_(count), scratch_(scratch) {}

  bool done() const { return index_ >= count_; }
  // Bytes from the table start to the end of the last entry read (qemu's snapshots_size).
  uint64_t table_length() const { return table_length_; }
  Status next(Snapshot* out);

 private:
  WindowedReader& reader_;
  uint64_t table_offset_;
  uint32_t count_;
  MutableBytes scratch_;
  uint32_t index_ = 0;
  uint64_t table_length_ = 0;  // bytes from the table start to the end of the last entry
};

}  // namespace instar::qcow2
