// vpc_open_fuzzer.cc: the vpc driver over an arbitrary file in memory: open (the footer at 0 or
// at the end, its checksum and size rule, the dynamic header, the BAT scan), block status run by
// run from offset 0 with a read at each run's start, then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty and within the asked range, carries an
// offset exactly when it has data, and a BAT-mapped data run stays inside one block, as
// vpc_co_block_status() answers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/vpc/vpc_driver.h"
#include "guest/lib/message_sink.h"

namespace {

constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v = instar::vpc;
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));

  instar::ImageDriver* image = v::kVpcDriver.new_image(arena);
  if (image == nullptr) std::abort();
  instar::OpenContext context;
  if (image->open(source, context, arena).ok()) {
    const uint64_t length = image->length();
    const uint64_t block = image->cluster_size();  // 0 for a fixed footer type
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      instar::BlockStatus status;
      if (!image->block_status(offset, length - offset, &status).ok()) std::abort();
      const bool data_run = (status.flags & instar::kBlockData) != 0;
      if (status.bytes == 0 || status.bytes > length - offset ||
          (block != 0 && data_run && status.bytes > block - offset % block) ||
          data_run != ((status.flags & instar::kBlockOffsetValid) != 0)) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      if (!image->read(offset, instar::MutableBytes(buffer.data(), n)).ok()) std::abort();
      offset += status.bytes;
    }
  }
  arena.release_to(0);

  instar::MemoryMessageSink sink(messages.data(), messages.size());
  (void)v::kVpcDriver.check(source, sink, arena);
  arena.release_to(0);
  instar::InfoRequest request{&source, instar::Bytes(data, size < 2048 ? size : 2048), true, true};
  instar::MemoryMessageSink info_sink(messages.data(), messages.size());
  (void)v::kVpcDriver.describe(request, info_sink, arena, nullptr);
  return 0;
}
