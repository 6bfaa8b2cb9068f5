// size_suffix.h: qemu's qemu_strtosz() (sizes with k/M/G/T/P/E suffixes and fractions) and
// qemu-img's cvtnum() wording around it.
#pragma once

#include <cstdint>
#include <string>

namespace instar::cli {

enum class SizeParse { kOk, kInvalid, kOutOfRange };

// qemu_strtosz(text, NULL, &out) of qemu 7.2 (util/cutils.c do_strtosz, unit 1024, default
// suffix 'B'): decimal digits, an optional fraction (only with a suffix), an optional suffix, and
// nothing after it; hex ("0x...") without fraction or suffix.
SizeParse parse_size(const std::string& text, uint64_t* out);

// qemu_strtou64(text, NULL, 0, &out): strtoull in base 0 over the whole string (a leading '-'
// negates, as strtoull does); kOutOfRange on overflow.
SizeParse parse_u64(const std::string& text, uint64_t* out);

// qemu-img's cvtnum(name, text) for [0, INT64_MAX]: on failure `error_lines` holds the lines
// qemu-img reports (each a separate error_report).
bool cvtnum(const std::string& name, const std::string& text, int64_t* out,
            std::string* error_lines_joined_by_newline);

}  // namespace instar::cli
