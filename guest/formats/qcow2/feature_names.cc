// feature_names.cc: the names qemu's unsupported-feature error takes from an image's feature table.
#include "guest/formats/qcow2/feature_names.h"

namespace instar::qcow2 {

namespace {

uint8_t table_byte(Bytes table, uint64_t index) {
  return index < table.size ? table[index] : 0;
}

}  // namespace

uint64_t collect_unsupported_features(Bytes table, uint64_t mask, ErrorNames* out) {
  for (uint64_t entry = 0;; entry += kFeatureNameEntrySize) {
    if (entry >= table.size || table_byte(table, entry + 2) == 0) break;
    const uint8_t type = table_byte(table, entry);
    // qemu shifts 1ULL by the raw byte; x86-64 uses the count modulo 64.
    const uint64_t bit = uint64_t{1} << (table_byte(table, entry + 1) & 63);
    if (type != kFeatureTypeIncompatible || (mask & bit) == 0) continue;
    uint8_t name[kFeatureNameSize];
    uint64_t n = 0;
    for (; n < kFeatureNameSize; ++n) {  // "%.46s"
      name[n] = table_byte(table, entry + 2 + n);
      if (name[n] == 0) break;
    }
    // Each name clears a distinct bit of the 64: the list never outgrows ErrorNames.
    (void)out->add_feature_name(Bytes(name, n));
    mask &= ~bit;
  }
  return mask;
}

}  // namespace instar::qcow2
