// size_suffix.cc: qemu 7.2's do_strtosz() with its fixed-point fraction and overflow rules.
#include "engine/cli/size_suffix.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace instar::cli {

namespace {

// suffix_mul(): the multiplier of a suffix letter, or 0 for anything else.
uint64_t suffix_multiplier(char c) {
  switch (c) {
    case 'B':
    case 'b':
      return 1;
    case 'K':
    case 'k':
      return 1ull << 10;
    case 'M':
    case 'm':
      return 1ull << 20;
    case 'G':
    case 'g':
      return 1ull << 30;
    case 'T':
    case 't':
      return 1ull << 40;
    case 'P':
    case 'p':
      return 1ull << 50;
    case 'E':
    case 'e':
      return 1ull << 60;
    default:
      return 0;
  }
}

// mulu64(): the 128-bit product of a and b; returns the low half, *high the high half.
uint64_t multiply(uint64_t a, uint64_t b, uint64_t* high) {
  const uint64_t a_lo = a & 0xffffffffu;
  const uint64_t a_hi = a >> 32;
  const uint64_t b_lo = b & 0xffffffffu;
  const uint64_t b_hi = b >> 32;
  const uint64_t lo_lo = a_lo * b_lo;
  const uint64_t hi_lo = a_hi * b_lo;
  const uint64_t lo_hi = a_lo * b_hi;
  const uint64_t hi_hi = a_hi * b_hi;
  const uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
  *high = hi_hi + (hi_lo >> 32) + (cross >> 32);
  return (cross << 32) | (lo_lo & 0xffffffffu);
}

// qemu_strtou64(nptr, &end, base): strtoull, with "no digits" as kInvalid.
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

SizeParse parse_size(const std::string& text, uint64_t* out) {
  const char* nptr = text.c_str();
  const char* endptr = nptr;
  uint64_t val = 0;
  uint64_t valf = 0;
  SizeParse result = strtou64_prefix(nptr, &endptr, 10, &val);
  if (result == SizeParse::kOk) {
    if (std::memchr(nptr, '-', static_cast<size_t>(endptr - nptr)) != nullptr) {
      endptr = nptr;
      result = SizeParse::kInvalid;
    } else if (val == 0 && (*endptr == 'x' || *endptr == 'X')) {
      // Looks like hex: reparse, and allow neither a fraction nor a suffix.
      result = strtou64_prefix(nptr, &endptr, 16, &val);
      if (result == SizeParse::kOk && (*endptr == '.' || suffix_multiplier(*endptr) > 0)) {
        endptr = nptr;
        result = SizeParse::kInvalid;
      }
    } else if (*endptr == '.') {
      // A fraction; "1.k" works without fractional digits, an exponent makes it all invalid.
      const char* f = endptr;
      char* fend = nullptr;
      errno = 0;
      const double fraction = std::strtod(f, &fend);
      if (fend == f || errno == ERANGE) {
        endptr = f + 1;
      } else if (std::memchr(f, 'e', static_cast<size_t>(fend - f)) != nullptr ||
                 std::memchr(f, 'E', static_cast<size_t>(fend - f)) != nullptr) {
        endptr = nptr;
        result = SizeParse::kInvalid;
      } else {
        endptr = fend;
        valf = static_cast<uint64_t>(fraction * 0x1p64);
      }
    }
    if (result == SizeParse::kOk) {
      uint64_t mul = suffix_multiplier(*endptr);
      if (mul > 0) {
        ++endptr;
      } else {
        mul = 1;
      }
      if (mul == 1) {
        if (valf != 0) {  // a fraction needs a scale
          endptr = nptr;
          result = SizeParse::kInvalid;
        }
      } else {
        // 64.64 x 64.0 -> 128.64 fixed point, 0.5 rounded up, overflow reported.
        uint64_t high = 0;
        uint64_t low = multiply(val, mul, &high);
        uint64_t fraction_high = 0;
        const uint64_t fraction_low = multiply(valf, mul, &fraction_high);
        low += fraction_high;
        high += low < fraction_high ? 1 : 0;
        const uint64_t half = fraction_low >> 63;
        low += half;
        high += low < half ? 1 : 0;
        if (high != 0) {
          result = SizeParse::kOutOfRange;
        } else {
          val = low;
        }
      }
    }
  }
  // qemu_strtosz without an end pointer: trailing text makes any result invalid.
  if (*endptr != '\0') return SizeParse::kInvalid;
  if (result == SizeParse::kOk) *out = val;
  return result;
}

SizeParse parse_u64(const std::string& text, uint64_t* out) {
  const char* end = nullptr;
  const SizeParse result = strtou64_prefix(text.c_str(), &end, 0, out);
  // check_strtox_error(): no digits, then trailing text, then the range.
  if (result == SizeParse::kInvalid || *end != '\0') return SizeParse::kInvalid;
  return result;
}

bool cvtnum(const std::string& name, const std::string& text, int64_t* out, std::string* error) {
  uint64_t value = 0;
  const SizeParse parsed = parse_size(text, &value);
  if (parsed == SizeParse::kInvalid) {
    *error = "Invalid " + name + " specified. You may use k, M, G, T, P or E suffixes for\n" +
             "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.";
    return false;
  }
  if (parsed == SizeParse::kOutOfRange || value > static_cast<uint64_t>(INT64_MAX)) {
    *error = "Invalid " + name + " specified. Must be between 0 and 9223372036854775807.";
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

}  // namespace instar::cli
