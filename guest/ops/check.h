// check.h: the `check` operation: the image format's consistency check, and check -r for qcow2.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Emits, for the image on `source` opened as `format`:
//   a format with a check (FormatDriver::check; qcow2: guest/formats/qcow2/check.h): what it
//            emits, ending in CheckResult and Done{0};
//   others:  CheckResult{format} (qemu: "This image format does not support checks"), Done{0};
//   failure: Error (detection or the open failed, as for info), Done{1}.
Status run_check(BlockSource& source, abi::ImageFormat format, MessageSink& sink, Arena& arena);

// check -r (op.check_repair): the qcow2 image on op.output_device (writable) checked and repaired
// as qcow2::check() with a fix mode does it; other formats end in
// Error{ERROR_CHECK_REPAIR_UNSUPPORTED 1}, Done{1}.
Status run_check_repair(const abi::OpConfig& op, BlockSource* const* devices,
                        BlockSink* const* sinks, uint32_t device_count, MessageSink& sink,
                        Arena& arena);

}  // namespace instar
