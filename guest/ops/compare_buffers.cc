// compare_buffers.cc: the comparison primitives of img_compare, on 512-byte pieces of a chunk.
#include "guest/ops/compare_buffers.h"

#include "guest/lib/mem.h"

namespace instar {

namespace {

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

bool all_zero(const uint8_t* p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

bool sectors_differ(const uint8_t* a, const uint8_t* b, uint64_t bytes, uint64_t* same) {
  uint64_t i = min64(bytes, kCompareSectorSize);
  const bool first = compare_bytes(a, b, i) != 0;
  while (i < bytes) {
    const uint64_t len = min64(bytes - i, kCompareSectorSize);
    if ((compare_bytes(a + i, b + i, len) != 0) != first) break;
    i += len;
  }
  *same = i;
  return first;
}

int64_t first_nonzero_sector(const uint8_t* buf, uint64_t bytes) {
  for (uint64_t i = 0; i < bytes; i += kCompareSectorSize) {
    if (!all_zero(buf + i, min64(bytes - i, kCompareSectorSize))) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace instar
