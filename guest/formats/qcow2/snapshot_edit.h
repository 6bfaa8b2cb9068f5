// snapshot_edit.h: qemu 7.2's qcow2_snapshot_create() and qcow2_snapshot_delete() over an opened
// image (qcow2-snapshot.c with qcow2_update_snapshot_refcount() and qcow2_write_snapshots()), with
// qemu's allocations so the bytes match, and a crash-safe write order (docs/write-safety.md).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

struct SnapshotEditImage {
  const Metadata* metadata;    // as open_image() validated it (snapshot table included)
  const TableScratch* tables;  // the open's reader, to read the snapshot table again
  BlockSource* source;         // the image, read back
  BlockSink* sink;             // the same image, written
  uint64_t file_length;        // the file's length before the edit
};

// find_new_snapshot_id()'s number for the next snapshot: one more than the largest strtoul()
// of the existing ids (wrapping as unsigned long does).
uint64_t next_snapshot_id(const uint64_t* ids, uint32_t count);
// C's strtoul(text, NULL, 10) of an id (leading blanks, a sign, overflow to ULONG_MAX).
uint64_t snapshot_id_number(Bytes id);

// The outcome: kOk, or the errno qemu's function would return (create) or the Error it would set
// (delete: ERROR_SNAPSHOT_* with an errno argument where qemu words one).
struct SnapshotEdit {
  Status status;
  uint32_t error_number = 0;  // create: -ret of qcow2_snapshot_create()
  bool not_found = false;     // delete: bdrv_snapshot_find() found no snapshot by that name or id
  uint64_t file_length = 0;   // on success: the file's length afterwards
};

// img_snapshot -c: a snapshot named `name` (cut to 255 bytes as pstrcpy() into sn.name does)
// dated `date_sec`/`date_nsec`, vm state, vm clock and icount 0.
SnapshotEdit create_snapshot(const SnapshotEditImage& image, Bytes name, uint32_t date_sec,
                             uint32_t date_nsec, Arena& arena);

// img_snapshot -d: bdrv_snapshot_find() (the first snapshot of that name, names cut to 255
// bytes; ids are not matched), then qcow2_snapshot_delete() of its id (cut to 127 bytes) and name.
SnapshotEdit delete_snapshot(const SnapshotEditImage& image, Bytes name, Arena& arena);

// img_snapshot -a: qcow2_snapshot_goto() (an id match first, then a name match). Failures are
// ERROR_SNAPSHOT_LOAD_FAILED (args: errno; 1 or 2 when qcow2_validate_table() reported "Snapshot
// L1 table too large" or "offset invalid" first). A snapshot whose size or L1 length differs
// from the image's (qemu truncates and grows the L1 table first) is ERROR_SNAPSHOT_UNSUPPORTED 8.
SnapshotEdit apply_snapshot(const SnapshotEditImage& image, Bytes id_or_name, Arena& arena);

}  // namespace instar::qcow2
