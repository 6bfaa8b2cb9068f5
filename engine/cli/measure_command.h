// measure_command.h: `instar measure`: qemu-img's size calculation, the input image read in the
// sandbox.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "measure". `help` is what -h (and a getopt error) prints. `--size N` needs no
// sandbox; a file name is opened with its backing chain and walked in one sandbox run.
// `unsafe_quirks`: backing files probed as unrecognised content are read as raw. Returns
// qemu-img's exit code: 0, or 1 for any error (and anything instar refuses).
int run_measure_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
