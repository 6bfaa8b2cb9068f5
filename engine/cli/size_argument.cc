// size_argument.cc: qemu_strtosz() (util/cutils.c, 7.2) and cvtnum()'s messages.
#include "engine/cli/size_argument.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace instar::cli {

namespace {

constexpr uint64_t kInt64Max = 0x7fffffffffffffffull;

// suffix_mul(): the multiplier of a suffix letter, or 0 when it is none.
uint64_t suffix_mul(char c) {
  switch (c) {
    case 'b':
    case 'B':
      return 1;
    case 'k':
    case 'K':
      return 1ull << 10;
    case 'm':
    case 'M':
      return 1ull << 20;
    case 'g':
    case 'G':
      return 1ull << 30;
    case 't':
    case 'T':
      return 1ull << 40;
    case 'p':
    case 'P':
      return 1ull << 50;
    case 'e':
    case 'E':
      return 1ull << 60;
    default:
      return 0;
  }
}

// qemu_strtou64() with an end pointer: strtoull plus qemu's "no conversion" and "0x" rules.
int strtou64(const char* text, const char** end, int base, uint64_t* out) {
  errno = 0;
  char* ep = nullptr;
  unsigned long long v = std::strtoull(text, &ep, base);
  const int err = errno;
  if (err == ERANGE) v = ~0ull;
  // check_strtox_error(): glibc parses "0x" in base 16 as 0 followed by "x".
  if (v == 0 && ep == text && err == 0) {
    char* tmp = nullptr;
    errno = 0;
    if (std::strtol(text, &tmp, 10) == 0 && errno == 0 && (*tmp == 'x' || *tmp == 'X')) ep = tmp;
  }
  *end = ep;
  *out = v;
  if (err == 0 && ep == text) return -EINVAL;
  return -err;
}

// do_strtosz(nptr, NULL, 'B', 1024): the whole text must be consumed.
Strtosz strtosz(const char* text) {
  Strtosz r;
  const char* end = nullptr;
  uint64_t val = 0;
  uint64_t valf = 0;
  bool hex = false;
  // A failed parse keeps its error only if it consumed the whole text (qemu checks the end
  // pointer last).
  int error = strtou64(text, &end, 10, &val);
  if (error != 0) {
    r.error = *end != '\0' ? -EINVAL : error;
    return r;
  }
  if (std::memchr(text, '-', static_cast<size_t>(end - text)) != nullptr) {
    r.error = -EINVAL;
    return r;
  }
  if (val == 0 && (*end == 'x' || *end == 'X')) {
    error = strtou64(text, &end, 16, &val);
    if (error != 0) {
      r.error = *end != '\0' ? -EINVAL : error;
      return r;
    }
    if (*end == '.') {
      r.error = -EINVAL;
      return r;
    }
    hex = true;
  } else if (*end == '.') {
    // A fraction; "1.k" works without digits, an exponent makes the whole text invalid.
    const char* f = end;
    errno = 0;
    char* fend = nullptr;
    const double fraction = std::strtod(f, &fend);
    if (fend == f || errno != 0 || !(fraction - fraction == 0)) {
      end = f + 1;
    } else if (std::memchr(f, 'e', static_cast<size_t>(fend - f)) != nullptr ||
               std::memchr(f, 'E', static_cast<size_t>(fend - f)) != nullptr) {
      r.error = -EINVAL;
      return r;
    } else {
      end = fend;
      valf = static_cast<uint64_t>(fraction * 0x1p64);
    }
  }
  uint64_t mul = suffix_mul(*end);
  if (mul != 0) {
    r.hex_with_suffix = hex;
    ++end;
  } else {
    mul = 1;
  }
  if (mul == 1) {
    if (valf != 0) {  // a fraction needs a scale
      r.error = -EINVAL;
      return r;
    }
  } else {
    // 64.64 fixed point times the multiplier (a power of two, 2^shift), 0.5 rounded up;
    // overflow is ERANGE.
    const int shift = __builtin_ctzll(mul);
    const uint64_t whole = val << shift;
    const uint64_t part = (valf >> (64 - shift)) + ((valf >> (63 - shift)) & 1);
    if ((val >> (64 - shift)) != 0 || whole + part < whole) {
      r.error = -ERANGE;
      return r;
    }
    val = whole + part;
  }
  if (*end != '\0') {
    r.error = -EINVAL;
    return r;
  }
  r.value = val;
  return r;
}

}  // namespace

Strtosz qemu_strtosz(const std::string& text) {
  return strtosz(text.c_str());
}

SizeArgument parse_size_argument(const std::string& name, const std::string& text, int64_t min,
                                 int64_t max) {
  SizeArgument out;
  const Strtosz r = strtosz(text.c_str());
  if (r.error != 0 && r.error != -ERANGE) {
    out.lines = {"Invalid " + name + " specified. You may use k, M, G, T, P or E suffixes for",
                 "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes."};
    return out;
  }
  if (r.error == -ERANGE || r.value > static_cast<uint64_t>(max) ||
      r.value < static_cast<uint64_t>(min)) {
    out.lines = {"Invalid " + name + " specified. Must be between " + std::to_string(min) +
                 " and " + std::to_string(max) + "."};
    return out;
  }
  if (r.hex_with_suffix) {
    out.lines = {"warning: Using a multiplier suffix on hex numbers is deprecated: " + text};
    out.warning = true;
  }
  out.value = static_cast<int64_t>(r.value);
  return out;
}

}  // namespace instar::cli
