// qemu's size_to_str(): frexp-based unit choice and %0.3g mantissa.
#include "engine/render/size_string.h"

#include <cmath>
#include <cstdio>

namespace instar::render {

std::string SizeToStr(uint64_t bytes) {
  static constexpr const char* kSuffixes[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  const double value = static_cast<double>(bytes);
  int exponent = 0;
  // Dividing by 1000/1024 makes e.g. 1000 KiB count as "about a MiB": the exponent of
  // value*1.024 picks the unit, (e-1)/10 with C truncation turns it into a power of 1024.
  std::frexp(value / (1000.0 / 1024.0), &exponent);
  int unit = (exponent - 1) / 10;
  // uint64 tops out below 16 EiB, so the index stays in range; the clamp only documents it.
  if (unit < 0) unit = 0;
  if (unit > 6) unit = 6;
  const double scaled = value / static_cast<double>(uint64_t{1} << (unit * 10));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%0.3g %s", scaled, kSuffixes[unit]);
  return buf;
}

}  // namespace instar::render
