// rebase_command.h: `instar rebase`: qemu-img 7.2's img_rebase. The host opens the named file
// read-write; the guest opens the image and rewrites a qcow2 header with the new backing file
// (docs/rebase.md). Only unsafe rebase (-u) is implemented; a safe one is refused.
#pragma once

#include <string>

#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "rebase". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is opened as raw. Returns qemu-img's exit code: 0, or 1 for any error
// (and anything instar refuses).
int run_rebase_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, int argc, char** argv);

}  // namespace instar::cli
