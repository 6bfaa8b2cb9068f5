// convert.h: the `convert` operation: qemu-img 7.2's img_convert copy onto a host-made output.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"
#include "guest/ops/convert_copy.h"

namespace instar {

// Opens the op.convert_input_count inputs (op.convert_chain[i], top first, as compare's chains),
// then copies them, concatenated, onto the writable device op.output_device in format
// op.output_format (raw; other formats are refused with ERROR_UNSUPPORTED_OP until their
// writer lands), and emits ConvertProgress (with kConvertProgress) and ConvertSalvaged (with
// kConvertSalvage) messages as they happen, then [Error], ConvertResult, Done (guest.proto
// ConvertKind). Returns an error only when a message could not be emitted.
Status run_convert(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                   uint32_t device_count, MessageSink& sink, Arena& arena);

// Emits [Error], ConvertResult, Done for `outcome` (the Error only for an error kind; input 0).
// `create` ends with the same messages, so the host checks both with one sequence.
Status emit_convert_outcome(const ConvertOutcome& outcome, MessageSink& sink, Arena& arena);

}  // namespace instar
