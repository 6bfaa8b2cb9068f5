// check.h: qemu 7.2's read-only qcow2 consistency check (qcow2_co_check_locked, no repair).
#pragma once

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

}  // namespace instar::qcow2
