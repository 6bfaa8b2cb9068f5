// amend.h: the `amend` operation: qemu-img 7.2's img_amend with qcow2_amend_options() on an
// image the host opened read-write (docs/amend.md).
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Opens op.output_device as op.input_format[0] (probing when kProbe) and, unless kAmendOpenOnly
// or the image is not qcow2, amends it as qcow2_amend_options() does with the options the host
// parsed and checked (abi::AmendFlags): upgrade, header rewrite, backing check, lazy refcounts,
// downgrade (zero clusters expanded), in qemu's order and with qemu's failures, then emits
// [Error], AmendResult, Done (guest.proto AmendKind). What instar does not amend yet is refused
// before anything is written. Returns an error only when a message could not be emitted.
Status run_amend(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                 uint32_t device_count, MessageSink& sink, Arena& arena);

}  // namespace instar
