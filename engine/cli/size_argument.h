// size_argument.h: qemu-img's cvtnum(): size arguments with k/M/G/T/P/E suffixes (qemu_strtosz).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace instar::cli {

struct SizeArgument {
  std::optional<int64_t> value;  // set when the argument was accepted
  // What qemu-img prints on stderr for it, one entry per error_report()/warn_report() line,
  // without the "<program>: " prefix: the deprecation warning of a suffix on a hex number
  // (value accepted), or the error lines (value refused).
  std::vector<std::string> lines;
  bool warning = false;  // `lines` holds the "warning: " line of an accepted value
};

// qemu 7.2's cvtnum_full(name, text, 0, INT64_MAX): qemu_strtosz() (decimal, 0x hex, a '.'
// fraction when a suffix scales it, an optional B/K/M/G/T/P/E suffix in either case, 1024-based)
// and its two error texts, "Invalid <name> specified. You may use k, M, G, T, P or E suffixes
// for" + "kilobytes, megabytes, ...", or "Invalid <name> specified. Must be between 0 and
// 9223372036854775807.".
// cvtnum_full(name, text, min, max) (img_dd's bs= is 1..INT_MAX) says "Must be between <min> and
// <max>." of a value outside the range.
SizeArgument parse_size_argument(const std::string& name, const std::string& text, int64_t min = 0,
                                 int64_t max = INT64_MAX);

// qemu_strtosz(text, NULL, &value) of qemu 7.2 alone (QemuOpts size values use it without
// cvtnum's wording): `error` is 0, -EINVAL or -ERANGE; `hex_with_suffix` when qemu warns
// "Using a multiplier suffix on hex numbers is deprecated: <text>".
struct Strtosz {
  int error = 0;
  uint64_t value = 0;
  bool hex_with_suffix = false;
};
Strtosz qemu_strtosz(const std::string& text);

}  // namespace instar::cli
