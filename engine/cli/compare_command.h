// compare_command.h: `instar compare`: compare two images inside one sandbox run.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// `unsafe_quirks`: backing files probed as unrecognised content are read as raw (docs/chains.md).
// argv[0] is "compare". `help` is what -h prints. Returns qemu-img's exit code: 0 identical,
// 1 different or bad usage, 2 open error (and anything instar refuses), 3 block-status error,
// 4 read error.
int run_compare_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
