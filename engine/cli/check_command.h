// check_command.h: `instar check`: check a qcow2 image's metadata inside the sandbox.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// `unsafe_quirks`: backing files probed as unrecognised content are read as raw (docs/chains.md).
// argv[0] is "check". `help` is what -h prints. Returns qemu-img's exit code: 0 clean, 1 check
// failed (bad usage, open error, internal errors), 2 corruptions, 3 only leaks, 63 the format
// has no check.
int run_check_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                      bool unsafe_quirks, const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
