// convert_target_name.h: what convert's output name means: a file, or with --target-image-opts
// (only with -n) QemuOpts naming a local file whose "driver" gives the target's format.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/cli/convert_options.h"

namespace instar::cli {

struct ConvertTargetName {
  std::string path;    // the file to open
  std::string format;  // the target's format: -O, or the options' driver
  // qemu's diagnostics for an options string it cannot open, printed where img_open() would
  // open the target (after every earlier check); empty: none. Warnings come first, then the
  // error (each a whole message after "<program>: ").
  std::vector<std::string> warnings;
  std::optional<std::string> error;
};

// Resolves options.output. Without --target-image-opts: the name itself, in -O's format.
ConvertTargetName resolve_convert_target(const ConvertOptions& options);

}  // namespace instar::cli
