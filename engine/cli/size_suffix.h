// size_suffix.h: sizes and numbers as QemuOpts values read them (qemu_strtosz, qemu_strtou64),
// over the one qemu_strtosz() of size_argument.h.
#pragma once

#include <cstdint>
#include <string>

namespace instar::cli {

enum class SizeParse { kOk, kInvalid, kOutOfRange };

// qemu_strtosz(text, NULL, &out) of qemu 7.2 (size_argument.h's qemu_strtosz) as a SizeParse.
// `hex_with_suffix`: set when qemu warns about a multiplier on a hex number (it accepts it).
SizeParse parse_size(const std::string& text, uint64_t* out, bool* hex_with_suffix = nullptr);

// qemu_strtou64(text, NULL, 0, &out): strtoull in base 0 over the whole string (a leading '-'
// negates, as strtoull does); kOutOfRange on overflow.
SizeParse parse_u64(const std::string& text, uint64_t* out);

}  // namespace instar::cli
