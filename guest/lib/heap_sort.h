// heap_sort.h: in-place sort of uint64_t values for the freestanding guest (no allocation, no
// recursion, O(n log n) whatever the input: a hostile image cannot make it quadratic).
#pragma once

#include <stdint.h>

namespace instar {

namespace heap_sort_detail {

inline void sift_down(uint64_t* a, uint64_t root, uint64_t n) {
  for (;;) {
    uint64_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) ++child;
    if (a[root] >= a[child]) return;
    const uint64_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

}  // namespace heap_sort_detail

// Sorts a[0..n) ascending.
inline void heap_sort(uint64_t* a, uint64_t n) {
  for (uint64_t i = n / 2; i-- > 0;) heap_sort_detail::sift_down(a, i, n);
  for (uint64_t end = n; end-- > 1;) {
    const uint64_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    heap_sort_detail::sift_down(a, 0, end);
  }
}

}  // namespace instar
