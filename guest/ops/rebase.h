// rebase.h: the `rebase` operation: qemu-img 7.2's img_rebase on an image the host opened
// read-write (docs/rebase.md).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Opens op.output_device as op.input_format[0] (probing when kProbe) and, unless
// kRebaseOpenOnly, changes its backing file as bdrv_change_backing_file() and
// qcow2_change_backing_file() do (the header cluster rewritten in place), then emits [Error],
// RebaseResult, Done (guest.proto RebaseKind). Without kRebaseUnsafe (safe mode) the image's
// chain (op.chain[0]) and the new backing chain (input 1, op.chain[1]; none for -b "") are read
// first: the change goes on only when no data needs copying. Returns an error only when a
// message could not be emitted.
Status run_rebase(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
