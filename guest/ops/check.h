// check.h: the `check` operation: qemu 7.2's read-only qcow2 consistency check (no repair).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Emits, for the image on `source` opened as `format`:
//   qcow2:   (CheckDiagnostics | CheckSnapshotLine)* (qemu's stderr lines as codes and numbers,
//            in its order), CheckResult, Done{0};
//   raw:     CheckResult{format RAW} (qemu: "This image format does not support checks"), Done{0};
//   failure: Error (the open failed, as for info), Done{1}.
// The walk follows qcow2_co_check_locked(): references from the header, the active L1/L2 tables,
// every snapshot's L1/L2 tables, the snapshot table, the refcount table and blocks, the crypto
// header and the bitmap directory and tables are counted into an in-memory refcount array of the
// image's refcount width, compared with the on-disk refcounts, then OFLAG_COPIED is checked.
Status run_check(BlockSource& source, abi::ImageFormat format, MessageSink& sink, Arena& arena);

}  // namespace instar
