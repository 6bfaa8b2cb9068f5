// snapshot_load.h: convert -l / measure -l in the guest: input 0 read at an internal snapshot.
#pragma once

#include "guest/abi/abi.h"
#include "guest/formats/driver.h"
#include "guest/lib/arena.h"
#include "guest/lib/status.h"

namespace instar {

// Loads the snapshot OpConfig's snapshot fields select into `image` (nothing for
// kSnapshotNone): bdrv_snapshot_load_tmp() for kSnapshotIdAndName,
// bdrv_snapshot_load_tmp_by_id_or_name() for kSnapshotIdOrName (as an id; then, when that found
// none or found one with an invalid L1 offset, as a name). `format` is the image's, which
// ERROR_SNAPSHOT_LOAD_UNSUPPORTED names (as its guest.proto Format).
Status load_selected_snapshot(const abi::OpConfig& op, ImageDriver& image, abi::ImageFormat format,
                              Arena& arena);

}  // namespace instar
