// bytes.h: non-owning byte views and big-endian loads for freestanding parsing code.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace instar {

// A read-only view of `size` bytes. Freestanding stand-in for std::span<const uint8_t>.
struct Bytes {
  const uint8_t* data = nullptr;
  uint64_t size = 0;

  constexpr Bytes() = default;
  constexpr Bytes(const uint8_t* d, uint64_t n) : data(d), size(n) {}
  constexpr const uint8_t& operator[](uint64_t i) const { return data[i]; }
  // The sub-view [offset, offset+length); callers check bounds first (see contains()).
  constexpr Bytes sub(uint64_t offset, uint64_t length) const { return {data + offset, length}; }
  constexpr bool contains(uint64_t offset, uint64_t length) const {
    return offset <= size && length <= size - offset;
  }
};

// A writable view of `size` bytes.
struct MutableBytes {
  uint8_t* data = nullptr;
  uint64_t size = 0;

  constexpr MutableBytes() = default;
  constexpr MutableBytes(uint8_t* d, uint64_t n) : data(d), size(n) {}
  constexpr uint8_t& operator[](uint64_t i) const { return data[i]; }
  constexpr MutableBytes sub(uint64_t offset, uint64_t length) const {
    return {data + offset, length};
  }
  constexpr operator Bytes() const { return {data, size}; }
};

constexpr uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
constexpr uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
constexpr uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
// Whether two byte strings are the same (memcmp of equal lengths).
constexpr bool same_bytes(Bytes a, Bytes b) {
  if (a.size != b.size) return false;
  for (uint64_t i = 0; i < a.size; ++i) {
    if (a.data[i] != b.data[i]) return false;
  }
  return true;
}

// Bytes up to (not including) the first NUL: qemu's C-string view of an on-disk name.
constexpr Bytes until_nul(Bytes bytes) {
  uint64_t n = 0;
  while (n < bytes.size && bytes[n] != 0) ++n;
  return bytes.sub(0, n);
}

constexpr void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
constexpr void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
constexpr void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}
constexpr uint32_t load_le32(const uint8_t* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
constexpr uint64_t load_le64(const uint8_t* p) {
  return (uint64_t{load_le32(p + 4)} << 32) | load_le32(p);
}

}  // namespace instar
