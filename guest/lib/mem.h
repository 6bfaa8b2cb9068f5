// mem.h: byte copy/fill/compare usable in both the freestanding and the hosted guest build.
#pragma once

#include <stdint.h>

namespace instar {

// Thin wrappers over the compiler builtins; in the freestanding build they resolve to the libc
// shim (libc_shim.cc), in hosted builds to libc.
inline void copy_bytes(void* dst, const void* src, uint64_t n) {
  __builtin_memcpy(dst, src, n);
}
inline void fill_bytes(void* dst, uint8_t v, uint64_t n) {
  __builtin_memset(dst, v, n);
}
inline int compare_bytes(const void* a, const void* b, uint64_t n) {
  return __builtin_memcmp(a, b, n);
}

}  // namespace instar
