// resize_command.h: `instar resize`: qemu-img 7.2's img_resize for raw and qcow2. The host opens
// the named file read-write; the guest opens the image and resizes a qcow2 in place; a raw file
// is truncated here (docs/resize.md).
#pragma once

#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "resize". `help` is what -h prints. `unsafe_quirks`: a probed raw image with
// unrecognised content is resized as raw. Returns qemu-img's exit code: 0, or 1 for any error
// (and anything instar refuses).
int run_resize_command(const Diagnostics& diag, const SandboxChoice& choice,
                       const std::string& help, bool unsafe_quirks, int argc, char** argv);

}  // namespace instar::cli
