// message_decoder_fuzzer.cc: the host's decoding of untrusted guest output: framing as the
// process backend receives it, libprotobuf parsing under caps, and the info, check and compare
// sequence contracts, each consuming one message at a time as the sandboxes deliver them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/channel/check_report.h"
#include "engine/channel/compare_report.h"
#include "engine/channel/info_report.h"
#include "engine/channel/message_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Split the input into messages at u16 little-endian length prefixes.
  std::vector<std::string_view> encoded;
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
  instar::channel::InfoSequence info;
  instar::channel::CheckSequence check;
  instar::channel::CompareSequence compare(true);
  for (instar::channel::MessageSequence* sequence :
       {static_cast<instar::channel::MessageSequence*>(&info),
        static_cast<instar::channel::MessageSequence*>(&check),
        static_cast<instar::channel::MessageSequence*>(&compare)}) {
    instar::channel::MessageStream stream(*sequence, limits);
    std::string why;
    bool ok = true;
    for (std::string_view m : encoded) {
      if (!stream.consume(m, &why)) {
        ok = false;
        break;
      }
    }
    if (ok) (void)stream.finish(&why);
  }
  return 0;
}
