// message_decoder_fuzzer.cc: the host's decoding of untrusted guest output: framing as the
// process backend receives it, libprotobuf parsing under caps, and the info sequence contract.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/channel/info_report.h"
#include "engine/channel/message_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Split the input into messages at u16 little-endian length prefixes.
  std::vector<std::string> encoded;
  size_t at = 0;
  while (at + 2 <= size && encoded.size() < 4096) {
    const size_t n = data[at] | (size_t{data[at + 1]} << 8);
    at += 2;
    const size_t take = n < size - at ? n : size - at;
    encoded.emplace_back(reinterpret_cast<const char*>(data + at), take);
    at += take;
  }
  instar::channel::DecodeLimits limits;
  limits.max_message_bytes = 16 * 1024;
  const instar::channel::DecodedMessages decoded =
      instar::channel::decode_messages(encoded, limits);
  if (decoded.ok) (void)instar::channel::assemble_info_report(decoded.messages);
  return 0;
}
