// preallocation.cc: parsing qemu's PreallocMode names.
#include "engine/cli/preallocation.h"

namespace instar::cli {

std::optional<Preallocation> parse_preallocation(const std::string& text) {
  if (text == "off") return Preallocation::kOff;
  if (text == "metadata") return Preallocation::kMetadata;
  if (text == "falloc") return Preallocation::kFalloc;
  if (text == "full") return Preallocation::kFull;
  return std::nullopt;
}

}  // namespace instar::cli
