// check.h: the `check` operation: the image format's read-only consistency check (no repair).
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

}  // namespace instar
