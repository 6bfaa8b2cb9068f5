// snapshot.h: the `snapshot -c | -d` operation (and the bare open without an action): qemu-img
// 7.2's img_snapshot on an image the host opened read-write (docs/snapshot.md).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Opens op.output_device as op.input_format[0] (probing when kProbe), runs op.snapshot_action on
// a qcow2 image in place (other formats have no internal snapshots: the host words qemu's
// refusal), then emits [Error], SnapshotResult, Done (guest.proto SnapshotKind). Returns an error
// only when a message could not be emitted.
Status run_snapshot(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                    uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
