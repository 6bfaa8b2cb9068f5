// measure.h: the `measure` operation: what qemu 7.2's qcow2_measure / raw_measure read from the
// source image (its length, allocated data and persistent bitmaps).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Opens input 0 (op.input_device[0], op.input_format[0], and the chain op.chain[0] when
// op.chain_length[0] > 0, as compare opens it) and emits [Error], MeasureResult, Done. With
// op.measure_cluster_size > 0 it walks the input's block status through its chain, counting the
// allocated non-zero extents rounded out to that cluster size, and sizes a qcow2 v3 input's
// persistent bitmaps for it. Returns an error only when a message could not be emitted.
Status run_measure(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                   MessageSink& sink, Arena& arena);

}  // namespace instar
