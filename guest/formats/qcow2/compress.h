// compress.h: one cluster compressed as qcow2_co_compress() does (zlib raw deflate or zstd).
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Compresses `in` into at most out.size bytes (qemu passes cluster_size - 1). Returns the
// compressed length, or 0 where qemu's compressor returns -ENOMEM (the result would not be
// smaller: the caller writes the cluster uncompressed). The codec's memory comes from `arena`
// and is released before returning.
Result<uint64_t> compress_cluster(uint8_t compression_type, Bytes in, MutableBytes out,
                                  Arena& arena);

}  // namespace instar::qcow2
