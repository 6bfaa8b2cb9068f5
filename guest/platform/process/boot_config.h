// boot_config.h: reading and validating the BootInfo + OpConfig blob the launcher hands over.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "guest/abi/abi.h"

namespace instar::process {

// The validated inputs of one run.
struct BootConfig {
  abi::BootInfo boot;
  abi::OpConfig op;
};

enum class BootError : uint32_t {
  kOk = 0,
  kShort,         // fewer bytes than sizeof(BootInfo) + sizeof(OpConfig)
  kTrailing,      // bytes after the OpConfig
  kMagic,         // BootInfo::magic
  kVersion,       // BootInfo::abi_version
  kSize,          // BootInfo::size or op_config_size differs from this build's struct sizes
  kDeviceCount,   // device_count > kMaxDevices
  kKvmFields,     // memory_size, arena_gpa or op_config_gpa non-zero (KVM-only fields)
  kArenaSize,     // arena_size outside [kMinArenaSize, kMaxArenaSize] or not page-aligned
  kMessageSize,   // max_message_size zero or above kMaxMessageSizeLimit
  kReadSize,      // max_read_size zero or above SSIZE_MAX
  kDeviceFlags,   // unknown flag bits, no access at all, or reserved non-zero
  kUnusedDevice,  // a device entry beyond device_count is not all-zero
  kRead,          // read(2) on the boot fd failed
};

// Validates `size` bytes as BootInfo followed by OpConfig, exactly. Pure: used by the helper and
// by the engine's tests. On kOk, *out holds the decoded structs.
[[nodiscard]] BootError parse_boot_blob(const uint8_t* bytes, size_t size, BootConfig* out);

// Reads the whole boot blob from `fd` (until EOF, at most a small fixed size) and parses it.
[[nodiscard]] BootError read_boot_config(int fd, BootConfig* out);

}  // namespace instar::process
