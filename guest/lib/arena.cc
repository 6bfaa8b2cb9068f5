// arena.cc: bump allocation with overflow-checked alignment.
#include "guest/lib/arena.h"

#include "guest/lib/checked.h"

namespace instar {

void* Arena::allocate(uint64_t size, uint64_t align) {
  if (align == 0 || (align & (align - 1)) != 0) return nullptr;
  const uint64_t base = reinterpret_cast<uintptr_t>(base_);
  uint64_t start = 0;
  uint64_t end = 0;
  if (!checked_add(base, used_, &start) || !checked_align_up(start, align, &start) ||
      !checked_add(start, size, &end) || end - base > size_) {
    return nullptr;
  }
  used_ = end - base;
  return reinterpret_cast<void*>(static_cast<uintptr_t>(start));
}

}  // namespace instar
