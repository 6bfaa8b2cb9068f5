// qemu's size_to_str(): the "16 MiB" / "1.5 KiB" / "1e+03 KiB" strings of info, snapshot -l, etc.
#pragma once

#include <cstdint>
#include <string>

namespace instar::render {

// Formats a byte count the way qemu 7.2's size_to_str() (util/cutils.c) does: the unit is picked
// from frexp() of the value scaled by 1024/1000 (so 1000..1023 of a unit already moves up one),
// and the mantissa is printed with "%0.3g", which is why 1023488 prints as "1e+03 KiB".
std::string SizeToStr(uint64_t bytes);

}  // namespace instar::render
