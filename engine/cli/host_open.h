// host_open.h: the host's half of qemu-img's img_open() for one input image: the -f lookup,
// then the file, with qemu's error texts.
#pragma once

#include <optional>
#include <string>

#include "engine/cli/diagnostics.h"
#include "engine/cli/image_file.h"
#include "guest/abi/abi.h"

namespace instar::cli {

// Looks up `format` (-f; nullopt: probe) and opens `name` read-only. On failure `error` is the
// complete stderr text ("<program>: Could not open '<name>': <reason>\n", or instar's refusal
// of a format it does not implement).
bool open_input_on_host(const Diagnostics& diag, const std::string& name,
                        const std::optional<std::string>& format, abi::ImageFormat* image_format,
                        ImageFile* file, std::string* error);

}  // namespace instar::cli
