// message_decoder.h: decodes one of the guest's encoded GuestMessages on the host, under caps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

struct DecodeLimits {
  uint64_t max_message_bytes = 64 * 1024;  // one encoded message
};

// Parses `encoded` into `*out`; fails (with the reason in `*why`) when it is oversized, not a
// valid GuestMessage, carries no body, or has a field above its cap (field_caps.h). The guest
// is untrusted: nothing here trusts a length or a count it sent, and one message decodes to at
// most a small multiple of max_message_bytes.
bool decode_message(std::string_view encoded, const DecodeLimits& limits,
                    instar::guest::GuestMessage* out, std::string* why);

}  // namespace instar::channel
