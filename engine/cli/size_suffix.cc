// size_suffix.cc: qemu_strtosz() and qemu_strtou64() as QemuOpts values use them.
#include "engine/cli/size_suffix.h"

#include "engine/cli/size_argument.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace instar::cli {

namespace {

SizeParse strtou64_prefix(const char* nptr, const char** end, int base, uint64_t* out) {
  char* ep = nullptr;
  errno = 0;
  *out = std::strtoull(nptr, &ep, base);
  *end = ep;
  if (errno == ERANGE) {
    *out = UINT64_MAX;
    return SizeParse::kOutOfRange;
  }
  if (ep == nptr) return SizeParse::kInvalid;
  return SizeParse::kOk;
}

}  // namespace

SizeParse parse_size(const std::string& text, uint64_t* out, bool* hex_with_suffix) {
  const Strtosz r = qemu_strtosz(text);
  if (hex_with_suffix != nullptr) *hex_with_suffix = r.hex_with_suffix;
  if (r.error == -ERANGE) return SizeParse::kOutOfRange;
  if (r.error != 0) return SizeParse::kInvalid;
  *out = r.value;
  return SizeParse::kOk;
}

SizeParse parse_u64(const std::string& text, uint64_t* out) {
  const char* end = nullptr;
  const SizeParse result = strtou64_prefix(text.c_str(), &end, 0, out);
  // check_strtox_error(): no digits, then trailing text, then the range.
  if (result == SizeParse::kInvalid || *end != '\0') return SizeParse::kInvalid;
  return result;
}

}  // namespace instar::cli
