// dd_command.h: `instar dd`: the host opens the input and creates the output, one sandbox run
// (the convert op in its dd mode) copies the blocks, qemu-img's messages are printed.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "dd"; `help` is what -h prints. Returns qemu-img dd's exit code: 0 on success
// (also after "cannot skip to specified offset"), 1 on any failure (instar's refusals included).
int run_dd_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                   bool unsafe_quirks, const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
