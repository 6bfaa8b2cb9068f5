// feature_names.h: the feature-name table extension and qemu's "unsupported feature" wording.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"

namespace instar::qcow2 {

// Feature name table extension (magic 0x6803f857): an array of 48-byte entries
//
//   byte  0    : type   0 incompatible, 1 compatible, 2 autoclear
//         1    : bit    bit number within that feature word
//         2 -47: name   NUL-padded, not necessarily NUL-terminated (46 bytes)
inline constexpr uint64_t kFeatureNameEntrySize = 48;
inline constexpr uint64_t kFeatureNameSize = 46;
inline constexpr uint8_t kFeatureTypeIncompatible = 0;

// What qemu's report_unsupported_feature() prints after "Unsupported qcow2 feature(s): " for the
// incompatible bits `unknown_mask`, as data for the host to word: the table's names for named
// bits (table order, first match per bit, each up to its first NUL and at most 46 bytes) are
// added to `out`, and the bits no entry names are returned (the host prints them as
// "Unknown incompatible feature: <hex>" after the names, comma-joined). The table is walked
// until the first entry with an empty name; bytes past its end read as zero, as in qemu's
// zero-padded copy.
uint64_t collect_unsupported_features(Bytes feature_table, uint64_t unknown_mask, ErrorNames* out);

}  // namespace instar::qcow2
