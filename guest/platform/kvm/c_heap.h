// c_heap.h: the memory behind malloc/calloc/free, which Debian's zlib and zstd call.
#pragma once

#include <stdint.h>

namespace instar::kvm {

// Gives malloc the `size` bytes at `base` (a slice of the host-sized arena). Called once by
// guest_main before any op runs; until then malloc returns nullptr.
void install_c_heap(void* base, uint64_t size);

}  // namespace instar::kvm
