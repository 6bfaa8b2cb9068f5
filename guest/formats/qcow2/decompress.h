// decompress.h: one compressed qcow2 cluster inflated as qemu 7.2's qcow2_co_decompress() does.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Fills all of `out` (one cluster) from the compressed bytes `in`: raw deflate with a 4 KiB
// window for zlib (type 0), one or more zstd frames for zstd (type 1). Like qemu, `in` may hold
// trailing bytes (its size is known only to the sector), but the output must be exactly filled.
// Fails with ERROR_DECOMPRESSION_FAILED (qemu's -EIO). The codecs allocate from `arena`, which
// is returned to its mark before this returns: no malloc, so the seccomp helper may call it.
Status decompress_cluster(uint8_t compression_type, Bytes in, MutableBytes out, Arena& arena);

}  // namespace instar::qcow2
