// help_text.h: --help and --version texts.
#pragma once

#include <string>

namespace instar::cli {

std::string help_text(const std::string& program);
std::string version_text(const std::string& program);

}  // namespace instar::cli
