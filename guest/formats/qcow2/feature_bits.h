// feature_bits.h: qcow2 v3 feature bits (docs/interop/qcow2.txt, header bytes 72..95).
#pragma once

#include <stdint.h>

namespace instar::qcow2 {

// incompatible_features (header offset 72)
inline constexpr uint64_t kIncompatDirty = 1ull << 0;
inline constexpr uint64_t kIncompatCorrupt = 1ull << 1;
inline constexpr uint64_t kIncompatDataFile = 1ull << 2;
inline constexpr uint64_t kIncompatCompression = 1ull << 3;
inline constexpr uint64_t kIncompatExtendedL2 = 1ull << 4;
inline constexpr uint64_t kIncompatKnownMask = 0x1f;  // QCOW2_INCOMPAT_MASK

// compatible_features (header offset 80)
inline constexpr uint64_t kCompatLazyRefcounts = 1ull << 0;

// autoclear_features (header offset 88)
inline constexpr uint64_t kAutoclearBitmaps = 1ull << 0;
inline constexpr uint64_t kAutoclearDataFileRaw = 1ull << 1;

}  // namespace instar::qcow2
