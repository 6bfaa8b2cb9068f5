// refcount_entries.cc: refcount entry access for widths 1..64 (sub-byte widths LSB-first).
#include "guest/formats/qcow2/refcount_entries.h"

namespace instar::qcow2 {

uint64_t get_refcount(const uint8_t* array, uint64_t index, uint32_t order) {
  if (order < 3) {
    const uint32_t bits = 1u << order;
    const uint8_t byte = array[index >> (3 - order)];
    const uint32_t shift = static_cast<uint32_t>(index & ((8u >> order) - 1)) * bits;
    return (byte >> shift) & ((1u << bits) - 1);
  }
  const uint32_t bytes = 1u << (order - 3);
  const uint8_t* p = array + index * bytes;
  uint64_t value = 0;
  for (uint32_t i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

void set_refcount(uint8_t* array, uint64_t index, uint32_t order, uint64_t value) {
  if (order < 3) {
    const uint32_t bits = 1u << order;
    uint8_t& byte = array[index >> (3 - order)];
    const uint32_t shift = static_cast<uint32_t>(index & ((8u >> order) - 1)) * bits;
    const uint32_t mask = ((1u << bits) - 1) << shift;
    byte = static_cast<uint8_t>((byte & ~mask) | ((static_cast<uint32_t>(value) << shift) & mask));
    return;
  }
  const uint32_t bytes = 1u << (order - 3);
  uint8_t* p = array + index * bytes;
  for (uint32_t i = bytes; i-- > 0;) {
    p[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

}  // namespace instar::qcow2
