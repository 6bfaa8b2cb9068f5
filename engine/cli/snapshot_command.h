// snapshot_command.h: `instar snapshot`: qemu-img 7.2's img_snapshot. -l reads the image
// read-only (the info parse in the sandbox); -c and -d, and the bare open, have the host open the
// named file read-write and the guest change a qcow2 in place (docs/snapshot.md).
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/profile_select.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "snapshot". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is taken as raw. `roots`: where the backing and data files the image
// names may lie (they are opened, read-only, as qemu's open does, and their errors reported).
// Returns qemu-img's exit code: 0, or 1 for any error (and anything instar refuses).
int run_snapshot_command(const Diagnostics& diag, const SandboxChoice& choice,
                         const ProfileSelection& selection, const std::string& help,
                         bool unsafe_quirks, const chain::RootOptions& roots, int argc,
                         char** argv);

}  // namespace instar::cli
