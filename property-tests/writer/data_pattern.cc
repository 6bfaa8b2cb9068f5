// data_pattern.cc: fill (compresses best), counter (compresses) and noise (does not) contents.
#include "property-tests/writer/data_pattern.h"

namespace instar::props {

std::vector<uint8_t> pattern_bytes(const DataPattern& pattern, uint64_t guest_index,
                                   uint64_t size) {
  std::vector<uint8_t> out(size, pattern.seed);
  switch (pattern.kind) {
    case PatternKind::kFill:
      break;
    case PatternKind::kCounter:
      for (uint64_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(i / 16 + pattern.seed);
      break;
    case PatternKind::kNoise: {
      // xorshift64: cheap, deterministic, incompressible enough to force the uncompressed path.
      uint64_t x = (guest_index + 1) * 0x9e3779b97f4a7c15ull ^ pattern.seed;
      for (uint64_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<uint8_t>(x);
      }
      break;
    }
  }
  return out;
}

}  // namespace instar::props
