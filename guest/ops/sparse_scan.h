// sparse_scan.h: qemu-img convert's zero detection (-S): which leading sectors of a buffer to
// write and which to leave as a hole, as qemu-img.c is_allocated_sectors{,_min} (7.2) decide.
#pragma once

#include <stdint.h>

namespace instar {

inline constexpr uint64_t kSectorSize = 512;

// buffer_is_zero() of `bytes` bytes.
bool bytes_are_zero(const uint8_t* buf, uint64_t bytes);

// is_allocated_sectors(): whether sector 0 of `buf` (n sectors, at output sector `sector_num`)
// holds data; *pnum = the sectors after it in the same state, the end aligned to `alignment`
// sectors (a power of two) as qemu aligns it.
bool is_allocated_sectors(const uint8_t* buf, uint64_t n, uint64_t* pnum, uint64_t sector_num,
                          uint64_t alignment);

// is_allocated_sectors_min(): as above, but once data was found, zero runs shorter than `min`
// sectors count as data, so that small holes do not split writes.
bool is_allocated_sectors_min(const uint8_t* buf, uint64_t n, uint64_t* pnum, uint64_t min,
                              uint64_t sector_num, uint64_t alignment);

}  // namespace instar
