// rebase_command.h: `instar rebase`: qemu-img 7.2's img_rebase. The host opens the named file
// read-write; the guest opens the image and rewrites a qcow2 header with the new backing file
// (docs/rebase.md). A safe rebase (no -u) reads both backing chains in the guest and is done
// only when qemu would copy nothing; otherwise it is refused.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "rebase". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is opened as raw. Returns qemu-img's exit code: 0, or 1 for any error
// (and anything instar refuses).
int run_rebase_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, const chain::RootOptions& roots,
                       int argc, char** argv);

}  // namespace instar::cli
