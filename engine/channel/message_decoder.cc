// message_decoder.cc: libprotobuf parsing of guest output with size and count caps.
#include "engine/channel/message_decoder.h"

#include <google/protobuf/io/coded_stream.h>

namespace instar::channel {

DecodedMessages decode_messages(const std::vector<std::string>& encoded,
                                const DecodeLimits& limits) {
  DecodedMessages out;
  if (encoded.size() > limits.max_messages) {
    out.error = "guest sent " + std::to_string(encoded.size()) + " messages (limit " +
                std::to_string(limits.max_messages) + ")";
    return out;
  }
  out.messages.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const std::string& bytes = encoded[i];
    if (bytes.size() > limits.max_message_bytes) {
      out.error = "guest message " + std::to_string(i) + " has " + std::to_string(bytes.size()) +
                  " bytes (limit " + std::to_string(limits.max_message_bytes) + ")";
      out.messages.clear();
      return out;
    }
    google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                  static_cast<int>(bytes.size()));
    stream.SetRecursionLimit(8);  // GuestMessage nests three levels deep
    instar::guest::GuestMessage message;
    if (!message.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
      out.error = "guest message " + std::to_string(i) + " is not a valid GuestMessage";
      out.messages.clear();
      return out;
    }
    if (message.body_case() == instar::guest::GuestMessage::BODY_NOT_SET) {
      out.error = "guest message " + std::to_string(i) + " has no body";
      out.messages.clear();
      return out;
    }
    out.messages.push_back(std::move(message));
  }
  out.ok = true;
  return out;
}

}  // namespace instar::channel
