// field_caps.h: the host's bound on every string and repeated field of a GuestMessage.
#pragma once

#include <cstdint>
#include <string>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

// The bounds guest/abi/guest.options gives nanopb, enforced again on the host: a correct guest
// can never exceed them, so a message that does came from a compromised guest. Repeated numeric
// fields are capped at what any code actually uses.
struct FieldCaps {
  static constexpr uint64_t kErrorArgs = 4;  // the most any ErrorCode takes (vhdx region overlap)
  static constexpr uint64_t kName = 1024;    // snapshot ids and names, bitmap names, file names
  static constexpr uint64_t kBackingFormat = 32;
  static constexpr uint64_t kErrorName = 1023;        // a bitmap name (qemu's BME_MAX_NAME_SIZE)
  static constexpr uint64_t kFeatureNames = 64;       // one per incompatible feature bit
  static constexpr uint64_t kFeatureName = 46;        // qemu prints them with "%.46s"
  static constexpr uint64_t kCheckWords = 384;        // one CheckDiagnostics batch
  static constexpr uint64_t kMapExtents = 256;        // one MapExtents batch
  static constexpr uint64_t kAmendProgress = 160;     // AmendResult.progress
  static constexpr uint64_t kVmdkBackingName = 4095;  // parentFileNameHint (PATH_MAX - 1)
  static constexpr uint64_t kQedBackingName = 4095;   // qed_read_string() (PATH_MAX - 1)
  static constexpr uint64_t kQcowBackingName = 1023;  // qcow_open()'s backing_file_size limit
};

// "" when every field of `message` is within FieldCaps, else which field is not. An Error must
// also name a code the host has text for, and carry names only where qemu's text quotes them.
std::string field_cap_violation(const instar::guest::GuestMessage& message);

}  // namespace instar::channel
