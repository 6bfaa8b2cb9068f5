// field_mutation.h: rewriting one header-area field with a boundary, nearby or random value.
#pragma once

#include <stdint.h>

#include <vector>

#include "property-tests/injectors/header_fields.h"
#include "property-tests/injectors/planted.h"

namespace instar::props {

// How the new value is derived from the old one (see new_field_value).
inline constexpr uint32_t kMutationStrategies = 10;

// The value strategy `strategy` gives a field `width` bytes wide holding `old`; `random` feeds
// the random strategies. Results are truncated to the width.
uint64_t new_field_value(uint64_t old, uint32_t width, uint32_t strategy, uint64_t random);

// Rewrites `field` in `image` and records it.
Planted mutate_field(std::vector<uint8_t>& image, const Field& field, uint32_t strategy,
                     uint64_t random);

}  // namespace instar::props
