// convert_command.h: `instar convert`: the host opens the inputs and creates the output, one
// sandbox run copies, qemu-img's messages and progress are printed.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "convert"; `help` is what -h prints. Returns qemu-img convert's exit code: 0 on
// success, 1 on any failure (instar's refusals included).
int run_convert_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
