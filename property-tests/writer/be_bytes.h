// be_bytes.h: big-endian stores and loads into byte vectors (qcow2 is big-endian throughout).
#pragma once

#include <stdint.h>

#include <vector>

namespace instar::props {

inline void store_be(std::vector<uint8_t>& out, uint64_t offset, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    out[offset + i] = static_cast<uint8_t>(value >> (8 * (width - 1 - i)));
  }
}

inline uint64_t load_be(const std::vector<uint8_t>& in, uint64_t offset, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value = value << 8 | in[offset + i];
  return value;
}

}  // namespace instar::props
