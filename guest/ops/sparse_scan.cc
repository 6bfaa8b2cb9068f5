// sparse_scan.cc: is_allocated_sectors{,_min} of qemu-img.c 7.2, sector for sector.
#include "guest/ops/sparse_scan.h"

namespace instar {

bool bytes_are_zero(const uint8_t* buf, uint64_t bytes) {
  uint64_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t word;
    __builtin_memcpy(&word, buf + i, 8);
    if (word != 0) return false;
  }
  for (; i < bytes; ++i) {
    if (buf[i] != 0) return false;
  }
  return true;
}

bool is_allocated_sectors(const uint8_t* buf, uint64_t n, uint64_t* pnum, uint64_t sector_num,
                          uint64_t alignment) {
  if (n == 0) {
    *pnum = 0;
    return false;
  }
  bool is_zero = bytes_are_zero(buf, kSectorSize);
  uint64_t i = 1;
  for (; i < n; ++i) {
    if (is_zero != bytes_are_zero(buf + i * kSectorSize, kSectorSize)) break;
  }
  if (i == n) {  // the whole buffer is in one state: no reason to split it
    *pnum = i;
    return !is_zero;
  }
  const uint64_t tail = (sector_num + i) & (alignment - 1);
  if (tail != 0) {
    // A zero run no longer than the tail: the data after it rewrites that block anyway.
    if (is_zero && i <= tail) is_zero = false;
    if (!is_zero) {
      i += alignment - tail;  // align the end of a data run up
      if (i > n) i = n;
    } else {
      i -= tail;  // and the end of a zero run down
    }
  }
  *pnum = i;
  return !is_zero;
}

bool is_allocated_sectors_min(const uint8_t* buf, uint64_t n, uint64_t* pnum, uint64_t min,
                              uint64_t sector_num, uint64_t alignment) {
  if (n < min) min = n;
  if (!is_allocated_sectors(buf, n, pnum, sector_num, alignment)) return false;
  uint64_t num_used = *pnum;
  buf += kSectorSize * *pnum;
  sector_num += *pnum;
  n -= *pnum;
  uint64_t num_checked = num_used;
  while (n > 0) {
    const bool allocated = is_allocated_sectors(buf, n, pnum, sector_num, alignment);
    buf += kSectorSize * *pnum;
    sector_num += *pnum;
    n -= *pnum;
    num_checked += *pnum;
    if (allocated) {
      num_used = num_checked;
    } else if (*pnum >= min) {
      break;
    }
  }
  *pnum = num_used;
  return true;
}

}  // namespace instar
