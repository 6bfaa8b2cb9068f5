// boot_config.cc: strict validation of the boot blob: exact sizes, magic, version, ranges.
#include "guest/platform/process/boot_config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "guest/platform/process/process_contract.h"

namespace instar::process {
namespace {

constexpr size_t kBlobSize = sizeof(abi::BootInfo) + sizeof(abi::OpConfig);

BootError check_device(const abi::DeviceInfo& device) {
  constexpr uint32_t kKnown = abi::kDeviceReadable | abi::kDeviceWritable;
  if ((device.flags & ~kKnown) != 0 || (device.flags & kKnown) == 0 || device.reserved != 0) {
    return BootError::kDeviceFlags;
  }
  // pread64/pwrite64 take a signed loff_t; a capacity above INT64_MAX cannot be addressed.
  if (device.capacity > static_cast<uint64_t>(INT64_MAX)) return BootError::kDeviceFlags;
  return BootError::kOk;
}

bool is_zero(const abi::DeviceInfo& device) {
  return device.capacity == 0 && device.flags == 0 && device.reserved == 0;
}

}  // namespace

BootError parse_boot_blob(const uint8_t* bytes, size_t size, BootConfig* out) {
  if (size < kBlobSize) return BootError::kShort;
  if (size > kBlobSize) return BootError::kTrailing;
  abi::BootInfo boot;
  abi::OpConfig op;
  memcpy(&boot, bytes, sizeof boot);
  memcpy(&op, bytes + sizeof boot, sizeof op);

  if (boot.magic != abi::kBootInfoMagic) return BootError::kMagic;
  if (boot.abi_version != abi::kAbiVersion) return BootError::kVersion;
  if (boot.size != sizeof(abi::BootInfo) || boot.op_config_size != sizeof(abi::OpConfig)) {
    return BootError::kSize;
  }
  if (boot.device_count > abi::kMaxDevices) return BootError::kDeviceCount;
  if (boot.memory_size != 0 || boot.arena_gpa != 0 || boot.op_config_gpa != 0) {
    return BootError::kKvmFields;
  }
  if (boot.arena_size < kMinArenaSize || boot.arena_size > kMaxArenaSize ||
      boot.arena_size % abi::kPageSize != 0) {
    return BootError::kArenaSize;
  }
  if (boot.max_message_size == 0 || boot.max_message_size > kMaxMessageSizeLimit) {
    return BootError::kMessageSize;
  }
  if (boot.max_read_size == 0 || boot.max_read_size > static_cast<uint64_t>(SSIZE_MAX)) {
    return BootError::kReadSize;
  }
  for (uint32_t i = 0; i < abi::kMaxDevices; ++i) {
    if (i < boot.device_count) {
      if (BootError e = check_device(boot.devices[i]); e != BootError::kOk) return e;
    } else if (!is_zero(boot.devices[i])) {
      return BootError::kUnusedDevice;
    }
  }
  out->boot = boot;
  out->op = op;
  return BootError::kOk;
}

BootError read_boot_config(int fd, BootConfig* out) {
  // One byte more than the blob so trailing data is detected without a second protocol step.
  uint8_t buffer[kBlobSize + 1];
  size_t used = 0;
  while (used < sizeof buffer) {
    const ssize_t n = read(fd, buffer + used, sizeof buffer - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return BootError::kRead;
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  return parse_boot_blob(buffer, used, out);
}

}  // namespace instar::process
