// boot_blob.cc: BootInfo + OpConfig encoding for the process helper, and request validation.
#include "engine/sandbox/boot_blob.h"

#include <cstring>

#include "guest/platform/process/process_contract.h"

namespace instar::sandbox {
namespace {

uint64_t round_up_to_page(uint64_t v) {
  return (v + abi::kPageSize - 1) & ~(abi::kPageSize - 1);
}

}  // namespace

std::string validate_process_request(const Request& request) {
  const Limits& limits = request.limits;
  if (request.devices.size() > abi::kMaxDevices) return "too many devices";
  for (const Device& device : request.devices) {
    if (device.fd < 0) return "device without an open file";
    if (device.capacity > static_cast<uint64_t>(INT64_MAX)) return "device capacity too large";
  }
  if (limits.wall_time.count() <= 0) return "wall-clock limit must be positive";
  if (limits.arena_bytes < process::kMinArenaSize || limits.arena_bytes > process::kMaxArenaSize) {
    return "arena size out of range";
  }
  if (limits.arena_bytes > limits.memory_bytes) return "arena larger than the memory limit";
  if (limits.max_message_bytes == 0 || limits.max_message_bytes > process::kMaxMessageSizeLimit) {
    return "message size limit out of range";
  }
  if (limits.max_read_bytes == 0 || limits.max_read_bytes > static_cast<uint64_t>(INT64_MAX)) {
    return "read size limit out of range";
  }
  return {};
}

std::vector<uint8_t> encode_boot_blob(const Request& request) {
  abi::BootInfo boot{};
  boot.magic = abi::kBootInfoMagic;
  boot.abi_version = abi::kAbiVersion;
  boot.size = sizeof(abi::BootInfo);
  boot.device_count = static_cast<uint32_t>(request.devices.size());
  boot.host_features = 0;  // batched reads are plain preads here; no hypercall to negotiate
  boot.memory_size = 0;
  boot.arena_gpa = 0;
  boot.arena_size = round_up_to_page(request.limits.arena_bytes);
  boot.op_config_gpa = 0;
  boot.op_config_size = sizeof(abi::OpConfig);
  boot.max_message_size = request.limits.max_message_bytes;
  boot.max_read_size = request.limits.max_read_bytes;
  for (size_t i = 0; i < request.devices.size() && i < abi::kMaxDevices; ++i) {
    const Device& device = request.devices[i];
    boot.devices[i].capacity = device.capacity;
    boot.devices[i].flags =
        abi::kDeviceReadable | (device.writable ? uint32_t{abi::kDeviceWritable} : 0u);
  }
  std::vector<uint8_t> blob(sizeof boot + sizeof request.op);
  std::memcpy(blob.data(), &boot, sizeof boot);
  std::memcpy(blob.data() + sizeof boot, &request.op, sizeof request.op);
  return blob;
}

}  // namespace instar::sandbox
