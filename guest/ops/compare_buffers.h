// compare_buffers.h: qemu-img's sector-granular buffer comparisons (compare_buffers, find_nonzero).
#pragma once

#include <stdint.h>

namespace instar {

inline constexpr uint64_t kCompareSectorSize = 512;  // BDRV_SECTOR_SIZE

// compare_buffers(buf1, buf2, bytes, 0, &pnum): whether the first 512-byte piece differs, and in
// *same the length of the prefix, in 512-byte steps from buf[0], whose pieces all match that
// first one's status. `bytes` > 0.
bool sectors_differ(const uint8_t* a, const uint8_t* b, uint64_t bytes, uint64_t* same);

// find_nonzero(): the index of the first 512-byte piece (counted from buf[0]) holding a non-zero
// byte, or -1 when all `bytes` are zero.
int64_t first_nonzero_sector(const uint8_t* buf, uint64_t bytes);

}  // namespace instar
