// feature_names.h: the feature-name table extension and qemu's "unsupported feature" wording.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"

namespace instar::qcow2 {

// Feature name table extension (magic 0x6803f857): an array of 48-byte entries
//
//   byte  0    : type   0 incompatible, 1 compatible, 2 autoclear
//         1    : bit    bit number within that feature word
//         2 -47: name   NUL-padded, not necessarily NUL-terminated (46 bytes)
inline constexpr uint64_t kFeatureNameEntrySize = 48;
inline constexpr uint64_t kFeatureNameSize = 46;
inline constexpr uint8_t kFeatureTypeIncompatible = 0;

// Writes what qemu's report_unsupported_feature() prints after "Unsupported qcow2 feature(s): "
// for the incompatible bits `unknown_mask`: table names for named bits (table order, first match
// per bit), then "Unknown incompatible feature: <hex>" for the rest, comma-joined. The table is
// walked until the first entry with an empty name; bytes past its end read as zero, as in qemu's
// zero-padded copy. Writes at most `capacity` bytes (no NUL) and returns how many.
uint64_t describe_unsupported_features(Bytes feature_table, uint64_t unknown_mask, char* out,
                                       uint64_t capacity);

}  // namespace instar::qcow2
