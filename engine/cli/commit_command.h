// commit_command.h: the `commit` subcommand: the top opened read-write with its backing chain,
// the base reopened read-write; the guest copies into the base and empties the top
// (docs/commit.md).
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "commit". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is opened as raw. Returns qemu-img's exit code: 0, or 1 for any error
// (and anything instar refuses).
int run_commit_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, const chain::RootOptions& roots,
                       int argc, char** argv);

}  // namespace instar::cli
