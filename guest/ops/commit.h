// commit.h: the `commit` operation: qemu-img 7.2's img_commit (the commit job of
// commit_active_start(), then bdrv_make_empty() of the top) on devices the host opened
// (docs/commit.md).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Opens op.output_device (the top, as op.input_format[0]) with its chain (op.chain[0]); unless
// kCommitOpenOnly, copies what the images above chain image op.commit_base_index allocate into
// that image through op.commit_base_device, then (without kCommitDrop) empties the top as
// qcow2_make_empty() does. Emits [Error], CommitResult, Done (guest.proto CommitKind). Returns an
// error only when a message could not be emitted.
Status run_commit(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
