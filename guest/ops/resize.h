// resize.h: the `resize` operation: qemu-img 7.2's img_resize on an image the host opened
// read-write (docs/resize.md).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// The new size img_resize asks for: the operand alone, or the image's length plus or minus it,
// in qemu's int64_t arithmetic (so a sum past INT64_MAX wraps negative and is refused as not
// positive).
int64_t resize_total(uint64_t current, uint64_t operand, abi::ResizeRelative relative);

// Opens op.output_device as op.input_format[0] (probing when kProbe), makes img_resize's checks
// and resizes a qcow2 image in place (a raw image is the host's to truncate), then emits [Error],
// ResizeResult, Done (guest.proto ResizeKind). Returns an error only when a message could not be
// emitted.
Status run_resize(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
