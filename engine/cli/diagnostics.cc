// diagnostics.cc: stderr formatting shared by every subcommand.
#include "engine/cli/diagnostics.h"

#include <cstdio>

namespace instar::cli {

void Diagnostics::error(std::string_view message) const {
  std::string line = program_ + ": ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

int Diagnostics::usage_error(std::string_view message) const {
  error(message);
  std::string line = "Try '" + program_ + " --help' for more information\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  return 1;
}

void put(std::FILE* stream, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

}  // namespace instar::cli
