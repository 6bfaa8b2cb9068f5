// refcount_codec.cc: the qcow2 refcount entry encoding.
#include "property-tests/writer/refcount_codec.h"

namespace instar::props {

// qcow2 spec, "Refcount blocks": refcount_bits = 1 << refcount_order.
//   bits >= 8: each entry is a big-endian integer of refcount_bits/8 bytes.
//   bits < 8:  entries are packed LSB-first: entry i lives in byte (i * bits) / 8 at bit
//              position (i * bits) % 8, e.g. 1-bit refcounts 1,1,1,1 give the byte 0x0f and
//              2-bit ones give 0x55.

uint64_t get_refcount(const uint8_t* block, uint64_t index, uint32_t bits) {
  if (bits < 8) {
    const uint64_t bit = index * bits;
    return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
  }
  const uint32_t width = bits / 8;
  uint64_t value = 0;
  for (uint32_t i = 0; i < width; ++i) value = value << 8 | block[index * width + i];
  return value;
}

void set_refcount(uint8_t* block, uint64_t index, uint32_t bits, uint64_t value) {
  if (bits < 8) {
    const uint64_t bit = index * bits;
    const uint8_t mask = static_cast<uint8_t>(((1u << bits) - 1) << (bit % 8));
    block[bit / 8] = static_cast<uint8_t>((block[bit / 8] & ~mask) | ((value << (bit % 8)) & mask));
    return;
  }
  const uint32_t width = bits / 8;
  for (uint32_t i = 0; i < width; ++i) {
    block[index * width + i] = static_cast<uint8_t>(value >> (8 * (width - 1 - i)));
  }
}

}  // namespace instar::props
