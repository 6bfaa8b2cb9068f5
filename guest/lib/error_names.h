// error_names.h: the image bytes an Error may carry (guest.proto Error.name and
// Error.feature_names): names qemu itself prints in that error, never text of the guest's
// wording; the host renders every word around them.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/mem.h"

namespace instar {

struct ErrorNames {
  static constexpr uint32_t kMaxFeatureNames = 64;  // one per bit of the incompatible word
  static constexpr uint64_t kFeatureNameSize = 46;  // qemu prints them with "%.46s"
  static constexpr uint64_t kNameSize = 1023;       // a bitmap name (qemu's BME_MAX_NAME_SIZE)

  uint8_t name[kNameSize];
  uint64_t name_size = 0;
  uint8_t feature_names[kMaxFeatureNames][kFeatureNameSize];
  uint8_t feature_name_sizes[kMaxFeatureNames];
  uint32_t feature_name_count = 0;

  void clear() {
    name_size = 0;
    feature_name_count = 0;
  }
  // ERROR_BITMAP_CONSTRAINTS: the bitmap's name, cut to kNameSize.
  void set_name(Bytes b) {
    name_size = b.size < kNameSize ? b.size : kNameSize;
    if (name_size != 0) copy_bytes(name, b.data, name_size);
  }
  // ERROR_UNSUPPORTED_FEATURES: one feature table name, cut to kFeatureNameSize. False when full.
  bool add_feature_name(Bytes b) {
    if (feature_name_count == kMaxFeatureNames) return false;
    const uint64_t n = b.size < kFeatureNameSize ? b.size : kFeatureNameSize;
    if (n != 0) copy_bytes(feature_names[feature_name_count], b.data, n);
    feature_name_sizes[feature_name_count++] = static_cast<uint8_t>(n);
    return true;
  }
};

}  // namespace instar
