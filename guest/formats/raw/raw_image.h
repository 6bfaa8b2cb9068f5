// raw_image.h: what qemu's raw driver reports for a plain image file.
#pragma once

#include <stdint.h>

namespace instar::raw {

// The raw driver's length is the file's, rounded up to whole 512-byte sectors
// (bdrv_getlength of the protocol layer): a 1000-byte file is 1024 bytes.
constexpr uint64_t virtual_size(uint64_t device_size) {
  const uint64_t rounded = (device_size + 511) & ~uint64_t{511};
  return rounded < device_size ? device_size & ~uint64_t{511} : rounded;  // only at 2^64 - 511
}

}  // namespace instar::raw
