// data_pattern.h: the bytes a model cluster holds (the expected guest-visible content).
#pragma once

#include <stdint.h>

#include <vector>

#include "property-tests/model/model.h"

namespace instar::props {

// Contents of guest cluster `guest_index` filled with `pattern`, `size` bytes. Noise depends on
// the index too, so two noise clusters never compress into each other.
std::vector<uint8_t> pattern_bytes(const DataPattern& pattern, uint64_t guest_index, uint64_t size);

}  // namespace instar::props
