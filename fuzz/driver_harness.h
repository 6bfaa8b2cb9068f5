// driver_harness.h: runs one format driver over an arbitrary file in memory, for the *_open
// fuzz targets of read-only formats whose every step must succeed once the image opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/driver.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"

namespace instar::fuzz {

inline constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
inline constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

// Opens `data` with `driver`; if it opens, asks block status run by run from offset 0 (at most
// kMaxRuns runs) with a read at each run's start, aborting on any failure or on an answer
// `well_formed(image, offset, status)` rejects. Then runs the driver's check when `run_check`
// says so, and info's description. Data runs carry an offset unless `data_has_offset` is off
// (a format without block status of its own); reads fail the input unless `reads_may_fail`.
template <typename WellFormed>
void fuzz_format_driver(const FormatDriver& driver, const uint8_t* data, size_t size,
                        bool run_check, WellFormed well_formed, bool data_has_offset = true,
                        bool reads_may_fail = false) {
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  Arena arena(arena_memory.data(), arena_memory.size());
  MemoryBlockSource source(Bytes(data, size));

  ImageDriver* image = driver.new_image(arena);
  if (image == nullptr) std::abort();
  OpenContext context;
  if (image->open(source, context, arena).ok()) {
    const uint64_t length = image->length();
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      BlockStatus status;
      if (!image->block_status(offset, length - offset, &status).ok()) std::abort();
      if (status.bytes == 0 || status.bytes > length - offset ||
          (data_has_offset &&
           ((status.flags & kBlockData) != 0) != ((status.flags & kBlockOffsetValid) != 0)) ||
          !well_formed(*image, offset, status)) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      if (!image->read(offset, MutableBytes(buffer.data(), n)).ok() && !reads_may_fail) {
        std::abort();
      }
      offset += status.bytes;
    }
  }
  arena.release_to(0);

  if (run_check) {
    MemoryMessageSink sink(messages.data(), messages.size());
    (void)driver.check(source, sink, arena);
    arena.release_to(0);
  }
  InfoRequest request{&source, Bytes(data, size < 2048 ? size : 2048), true, true};
  MemoryMessageSink info_sink(messages.data(), messages.size());
  (void)driver.describe(request, info_sink, arena, nullptr);
}

}  // namespace instar::fuzz
