// amend_command.h: `instar amend`: qemu-img 7.2's img_amend for qcow2. The host parses the -o
// list and runs qcow2_amend_options()'s option checks; the guest opens the image read-write and
// amends it in qemu's order (docs/amend.md). What instar does not amend yet is refused before
// anything is written.
#pragma once

#include <string>

#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "amend". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is opened as raw. Returns qemu-img's exit code: 0, or 1 for any error
// (and anything instar refuses).
int run_amend_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                      bool unsafe_quirks, int argc, char** argv);

}  // namespace instar::cli
