// progress_text.cc: qemu_progress_print() of util/qemu-progress.c (7.2), in float as qemu keeps it.
#include "engine/render/progress_text.h"

#include <cstdio>

namespace instar::render {

std::string QemuProgress::print(float delta, int max) {
  float current = max == 0 ? delta : current_ + delta / 100 * static_cast<float>(max);
  if (current > 100) current = 100;
  current_ = current;
  if (current > (last_print_ + min_skip_) || current == 100 || current == 0) {
    last_print_ = current_;
    if (!enabled_) return {};
    char line[64];
    std::snprintf(line, sizeof line, "    (%3.2f/100%%)\r", static_cast<double>(current_));
    return line;
  }
  return {};
}

}  // namespace instar::render
