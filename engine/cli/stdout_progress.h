// stdout_progress.h: a subcommand's -p line on stdout (qemu_progress_init(enabled, min_skip),
// qemu_progress_print(), qemu_progress_end()), as convert, rebase and amend print it.
#pragma once

#include <cstdio>

#include "engine/cli/diagnostics.h"
#include "engine/render/progress_text.h"

namespace instar::cli {

class StdoutProgress {
 public:
  StdoutProgress(bool enabled, float min_skip) : printer_(enabled, min_skip) {}
  void print(float delta, int max) { put(stdout, printer_.print(delta, max)); }
  void end() { put(stdout, printer_.end()); }

 private:
  render::QemuProgress printer_;
};

}  // namespace instar::cli
