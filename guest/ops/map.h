// map.h: the `map` operation: qemu-img 7.2's img_map walk as block status extents.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// MapExtents carries at most this many extents (guest.options MapExtents.extents).
inline constexpr uint32_t kMapExtentsPerMessage = 256;
// qemu 8.0+'s BDRV_BLOCK_COMPRESSED, as MapExtent.flags carries it.
inline constexpr uint32_t kMapFlagCompressed = 0x40;

// Opens input 0 (op.input_device[0], its chain in op.chain[0] as compare takes it) and walks
// [op.map_start, min(op.map_start + op.map_length, length)) as img_map does: for each offset,
// get_block_status() asks the top image, then each backing image in turn while a layer reports
// neither data nor zeros, and the answer's depth is the layer that gave it. Consecutive answers
// entry_mergeable() would merge are merged here, so the host gets one extent per run, not per
// cluster, batched kMapExtentsPerMessage to a message. Emits MapBegin, MapExtents*, [Error],
// MapResult, Done; an image that does not open gives Error, MapResult(MAP_OPEN_FAILED), Done.
// Returns an error only when a message could not be emitted.
Status run_map(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
               MessageSink& sink, Arena& arena);

}  // namespace instar
