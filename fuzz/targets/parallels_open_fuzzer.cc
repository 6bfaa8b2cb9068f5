// parallels_open_fuzzer.cc: the parallels driver over an arbitrary file in memory: open (header
// checks, the Format Extension's magic), block status run by run from offset 0 with a read at
// each run's start, then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty and within the asked range, and
// carries an offset exactly when it has data, as parallels_co_block_status() answers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/parallels/parallels_driver.h"
#include "guest/lib/message_sink.h"

namespace {

constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run
// Runs are asked for at most this many bytes, as qemu-img map asks 1 GiB at a time.
constexpr uint64_t kMaxAsk = uint64_t{1} << 30;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace p = instar::parallels;
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));

  instar::ImageDriver* driver = p::kParallelsDriver.new_image(arena);
  if (driver == nullptr) std::abort();
  if (driver->open(source, instar::OpenContext{}, arena).ok()) {
    const uint64_t length = driver->length();
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      const uint64_t ask = length - offset < kMaxAsk ? length - offset : kMaxAsk;
      instar::BlockStatus status;
      if (!driver->block_status(offset, ask, &status).ok()) std::abort();
      if (status.bytes == 0 || status.bytes > ask ||
          ((status.flags & instar::kBlockData) != 0) !=
              ((status.flags & instar::kBlockOffsetValid) != 0)) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      (void)driver->read(offset, instar::MutableBytes(buffer.data(), n));  // EIO past the limit
      offset += status.bytes;
    }
  }
  arena.release_to(0);
  // check walks the BAT once: its size is bounded by the header's (at most 2^29 entries), so
  // inputs that name huge BATs are slow but finite.
  instar::MemoryMessageSink sink(messages.data(), messages.size());
  (void)p::kParallelsDriver.check(source, sink, arena);
  arena.release_to(0);
  instar::InfoRequest request{&source, instar::Bytes(data, size < 2048 ? size : 2048), true, true};
  instar::MemoryMessageSink info_sink(messages.data(), messages.size());
  (void)p::kParallelsDriver.describe(request, info_sink, arena, nullptr);
  return 0;
}
