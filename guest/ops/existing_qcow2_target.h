// existing_qcow2_target.h: the qcow2 image `convert -n -O qcow2` writes into: img_open() of the
// existing target read-write, the states instar refuses before writing, and its writer.
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/writer.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar {

// Why instar does not write into an existing qcow2 target (ERROR_CONVERT_TARGET_UNSUPPORTED's
// argument): InPlaceRefusal's reasons (2-6), and these.
enum ExistingTargetRefusal : uint64_t {
  kTargetBackingFile = 10,  // qemu opens the target's own backing chain and copies on write from it
  kTargetSnapshots = 11,    // clusters shared with snapshots are copied on write
  kTargetCompressed = 12,   // a compressed cluster is reallocated when written
  kTargetOverlaps = 13,     // tables or data clusters that overlap (qemu's overlap check stops
                            // the write and marks the image corrupt) or are unaligned
};

// Opens the qcow2 image on `device` (its file's first `file_length` bytes) as img_open() opens
// convert's -n target: qcow2_open()'s errors with qemu's codes (named in `names`); then
// ERROR_CONVERT_TARGET_TOO_SMALL when its virtual size is below `needed` bytes; then
// ERROR_CONVERT_TARGET_UNSUPPORTED for what instar does not model. On success the writer writes
// through `sink`; `discard` is BDRV_O_UNMAP (clusters it frees are discarded in the file).
Result<qcow2::Qcow2Writer*> open_existing_qcow2_target(BlockSource& device, BlockSink& sink,
                                                       uint64_t file_length, uint64_t needed,
                                                       bool discard, Arena& arena,
                                                       ErrorNames* names);

}  // namespace instar
