// progress_text.h: qemu's util/qemu-progress.c "simple" printer: the `    (NN.NN/100%)\r` lines
// of `-p`, with its float state, so instar prints exactly the lines qemu-img prints.
#pragma once

#include <string>

namespace instar::render {

class QemuProgress {
 public:
  // qemu_progress_init(enabled, min_skip): disabled printers print nothing (SIGUSR1 reports are
  // not implemented).
  QemuProgress(bool enabled, float min_skip) : enabled_(enabled), min_skip_(min_skip) {}

  // qemu_progress_print(delta, max): the text to print now (empty when qemu prints nothing).
  std::string print(float delta, int max);
  // qemu_progress_end(): "\n" when enabled.
  std::string end() const { return enabled_ ? "\n" : ""; }

 private:
  bool enabled_;
  float min_skip_;
  float current_ = 0;
  float last_print_ = 0;
};

}  // namespace instar::render
