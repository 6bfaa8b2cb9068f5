// hypercall_fuzzer.cc: the monitor's hypercall validation: the input fills the argument area of
// guest memory and names a sequence of calls; every one must be validated without touching
// anything outside guest memory or the device.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/vmm/guest_memory.h"
#include "engine/vmm/hypercalls.h"

namespace {
constexpr uint64_t kMemory = 4u << 20;
constexpr uint64_t kArgArea = instar::abi::kGuestLoadBase;
constexpr uint64_t kArgAreaSize = 64 * 1024;

int device_fd() {
  static const int fd = [] {
    const int f = memfd_create("fuzz-device", MFD_CLOEXEC);
    std::vector<uint8_t> bytes(64 * 1024, 0xab);
    if (pwrite(f, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) return -1;
    return f;
  }();
  return fd;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static instar::vmm::GuestMemory memory =
      std::move(instar::vmm::GuestMemory::create(kMemory)).value();
  if (size < 8) return 0;
  // First 8 bytes: up to four (call, arg offset) pairs; the rest: the argument area's content.
  auto area = memory.span(kArgArea, kArgAreaSize, instar::vmm::Access::kMonitor);
  if (!area) return 0;
  std::memset(area->data(), 0, area->size());
  std::memcpy(area->data(), data + 8, std::min<size_t>(size - 8, area->size()));
  const instar::sandbox::Device devices[] = {{device_fd(), 64 * 1024, false}};
  instar::vmm::HypercallHandler handler(memory, devices,
                                        {.max_read_bytes = 16 * 1024,
                                         .max_message_bytes = 4096,
                                         .max_total_message_bytes = 16 * 1024});
  for (int i = 0; i < 4; ++i) {
    const uint32_t call = data[2 * i] % 9;  // includes reserved and out-of-range numbers
    // Argument GPAs land in the argument area, past it, or below the load base.
    const uint64_t gpa = kArgArea - 0x100 + uint64_t{data[2 * i + 1]} * 0x108;
    if (handler.handle(call, gpa).verdict != instar::vmm::HypercallVerdict::kContinue) break;
  }
  return 0;
}
