// image_argument.h: the host's half of qemu-img's img_open() for an image operand and its -f.
#pragma once

#include <optional>
#include <string>

#include "engine/cli/image_file.h"
#include "guest/abi/abi.h"

namespace instar::cli {

// Looks the -f driver up (kProbe without one), then opens `filename` read-only, in qemu's order.
// False with `*message` set to the diagnostic without the "<program>: " prefix: qemu's
// "Could not open '<file>': Unknown driver '<fmt>'" or the file's open error, or instar's
// refusal of a format it does not read yet.
[[nodiscard]] bool open_image_argument(const std::optional<std::string>& format_name,
                                       const std::string& filename, abi::ImageFormat* format,
                                       ImageFile* image, std::string* message);

}  // namespace instar::cli
