// refcount_codec.h: reading and writing refcount block entries of any width (1..64 bits).
#pragma once

#include <stdint.h>

namespace instar::props {

// Entry `index` of the refcount block at `block`, entries `bits` wide (a power of two <= 64).
uint64_t get_refcount(const uint8_t* block, uint64_t index, uint32_t bits);
// Stores `value` (which must fit in `bits`) leaving neighbouring sub-byte entries unchanged.
void set_refcount(uint8_t* block, uint64_t index, uint32_t bits, uint64_t value);

}  // namespace instar::props
