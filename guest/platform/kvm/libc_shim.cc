// libc_shim.cc: the libc/C++ runtime symbols the guest's objects reference, and nothing else.
//
// The list is what the guest's objects reference (`nm -u` of a link without this file):
// memcpy/memset (GCC's struct copies, nanopb), memmove (zlib's inflate, zstd's decompressor),
// __stack_chk_fail (every -fstack-protector-strong object, Debian's libz.a/libzstd.a included),
// __cxa_pure_virtual (vtables of abstract classes such as BlockSource); memcmp/strlen, which GCC
// emits for comparisons and string lengths, and the operator delete variants a virtual
// destructor would reference (the guest never uses new) cost nothing until referenced, as
// --gc-sections drops them. malloc/calloc/free, which zlib and zstd call, are in c_heap.cc.
// The build check (check_elf.cmake) fails the build on any symbol still undefined.
//
// This file is compiled with -fno-tree-loop-distribute-patterns (CMakeLists.txt) so GCC cannot
// turn a loop here back into a call to the function being defined; the copies use `rep movsb`,
// which is fast on every CPU with ERMS and needs no loop at all.
#include <stddef.h>
#include <stdint.h>

#include "guest/platform/kvm/exit_status.h"
#include "guest/platform/kvm/hypercall.h"

extern "C" {

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  void* d = dst;
  asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  const uintptr_t d = reinterpret_cast<uintptr_t>(dst);
  const uintptr_t s = reinterpret_cast<uintptr_t>(src);
  if (d - s >= n) return memcpy(dst, src, n);  // dst before src, or no overlap: copy forwards
  // dst overlaps the tail of src: copy backwards (DF=1), restoring DF=0 as the ABI requires.
  auto* d_last = static_cast<uint8_t*>(dst) + n - 1;
  auto* s_last = static_cast<const uint8_t*>(src) + n - 1;
  asm volatile("std\n\trep movsb\n\tcld" : "+D"(d_last), "+S"(s_last), "+c"(n) : : "memory");
  return dst;
}

void* memset(void* dst, int value, size_t n) {
  void* d = dst;
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* pa = static_cast<const uint8_t*>(a);
  const auto* pb = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Called by a function whose canary at %fs:0x28 was overwritten: its frame is untrustworthy, so
// end the VM at once with a status the host reports as stack smashing.
[[noreturn]] void __stack_chk_fail() {
  instar::kvm::exit_guest(instar::kvm::kExitStackSmash);
}

[[noreturn]] void __cxa_pure_virtual() {
  instar::kvm::exit_guest(instar::kvm::kExitPureVirtual);
}

}  // extern "C"

// No object is ever allocated with new, so a delete can only be a bug: stop.
void operator delete(void*) noexcept {
  instar::kvm::exit_guest(instar::kvm::kExitBadDelete);
}
void operator delete(void*, size_t) noexcept {
  instar::kvm::exit_guest(instar::kvm::kExitBadDelete);
}
