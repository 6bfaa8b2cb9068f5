// checked.h: overflow-checked arithmetic for every image-derived offset and size.
#pragma once

#include <stdint.h>

namespace instar {

// Each returns false (leaving *out unspecified) when the exact result does not fit in uint64_t.
[[nodiscard]] constexpr bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
[[nodiscard]] constexpr bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
// a << s, refusing shifts that lose bits or are out of range.
[[nodiscard]] constexpr bool checked_shl(uint64_t a, unsigned s, uint64_t* out) {
  if (s >= 64 || (a >> (63 - s)) >> 1) return false;
  *out = a << s;
  return true;
}
// Rounds v up to a multiple of `align` (a power of two), refusing overflow.
[[nodiscard]] constexpr bool checked_align_up(uint64_t v, uint64_t align, uint64_t* out) {
  uint64_t t = 0;
  if (!checked_add(v, align - 1, &t)) return false;
  *out = t & ~(align - 1);
  return true;
}
constexpr uint64_t div_round_up(uint64_t v, uint64_t d) {
  return v / d + (v % d != 0);
}
constexpr bool is_aligned(uint64_t v, uint64_t align) {
  return (v & (align - 1)) == 0;
}

}  // namespace instar
