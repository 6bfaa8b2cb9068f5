// refcount_entries.h: reading and writing refcount entries of every width (1 to 64 bits).
#pragma once

#include <stdint.h>

namespace instar::qcow2 {

// A refcount block is an array of 1 << refcount_order bit wide entries (docs/interop/qcow2.txt
// "Host cluster management"). Entries of 8 bits and more are big-endian; narrower entries are
// packed from the least significant bit of each byte upwards, so with 1-bit refcounts entry 0 is
// bit 0 of byte 0 and a fresh refblock covering four clusters begins with the byte 0x0f.
// The reference table: u64 big-endian entries, bits 9-63 refblock offset, bits 0-8 reserved.
inline constexpr uint64_t kReftableOffsetMask = 0xfffffffffffffe00ull;  // REFT_OFFSET_MASK
inline constexpr uint64_t kReftableReservedMask = 0x1ffull;             // REFT_RESERVED_MASK

// Largest value an entry of 1 << order bits holds.
constexpr uint64_t refcount_max(uint32_t order) {
  return order >= 6 ? ~uint64_t{0} : (uint64_t{1} << (1u << order)) - 1;
}

// Bytes an array of `count` entries of 1 << order bits occupies.
constexpr uint64_t refcount_array_bytes(uint64_t count, uint32_t order) {
  return order >= 3 ? count << (order - 3) : (count + (8u >> order) - 1) >> (3 - order);
}

uint64_t get_refcount(const uint8_t* array, uint64_t index, uint32_t order);
// `value` must not exceed refcount_max(order).
void set_refcount(uint8_t* array, uint64_t index, uint32_t order, uint64_t value);

}  // namespace instar::qcow2
