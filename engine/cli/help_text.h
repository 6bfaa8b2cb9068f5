// help_text.h: --help and --version texts.
#pragma once

#include <string>

#include "engine/cli/profile_select.h"

namespace instar::cli {

// Both name the selected output profile (under the qemu-img name: "qemu-img version X.Y.Z").
std::string help_text(const std::string& program, const ProfileSelection& selection);
std::string version_text(const std::string& program, const ProfileSelection& selection);

}  // namespace instar::cli
