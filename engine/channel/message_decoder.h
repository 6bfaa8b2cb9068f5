// message_decoder.h: decodes the guest's encoded GuestMessages on the host, under hard caps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

struct DecodeLimits {
  uint64_t max_message_bytes = 64 * 1024;  // one encoded message
  uint64_t max_messages = 200'000;         // per run: 65536 snapshots + 65535 bitmaps + slack
};

struct DecodedMessages {
  bool ok = false;
  std::string error;  // why decoding failed, for the "sandbox:" diagnostic
  std::vector<instar::guest::GuestMessage> messages;
};

// Parses every message; fails on the first one that is oversized, not a valid GuestMessage, or
// carries no body. The guest is untrusted: nothing here trusts a length or a count it sent.
DecodedMessages decode_messages(const std::vector<std::string>& encoded,
                                const DecodeLimits& limits = {});

}  // namespace instar::channel
