// map_command.h: `instar map`: an image's block status extents, through its chain, in one
// sandbox run.
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/profile_select.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "map". `help` is what -h prints; the selection's profile decides the JSON fields.
// `unsafe_quirks`: backing files probed as unrecognised content are read as raw
// (docs/chains.md). Returns qemu-img's exit code: 0, or 1 for any error.
int run_map_command(const Diagnostics& diag, const SandboxChoice& choice,
                    const ProfileSelection& selection, const std::string& help, bool unsafe_quirks,
                    const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
