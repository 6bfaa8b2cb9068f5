// run_op.h: the guest's single entry point, called by every platform binding.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"

namespace instar {

// Runs op.op against `devices` (device i of the boot info), emitting results and errors as
// GuestMessages on `sink`, the last one a Done. Returns the value for the exit hypercall / exit
// code: 0 when the op ran (its outcome, success or a reported image error, is in the messages),
// non-zero when even reporting failed.
int run_op(const abi::BootInfo& boot, const abi::OpConfig& op, BlockSource* const* devices,
           uint32_t device_count, MessageSink& sink, Arena& arena);

// The same, with `sinks[i]` the writer of device i when the host made it writable (else null):
// ops that produce images (convert) write only through these.
int run_op(const abi::BootInfo& boot, const abi::OpConfig& op, BlockSource* const* devices,
           BlockSink* const* sinks, uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
