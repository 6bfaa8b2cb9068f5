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
  static constexpr uint64_t kErrorArgs = 3;  // the most any ErrorCode takes
  static constexpr uint64_t kName = 1024;    // snapshot ids and names, bitmap names, file names
  static constexpr uint64_t kBackingFormat = 32;
  static constexpr uint64_t kErrorDetail = 1024;
  static constexpr uint64_t kCheckText = 3072;
};

// "" when every field of `message` is within FieldCaps, else which field is not.
std::string field_cap_violation(const instar::guest::GuestMessage& message);

}  // namespace instar::channel
