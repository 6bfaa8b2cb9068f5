// formatting_line.h: the "Formatting '<file>', fmt=<fmt> ..." line of qemu-img 7.2's
// bdrv_img_create(), which qemu_opts_print() writes from the creation options.
#pragma once

#include <string>

#include "engine/cli/creation_options.h"

namespace instar::cli {

// "Formatting '<filename>', fmt=<format> " then every option of the format's create_opts list
// followed by the file protocol's (qemu_opts_append() order, names already listed skipped) that
// is set or has a default, as qemu_opts_print(opts, " ") prints it: strings with ',' doubled,
// sizes and numbers as signed 64-bit decimals, other values as given. `format` is "qcow2" or
// "raw". Ends with a newline.
std::string formatting_line(const std::string& filename, const std::string& format,
                            const CreationOptions& options);

}  // namespace instar::cli
