// qed_open_fuzzer.cc: the qed driver over an arbitrary file in memory: open (header checks, the
// backing file name), block status run by run from offset 0 with a read at each run's start,
// then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty, within the asked range and inside
// the guest range of one L2 table, and carries an offset exactly when it has data, as
// bdrv_qed_co_block_status() answers. Reads of unallocated ranges see no backing file (zeros).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/qed/qed_driver.h"
#include "guest/lib/message_sink.h"

namespace {

constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace q = instar::qed;
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));

  // The chain is "resolved" (no backing file attached): a declared backing file reads as zeros.
  q::Image image;
  if (q::open_qed(source, arena, &image).ok()) {
    arena.release_to(0);
    instar::ImageDriver* driver = q::kQedDriver.new_image(arena);
    if (driver == nullptr) std::abort();
    instar::OpenContext context;
    context.chained = true;
    if (!driver->open(source, context, arena).ok()) std::abort();
    const uint64_t length = driver->length();
    const uint64_t l2_span = uint64_t{1} << image.geometry.l1_shift;
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      instar::BlockStatus status;
      if (!driver->block_status(offset, length - offset, &status).ok()) break;  // invalid offset
      if (status.bytes == 0 || status.bytes > length - offset ||
          status.bytes > l2_span - offset % l2_span ||
          ((status.flags & instar::kBlockData) != 0) !=
              ((status.flags & instar::kBlockOffsetValid) != 0)) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      if (!driver->read(offset, instar::MutableBytes(buffer.data(), n)).ok()) std::abort();
      offset += status.bytes;
    }
  }
  arena.release_to(0);

  // check walks every table entry once: valid tables lie inside the input, so its work is
  // bounded by the input's size.
  instar::MemoryMessageSink sink(messages.data(), messages.size());
  (void)q::kQedDriver.check(source, sink, arena);
  arena.release_to(0);
  instar::InfoRequest request{&source, instar::Bytes(data, size < 2048 ? size : 2048), true, true};
  instar::MemoryMessageSink info_sink(messages.data(), messages.size());
  (void)q::kQedDriver.describe(request, info_sink, arena, nullptr);
  return 0;
}
