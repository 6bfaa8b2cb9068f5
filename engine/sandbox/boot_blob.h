// boot_blob.h: the bytes the process backend writes to the helper's boot fd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sandbox/sandbox.h"

namespace instar::sandbox {

// Checks that `request` can be expressed to the process helper: device count and fds, limits
// within what the helper accepts. Returns an empty string when valid, else the reason.
std::string validate_process_request(const Request& request);

// BootInfo (memory_size, arena_gpa and op_config_gpa 0; arena_size = limits.arena_bytes rounded
// up to a page; devices readable, plus writable for writable devices; max sizes from the limits)
// followed by the OpConfig. Call validate_process_request first.
std::vector<uint8_t> encode_boot_blob(const Request& request);

}  // namespace instar::sandbox
