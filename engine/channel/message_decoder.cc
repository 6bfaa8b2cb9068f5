// message_decoder.cc: libprotobuf parsing of one guest message with size and field caps.
#include "engine/channel/message_decoder.h"

#include <google/protobuf/io/coded_stream.h>

#include "engine/channel/field_caps.h"

namespace instar::channel {

bool decode_message(std::string_view encoded, const DecodeLimits& limits,
                    instar::guest::GuestMessage* out, std::string* why) {
  if (encoded.size() > limits.max_message_bytes) {
    *why = "has " + std::to_string(encoded.size()) + " bytes (limit " +
           std::to_string(limits.max_message_bytes) + ")";
    return false;
  }
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(encoded.data()),
                                                static_cast<int>(encoded.size()));
  stream.SetRecursionLimit(8);  // GuestMessage nests three levels deep
  out->Clear();
  if (!out->ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    *why = "is not a valid GuestMessage";
    return false;
  }
  if (out->body_case() == instar::guest::GuestMessage::BODY_NOT_SET) {
    *why = "has no body";
    return false;
  }
  if (std::string over = field_cap_violation(*out); !over.empty()) {
    *why = std::move(over);
    return false;
  }
  return true;
}

}  // namespace instar::channel
