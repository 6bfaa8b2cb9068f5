// info_command.h: `instar info`: describe an image from inside the sandbox.
#pragma once

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/profile_select.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "info". Returns the process exit code (0 ok, 1 any error, as qemu-img).
// `selection` is the output profile (and the version --help names).
// `unsafe_quirks`: read content instar does not recognise as raw, as qemu would (docs/chains.md).
int run_info_command(const Diagnostics& diag, const SandboxChoice& choice,
                     const ProfileSelection& selection, bool unsafe_quirks,
                     const chain::RootOptions& roots, int argc, char** argv);

}  // namespace instar::cli
