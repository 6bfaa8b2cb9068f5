// zlib_stream.h: a z_stream over arena memory and the given buffers, for the formats that inflate
// (qcow2's compressed clusters, vmdk's compressed grains).
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"

// Z_SOLO: zlib without its file I/O part, so the header pulls in no hosted headers.
#define Z_SOLO
#include <zlib.h>

namespace instar {

// zlib allocates from `arena`; freeing is a no-op: codecs free in reverse order or not at all
// before everything is dropped at once, and the caller's arena mark reclaims the memory.
inline void* zlib_arena_alloc(void* opaque, unsigned items, unsigned size) {
  return static_cast<Arena*>(opaque)->allocate(uint64_t{items} * size, 16);
}
inline void zlib_arena_free(void*, void*) {}

// A stream reading `in` into `out`, not yet initialised (inflateInit / inflateInit2 next).
inline z_stream arena_z_stream(Arena& arena, Bytes in, MutableBytes out) {
  z_stream strm = {};
  strm.zalloc = zlib_arena_alloc;
  strm.zfree = zlib_arena_free;
  strm.opaque = &arena;
  strm.next_in = const_cast<Bytef*>(in.data);
  strm.avail_in = static_cast<uInt>(in.size);
  strm.next_out = out.data;
  strm.avail_out = static_cast<uInt>(out.size);
  return strm;
}

}  // namespace instar
