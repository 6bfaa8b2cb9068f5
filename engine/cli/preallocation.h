// preallocation.h: qemu's PreallocMode (off, metadata, falloc, full) as the host parses it and
// as the guest takes it in OpConfig.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "guest/abi/abi.h"

namespace instar::cli {

// Its values are abi::Qcow2Prealloc's, so OpConfig takes it as it is (abi_code()).
enum class Preallocation : uint32_t {
  kOff = abi::kQcow2PreallocOff,
  kMetadata = abi::kQcow2PreallocMetadata,
  kFalloc = abi::kQcow2PreallocFalloc,
  kFull = abi::kQcow2PreallocFull,
};

// "off", "metadata", "falloc" or "full" (qapi_enum_parse() of PreallocMode); nullopt for
// anything else.
std::optional<Preallocation> parse_preallocation(const std::string& text);

// The OpConfig value (abi::Qcow2Prealloc) of `mode`.
constexpr uint32_t abi_code(Preallocation mode) {
  return static_cast<uint32_t>(mode);
}

// falloc and full allocate a file's data area; off and metadata do not.
constexpr bool allocates_data(Preallocation mode) {
  return mode == Preallocation::kFalloc || mode == Preallocation::kFull;
}

}  // namespace instar::cli
