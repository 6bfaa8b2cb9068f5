// qcow_open_fuzzer.cc: the qcow (v1) driver over an arbitrary file in memory: open (header
// checks, the backing file name), block status cluster by cluster from offset 0 with a read at
// each run's start, then info's description (with and without BDRV_O_NO_IO).
//
// Checked beyond "no crash": every status run is non-empty, within the asked range and inside
// one cluster, and carries an offset only with data, as qcow_co_block_status() answers. Reads of
// unallocated ranges see no backing file (zeros).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/qcow/qcow_driver.h"
#include "guest/lib/message_sink.h"

namespace {

constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace q = instar::qcow;
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));

  q::Image image;
  if (q::open_qcow(source, false, arena, &image).ok()) {
    arena.release_to(0);
    instar::ImageDriver* driver = q::kQcowDriver.new_image(arena);
    if (driver == nullptr) std::abort();
    instar::OpenContext context;
    context.chained = true;
    if (!driver->open(source, context, arena).ok()) std::abort();
    const uint64_t length = driver->length();
    const uint64_t cluster = driver->cluster_size();
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      instar::BlockStatus status;
      if (!driver->block_status(offset, length - offset, &status).ok()) break;  // EIO table
      if (status.bytes == 0 || status.bytes > length - offset ||
          status.bytes > cluster - offset % cluster ||
          ((status.flags & instar::kBlockOffsetValid) != 0 &&
           (status.flags & instar::kBlockData) == 0)) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      (void)driver->read(offset, instar::MutableBytes(buffer.data(), n));  // may be EIO
      offset += status.bytes;
    }
  }
  arena.release_to(0);
  for (const bool no_io : {true, false}) {
    instar::InfoRequest request{&source, instar::Bytes(data, size < 2048 ? size : 2048), true,
                                no_io};
    instar::MemoryMessageSink info_sink(messages.data(), messages.size());
    (void)q::kQcowDriver.describe(request, info_sink, arena, nullptr);
    arena.release_to(0);
  }
  return 0;
}
