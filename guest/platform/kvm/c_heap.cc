// c_heap.cc: malloc/calloc/free for Debian's zlib and zstd, a bump heap over an arena slice.
//
// free() only reclaims the most recent allocation (repeatedly, so LIFO release sequences unwind
// completely) and is otherwise a no-op. That is enough here: the guest lives for one op,
// zlib's inflateInit/inflateEnd and zstd's create/free pairs release in reverse allocation
// order, and code that keeps a decompression context per op allocates once. A leak can only
// exhaust the heap, after which malloc returns nullptr and zlib/zstd report a memory error that
// the parser turns into a clean failure — never memory reuse while a block is live.
#include "guest/platform/kvm/c_heap.h"

#include <stddef.h>

#include "guest/lib/arena.h"
#include "guest/lib/mem.h"

namespace instar::kvm {
namespace {

// Precedes every block; 16 bytes keep the block itself 16-byte aligned (max_align_t).
struct BlockHeader {
  uint64_t mark_before;  // heap mark to release to when this block is the newest
  uint64_t mark_after;   // heap mark right after this block
};
static_assert(sizeof(BlockHeader) == 16);

constinit Arena g_heap;

void* heap_allocate(uint64_t size) {
  const uint64_t mark = g_heap.mark();
  if (size > UINT64_MAX - sizeof(BlockHeader)) return nullptr;
  auto* header = static_cast<BlockHeader*>(g_heap.allocate(sizeof(BlockHeader) + size, 16));
  if (header == nullptr) return nullptr;
  header->mark_before = mark;
  header->mark_after = g_heap.mark();
  return header + 1;
}

}  // namespace

void install_c_heap(void* base, uint64_t size) {
  g_heap = Arena(base, size);
}

}  // namespace instar::kvm

extern "C" {

void* malloc(size_t size) {
  return instar::kvm::heap_allocate(size == 0 ? 1 : size);
}

void* calloc(size_t count, size_t size) {
  size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  void* block = malloc(total);
  // Released blocks are reused, so heap memory is not necessarily zero.
  if (block != nullptr) instar::fill_bytes(block, 0, total);
  return block;
}

void free(void* block) {
  using instar::kvm::BlockHeader;
  using instar::kvm::g_heap;
  if (block == nullptr) return;
  const BlockHeader* header = static_cast<const BlockHeader*>(block) - 1;
  if (header->mark_after == g_heap.mark()) g_heap.release_to(header->mark_before);
}

}  // extern "C"
