// arena.h: the guest's only allocator: a bump arena over memory the host sized, reset per phase.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace instar {

class Arena {
 public:
  Arena() = default;
  Arena(void* base, uint64_t size) : base_(static_cast<uint8_t*>(base)), size_(size) {}

  // Returns `size` bytes aligned to `align` (a power of two), or nullptr when the arena is full.
  void* allocate(uint64_t size, uint64_t align = 16);

  // Returns an array of `count` T (uninitialised), or nullptr on overflow or exhaustion.
  template <typename T>
  T* allocate_array(uint64_t count) {
    if (count > UINT64_MAX / sizeof(T)) return nullptr;
    return static_cast<T*>(allocate(count * sizeof(T), alignof(T)));
  }

  // Marks let a phase release everything it allocated.
  uint64_t mark() const { return used_; }
  void release_to(uint64_t mark) {
    if (mark <= used_) used_ = mark;
  }
  uint64_t used() const { return used_; }
  uint64_t capacity() const { return size_; }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t used_ = 0;
};

}  // namespace instar
