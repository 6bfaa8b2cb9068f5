// vmdk_open_fuzzer.cc: the vmdk driver over an arbitrary file in memory: open (header, footer,
// descriptor lookups), block status run by run from offset 0 with a read at each run's start
// (compressed grains inflate), then check and info's description.
//
// Checked beyond "no crash": every status run is non-empty, within the asked range and inside
// one grain, as vmdk_co_block_status() answers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "guest/formats/vmdk/vmdk_driver.h"
#include "guest/lib/message_sink.h"

namespace {

constexpr int kMaxRuns = 2048;         // block_status() calls per input, to keep runs fast
constexpr uint64_t kReadBytes = 4096;  // bytes read at the start of each run

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v = instar::vmdk;
  static std::vector<uint8_t> arena_memory(64u << 20);
  static std::vector<uint8_t> buffer(kReadBytes);
  static std::vector<uint8_t> messages(1u << 20);
  instar::Arena arena(arena_memory.data(), arena_memory.size());
  instar::MemoryBlockSource source(instar::Bytes(data, size));

  instar::ErrorNames* detail = static_cast<instar::ErrorNames*>(
      arena.allocate(sizeof(instar::ErrorNames), alignof(instar::ErrorNames)));
  if (detail == nullptr) std::abort();
  detail->clear();
  instar::ImageDriver* image = v::kVmdkDriver.new_image(arena);
  if (image == nullptr) std::abort();
  instar::OpenContext context;
  context.detail = detail;
  if (image->open(source, context, arena).ok()) {
    const uint64_t length = image->length();
    const uint64_t grain = image->cluster_size();
    if (grain == 0) std::abort();
    uint64_t offset = 0;
    for (int run = 0; run < kMaxRuns && offset < length; ++run) {
      instar::BlockStatus status;
      if (!image->block_status(offset, length - offset, &status).ok()) break;
      if (status.bytes == 0 || status.bytes > length - offset ||
          status.bytes > grain - offset % grain) {
        std::abort();
      }
      const uint64_t n = status.bytes < kReadBytes ? status.bytes : kReadBytes;
      (void)image->read(offset, instar::MutableBytes(buffer.data(), n));
      offset += status.bytes;
    }
  }
  arena.release_to(0);

  instar::MemoryMessageSink sink(messages.data(), messages.size());
  (void)v::kVmdkDriver.check(source, sink, arena);
  arena.release_to(0);
  instar::InfoRequest request{&source, instar::Bytes(data, size < 2048 ? size : 2048), true, true};
  instar::MemoryMessageSink info_sink(messages.data(), messages.size());
  detail = static_cast<instar::ErrorNames*>(
      arena.allocate(sizeof(instar::ErrorNames), alignof(instar::ErrorNames)));
  if (detail == nullptr) std::abort();
  detail->clear();
  (void)v::kVmdkDriver.describe(request, info_sink, arena, detail);
  return 0;
}
