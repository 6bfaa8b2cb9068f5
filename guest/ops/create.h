// create.h: the `create` operation: qemu-img 7.2's `create -f qcow2` onto a host-made empty file.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Writes a fresh qcow2 image of op.output_size bytes with the options of op.qcow2_* and the
// names of op.create_* on the writable device op.output_device (empty, made by the host), as
// qcow2_co_create() does, and emits [Error], ConvertResult, Done as convert does: CONVERT_DONE,
// or CONVERT_WRITE_FAILED with qemu's check (ERROR_CREATE_*) or the write error. Returns an
// error only when a message could not be emitted.
Status run_create(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
