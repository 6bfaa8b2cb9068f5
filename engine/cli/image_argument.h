// image_argument.h: the host's half of qemu-img's img_open() for an image operand and its -f.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/diagnostics.h"
#include "engine/cli/image_file.h"
#include "engine/cli/image_spec.h"
#include "guest/abi/abi.h"

namespace instar::cli {

// Looks the -f driver up (kProbe without one), then opens `filename` read-only, in qemu's order.
// False with `*message` set to the diagnostic without the "<program>: " prefix: qemu's
// "Could not open '<file>': Unknown driver '<fmt>'" or the file's open error, or instar's
// refusal of a format it does not read yet.
[[nodiscard]] bool open_image_argument(const std::optional<std::string>& format_name,
                                       const std::string& filename, abi::ImageFormat* format,
                                       ImageFile* image, std::string* message);

// An image operand as a subcommand that takes qemu's image names (file:, json:{...},
// --image-opts) opens it: what the name means, the format to open it with, the open file.
struct ImageOperand {
  ImageSpec spec;
  abi::ImageFormat format = abi::ImageFormat::kProbe;
  ImageFile file;
};

// Resolves `argument` (engine/cli/image_spec.h) and opens it in qemu's order: the name (refused
// protocols before any file access), the driver lookup (-f over json:'s "driver"), the open, then
// an option instar does not model. `*warnings` gets qemu's warnings (each printed as
// "warning: <text>" before anything else); false with `*message` set as open_image_argument sets
// it.
[[nodiscard]] bool open_image_operand(std::string_view argument, bool image_opts,
                                      const std::optional<std::string>& format_option,
                                      ImageOperand* out, std::vector<std::string>* warnings,
                                      std::string* message);

// The refusal of "backing": null by a subcommand whose guest op needs the chain the image names
// (compare, map, measure): unallocated ranges would read as zeros, a different result instar does
// not model yet. Without the "<program>: " prefix.
std::string no_backing_refusal(const std::string& argument, const std::string& subcommand);

// open_image_operand() with its warnings and error printed through `diag`; false when reported.
[[nodiscard]] bool open_image_operand_or_report(const Diagnostics& diag, std::string_view argument,
                                                bool image_opts,
                                                const std::optional<std::string>& format_option,
                                                ImageOperand* out);

}  // namespace instar::cli
