// check.h: qemu 7.2's qcow2 consistency check (qcow2_co_check_locked) and check -r's repairs.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Emits (CheckDiagnostics | CheckSnapshotLine)* (qemu's stderr lines as codes and numbers, in its
// order), CheckResult, Done{0}; or, when the image does not open, Error and Done{1}.
// The walk follows qcow2_co_check_locked(): references from the header, the active L1/L2 tables,
// every snapshot's L1/L2 tables, the snapshot table, the refcount table and blocks, the crypto
// header and the bitmap directory and tables are counted into an in-memory refcount array of the
// image's refcount width, compared with the on-disk refcounts, then OFLAG_COPIED is checked.
Status check(BlockSource& source, MessageSink& sink, Arena& arena);

// check -r: the same with qemu's fix mode `fix` (abi::CheckRepair bits), writing to `out` (the
// writable side of `source`). Leaks are lowered (-r leaks), refcounts too low but not 0 raised
// and OFLAG_COPIED set or cleared (-r all), the dirty bit cleared (and the corrupt bit when
// nothing is left), then, when anything was fixed, the image is checked again read-only: the
// diagnostics hold both checks' lines and CheckResult the second check's counts with the first's
// leaks_fixed and corruptions_fixed. A repair instar does not make yet ends in
// Error{ERROR_CHECK_REPAIR_UNSUPPORTED} before anything is written (possibly after diagnostics).
Status check(BlockSource& source, MessageSink& sink, Arena& arena, uint32_t fix, BlockSink* out);

}  // namespace instar::qcow2
