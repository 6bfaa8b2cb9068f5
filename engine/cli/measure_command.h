// measure_command.h: `instar measure`: qemu-img's size calculation, the input image read in the
// sandbox.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/measure_options.h"
#include "engine/cli/measure_plan.h"
#include "engine/cli/sandbox_factory.h"

namespace instar::cli {

// argv[0] is "measure". `help` is what -h (and a getopt error) prints. `--size N` needs no
// sandbox; a file name is opened with its backing chain and walked in one sandbox run.
// `unsafe_quirks`: backing files probed as unrecognised content are read as raw. Returns
// qemu-img's exit code: 0, or 1 for any error (and anything instar refuses).
int run_measure_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv);

// Opens options.filename (-f options.format) with its chain and runs the guest's measure over it
// in one sandbox run: its length (blk_getlength), and with a non-zero `cluster_size` its data in
// such clusters. On failure `error` is qemu's complete stderr text ("Could not open ..."). `create
// -b` takes a backing file's size from it.
std::optional<MeasureInput> measure_image_source(const Diagnostics& diag,
                                                 const SandboxChoice& choice, bool unsafe_quirks,
                                                 const chain::RootOptions& roots,
                                                 const MeasureOptions& options,
                                                 uint64_t cluster_size, std::string* error);

}  // namespace instar::cli
