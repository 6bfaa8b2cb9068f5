// create_command.h: `instar create`: qemu-img 7.2's img_create for raw and qcow2. The host
// creates the files; a qcow2 image's bytes are written by the guest, and a backing file is read
// (its size, its format) only in the sandbox.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "create". `help` is what -h prints. Returns qemu-img's exit code: 0, or 1 for any
// error (and anything instar refuses).
int run_create_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks,
                       const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
