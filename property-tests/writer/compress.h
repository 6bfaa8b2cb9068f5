// compress.h: cluster compression as qemu's qcow2 does it (zlib raw deflate or zstd frames).
#pragma once

#include <stdint.h>

#include <optional>
#include <vector>

#include "property-tests/model/model.h"

namespace instar::props {

// Compressed form of `data`, or nullopt when it does not fit in `limit` bytes (qemu then
// writes the cluster uncompressed; it passes cluster_size - 1 as the limit).
std::optional<std::vector<uint8_t>> compress_cluster(Compression type,
                                                     const std::vector<uint8_t>& data,
                                                     uint64_t limit);

}  // namespace instar::props
