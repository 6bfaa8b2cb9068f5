// compare.h: the `compare` operation: qemu-img 7.2's img_compare walk over two images.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Compares devices op.input_device[0] and [1] (formats op.input_format[0..1], strict mode with
// kOpFlagStrict) and emits [Error], CompareResult, Done (guest.proto CompareKind). When
// input_device[1] names no device, only image 0 is opened (COMPARE_FIRST_OPENED on success):
// qemu opens the first image before it looks at the second. Returns an error only when a message
// could not be emitted. With op.chain_length[i] > 0, input i is the chain op.chain[i] (top first:
// each image's device, format, external data file and raw extent map), read through as qemu's
// block layer reads a backing chain; without chain tables devices 2 and 3, if given, are the
// data-extent maps of the two files (ImageDriver::set_file_facts), used for raw images.
Status run_compare(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                   MessageSink& sink, Arena& arena);

}  // namespace instar
